/*
 * Which processes use an object: have it open (a descriptor) or mapped.
 * One pass over /proc however many objects are asked about: each
 * process's descriptors (/proc/PID/fd) and mappings (/proc/PID/maps),
 * matched by device and inode -- never by path, so a renamed object, or
 * one removed and made again, is not taken for another. Linux-specific.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "local/local.h"

struct key {
	dev_t		 dev;
	ino_t		 ino;
	size_t		 obj;
};

struct scan {
	struct key	*keys;		/* sorted by device and inode */
	size_t		 nkeys;
	size_t		*last;		/* per object: its latest use, + 1 */
	struct proc_scan *out;
	pid_t		 pid;		/* the process being read */
};

static int
key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

/* Object k's use by the process being read, once whatever its number. */
static void
add_use(struct scan *s, const struct key *k, unsigned how)
{
	struct proc_scan *o = s->out;
	size_t last = s->last[k->obj];

	if (last != 0 && last <= o->n && o->uses[last - 1].pid == s->pid &&
	    o->uses[last - 1].obj == k->obj) {
		o->uses[last - 1].how |= how;
		return;
	}
	if (o->n == o->cap) {
		o->cap = o->cap != 0 ? 2 * o->cap : 64;
		if ((o->uses = reallocarray(o->uses, o->cap,
		    sizeof(*o->uses))) == NULL)
			die(ENOMEM, NULL);
	}
	o->uses[o->n++] = (struct proc_use){ .obj = k->obj, .pid = s->pid,
	    .how = how };
	s->last[k->obj] = o->n;
}

/*
 * The process being read uses what dev and ino name: a use of every
 * object asked about by that inode (hard links are names of one object).
 */
static void
found(struct scan *s, dev_t dev, ino_t ino, unsigned how)
{
	struct key k = { .dev = dev, .ino = ino }, *hit, *end;

	if ((hit = bsearch(&k, s->keys, s->nkeys, sizeof(k), key_cmp)) == NULL)
		return;
	while (hit > s->keys && key_cmp(hit - 1, &k) == 0)
		hit--;
	for (end = s->keys + s->nkeys; hit < end && key_cmp(hit, &k) == 0;
	    hit++)
		add_use(s, hit, how);
}

/* Up to len bytes of the file name in /proc/PID (pdfd); the count. */
static size_t
proc_read(int pdfd, const char *name, char *buf, size_t len)
{
	size_t n = 0;
	int fd;

	if ((fd = openat(pdfd, name, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	if (io_read(fd, buf, len, -1, &n) != 0)
		n = 0;
	close(fd);
	return n;
}

/*
 * Whether the process whose /proc directory is pdfd is gone or ending
 * (PF_EXITING: its memory, and so its command line, may be gone already
 * while its descriptors are not): then it is left out.
 */
static bool
proc_exiting(int pdfd)
{
	char buf[1024], *p;
	unsigned long flags;

	buf[proc_read(pdfd, "stat", buf, sizeof(buf) - 1)] = '\0';
	/* "pid (comm) state ppid pgrp session tty tpgid flags ..." */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return true;
	return (flags & 0x4) != 0;	/* PF_EXITING */
}

/* Whether an error reading a process means it was not ours to read. */
static bool
denied(int e)
{
	return e == EACCES || e == EPERM;
}

static void
read_fds(struct scan *s, int pdfd)
{
	struct dirent *d;
	struct stat st;
	DIR *dir;
	int fd;

	if ((fd = openat(pdfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1 || (dir = fdopendir(fd)) == NULL) {
		if (denied(errno))
			s->out->partial = true;
		if (fd != -1)
			close(fd);
		return;
	}
	while ((d = readdir(dir)) != NULL)
		if (d->d_name[0] != '.' &&
		    fstatat(dirfd(dir), d->d_name, &st, 0) == 0)
			found(s, st.st_dev, st.st_ino, PROC_FD);
	closedir(dir);
}

/*
 * "start-end perms offset major:minor inode path": the device and inode
 * of each mapping of a file.
 */
static void
read_maps(struct scan *s, int pdfd)
{
	unsigned maj, min;
	unsigned long long ino;
	char line[4096];
	FILE *fp;
	int fd;

	if ((fd = openat(pdfd, "maps", O_RDONLY | O_CLOEXEC)) == -1 ||
	    (fp = fdopen(fd, "r")) == NULL) {
		if (denied(errno))
			s->out->partial = true;
		if (fd != -1)
			close(fd);
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, "%*s %*s %*s %x:%x %llu", &maj, &min,
		    &ino) == 3 && ino != 0)
			found(s, makedev(maj, min), ino, PROC_MAP);
		/* A line longer than the buffer: skip the rest of it. */
		while (strchr(line, '\n') == NULL &&
		    fgets(line, sizeof(line), fp) != NULL)
			continue;
	}
	if (ferror(fp) && denied(errno))
		s->out->partial = true;
	fclose(fp);
}

/*
 * Whether /proc hides other users' processes from us (hidepid=2, or
 * "invisible"): then what is not listed cannot be told apart from what
 * does not exist, and every count is a lower bound.
 */
static bool
proc_hidden(void)
{
	char line[1024], *opt;
	bool hidden = false;
	FILE *fp;

	if (geteuid() == 0 || (fp = fopen("/proc/self/mounts", "re")) == NULL)
		return false;
	while (!hidden && fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "proc /proc proc ", 16) != 0)
			continue;
		if ((opt = strstr(line, "hidepid=")) != NULL)
			hidden = strncmp(opt + 8, "0", 1) != 0 &&
			    strncmp(opt + 8, "off", 3) != 0;
	}
	fclose(fp);
	return hidden;
}

/*
 * Every process that uses one of the n objects whose device and inode
 * st[i] gives: out->uses, one per process and object, in the order of
 * /proc. A process that ends while it is read is skipped. This process
 * (which may have an object open to learn its inode) is left out.
 */
void
procs_scan(const struct stat *st, size_t n, struct proc_scan *out)
{
	struct scan s = { .out = out };
	pid_t self = getpid();
	struct dirent *d;
	size_t i, before;
	long pid;
	DIR *proc;
	int pdfd;

	memset(out, 0, sizeof(*out));
	if ((s.keys = calloc(n + 1, sizeof(*s.keys))) == NULL ||
	    (s.last = calloc(n + 1, sizeof(*s.last))) == NULL)
		die(ENOMEM, NULL);
	for (i = 0; i < n; i++)
		s.keys[i] = (struct key){ st[i].st_dev, st[i].st_ino, i };
	qsort(s.keys, n, sizeof(*s.keys), key_cmp);
	s.nkeys = n;
	out->partial = proc_hidden();
	if ((proc = opendir("/proc")) == NULL) {
		out->partial = true;
		goto done;
	}
	while ((d = readdir(proc)) != NULL) {
		if (!is_pid(d->d_name, &pid) || (s.pid = pid) == self)
			continue;
		if ((pdfd = openat(dirfd(proc), d->d_name,
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
			continue;
		before = out->n;
		read_fds(&s, pdfd);
		read_maps(&s, pdfd);
		if (out->n > before && proc_exiting(pdfd))
			out->n = before;
		close(pdfd);
	}
	closedir(proc);
done:
	free(s.keys);
	free(s.last);
}

/*
 * How many processes use each listed object, into its procs; true when
 * the counts are lower bounds (some processes could not be read).
 */
bool
procs_count(struct ipc_list *l)
{
	struct proc_scan ps;
	struct stat *st;
	bool partial;
	size_t i;

	if ((st = calloc(l->n + 1, sizeof(*st))) == NULL)
		die(ENOMEM, NULL);
	for (i = 0; i < l->n; i++) {
		st[i].st_dev = l->entries[i].dev;
		st[i].st_ino = l->entries[i].ino;
		l->entries[i].procs = 0;
	}
	procs_scan(st, l->n, &ps);
	for (i = 0; i < ps.n; i++)
		l->entries[ps.uses[i].obj].procs++;
	partial = ps.partial;
	procs_free(&ps);
	free(st);
	return partial;
}

void
procs_free(struct proc_scan *ps)
{
	free(ps->uses);
	memset(ps, 0, sizeof(*ps));
}

/* "fd", "map" or "fd,map". */
static const char *
how_text(unsigned how)
{
	if (how == (PROC_FD | PROC_MAP))
		return "fd,map";
	return how == PROC_FD ? "fd" : "map";
}

/*
 * A process's command line, its arguments apart by spaces, made safe; a
 * kernel thread's name where it has none.
 */
static void
proc_command(int pdfd, char *out)
{
	char buf[PROC_COMMAND_MAX];
	size_t n, i;

	n = proc_read(pdfd, "cmdline", buf, sizeof(buf));
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	if (n == 0) {
		n = proc_read(pdfd, "comm", buf, sizeof(buf));
		while (n > 0 && buf[n - 1] == '\n')
			n--;
	}
	safe_text(out, buf, n);
}

/* One row: a process that ended since the scan is left out. */
static void
proc_row(struct table *t, const struct proc_use *u, char *cmd)
{
	char path[64], user[64];
	struct libscols_line *ln;
	struct stat pst;
	int pdfd;

	snprintf(path, sizeof(path), "/proc/%d", (int)u->pid);
	if ((pdfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	proc_command(pdfd, cmd);
	if (fstat(pdfd, &pst) == -1 || proc_exiting(pdfd)) {
		close(pdfd);
		return;
	}
	close(pdfd);
	ln = table_row(t);
	table_setf(t, ln, 0, "%d", (int)u->pid);
	table_set(t, ln, 1, fmt_user(pst.st_uid, user, sizeof(user)));
	table_set(t, ln, 2, cmd);
	table_set(t, ln, 3, how_text(u->how));
}

/*
 * "OBJECT procs NAME": a row per process that uses the object st names,
 * PID, USER, COMMAND and HOW; a process that ends meanwhile is left out.
 * Exit 0, with no rows where none does.
 */
int
procs_print(const struct stat *st, const struct out_opts *opts)
{
	static const struct out_col cols[] = {
		{ "PID",	COL_NUM, true },
		{ "USER",	COL_STR, false },
		{ "COMMAND",	COL_STR, false },
		{ "HOW",	COL_STR, false },
	};
	struct proc_scan ps;
	struct table *t;
	char *cmd;
	size_t i;

	t = table_new("processes", cols, 4, opts);
	procs_scan(st, 1, &ps);
	if ((cmd = malloc(4 * PROC_COMMAND_MAX + 1)) == NULL)
		die(ENOMEM, NULL);
	for (i = 0; i < ps.n; i++)
		proc_row(t, &ps.uses[i], cmd);
	table_print(t);
	free(cmd);
	if (ps.partial)
		warnx("some processes could not be inspected: there may be "
		    "more (see PROCESSES in ipcctl(1))");
	procs_free(&ps);
	return 0;
}
