/*
 * What this host shows of POSIX IPC: glibc keeps semaphores and segments
 * as files in /dev/shm ("sem.NAME" for semaphore /NAME), and Linux shows
 * queues as files of the mqueue file system, mounted on /dev/mqueue. All
 * that is Linux-specific about listing objects stays in this file.
 *
 * Listing must be safe on a directory anyone can write to: nothing but
 * regular files is looked at (no link followed, no fifo opened), and a
 * semaphore is never mapped. glibc's sem_open maps the file's first
 * sizeof(sem_t) bytes; a file cut shorter, even between our stat and the
 * map, would raise SIGBUS. A copy of those bytes, pread from the file, is
 * given to sem_getvalue instead: it only reads the value, in the layout
 * glibc knows and we need not, and the caller needs only read permission.
 */
#include <sys/stat.h>
#include <sys/statfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "local/local.h"

#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC	0x19800202	/* <linux/magic.h> */
#endif
#define KERNEL_MQ_PRIO_MAX	32768	/* the kernel's, not sysconf's */

static const int open_flags = O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;

/*
 * Open an entry found by readdir, without following a link or blocking
 * on a fifo, and only if it is still the regular file that was stat'ed.
 */
static int
open_entry(int dfd, const char *file, int access, struct stat *st)
{
	struct stat now;
	int fd;

	if ((fd = openat(dfd, file, access | open_flags)) == -1)
		return -1;
	if (fstat(fd, &now) == -1 || !S_ISREG(now.st_mode) ||
	    now.st_ino != st->st_ino || now.st_dev != st->st_dev) {
		close(fd);
		errno = ENOENT;
		return -1;
	}
	*st = now;
	return fd;
}

static bool
denied(int e)
{
	return e == EACCES || e == EPERM;
}

/* What an open says of an entry that is no regular file any more. */
static bool
gone(int e)
{
	return e == ENOENT || e == ELOOP || e == ENXIO;
}

/*
 * A semaphore's file is sizeof(sem_t) bytes, or longer with ipcctl's
 * holders ledger after it; any other file named sem.* is damaged.
 * Returns false where the file went away meanwhile.
 */
static bool
probe_sem(int dfd, const char *file, struct stat *st, struct ipc_entry *e)
{
	sem_t copy;
	int fd, value;

	if ((size_t)st->st_size < sizeof(sem_t)) {
		e->note = NOTE_DAMAGED;
		return true;
	}
	if ((fd = open_entry(dfd, file, O_RDONLY, st)) == -1) {
		if (denied(errno))
			e->note = NOTE_DENIED;
		return !gone(errno);
	}
	if ((size_t)st->st_size != sizeof(sem_t) &&
	    (e->holders = ledger_count(fd)) == -1)
		e->note = NOTE_DAMAGED;
	else if (pread(fd, &copy, sizeof(copy), 0) != sizeof(copy))
		e->note = NOTE_DAMAGED;		/* cut short meanwhile */
	else if (sem_getvalue(&copy, &value) == 0)
		e->value = value;
	close(fd);
	return true;
}

/*
 * A queue's file answers mq_getattr(2) and reads as one line of text
 * that starts with "QSIZE:", the bytes its messages hold. mq_getattr
 * works on a descriptor opened either way, so a queue its owner made
 * write-only is still looked at.
 */
static bool
probe_mq(int dfd, const char *file, struct stat *st, struct ipc_entry *e)
{
	struct mq_attr attr;
	char buf[128];
	ssize_t n;
	int fd;

	if ((fd = open_entry(dfd, file, O_RDONLY, st)) == -1 &&
	    denied(errno))
		fd = open_entry(dfd, file, O_WRONLY, st);
	if (fd == -1) {
		if (denied(errno))
			e->note = NOTE_DENIED;
		return !gone(errno);
	}
	if (mq_getattr(fd, &attr) == 0) {
		e->messages = attr.mq_curmsgs;
		e->max_messages = attr.mq_maxmsg;
		e->message_size = attr.mq_msgsize;
	}
	if ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		if (strncmp(buf, "QSIZE:", 6) == 0)
			e->size = strtoll(buf + 6, NULL, 10);
	}
	close(fd);
	return true;
}

/* After a probe, what its open saw: newer than the directory's stat. */
static void
set_stat(struct ipc_entry *e, const struct stat *st)
{
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	e->mode = st->st_mode;
	e->mtime = st->st_mtim;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
}

/*
 * Add the objects of one directory. Returns 0, or the errno of a
 * directory that could not be read.
 */
static int
read_dir(struct ipc_list *l, size_t *cap, const char *path, bool is_mq,
    unsigned kinds)
{
	struct ipc_entry *ent;
	struct dirent *d;
	struct statfs sf;
	struct stat st;
	enum ipc_kind kind;
	const char *name;
	DIR *dir;
	int dfd, e = 0;
	bool keep;

	if ((dir = opendir(path)) == NULL)
		return errno;
	dfd = dirfd(dir);
	/* Unmounted, /dev/mqueue is an empty directory: say so. */
	if (is_mq && (fstatfs(dfd, &sf) == -1 || sf.f_type != MQUEUE_MAGIC)) {
		closedir(dir);
		return ENOENT;
	}
	for (errno = 0; (d = readdir(dir)) != NULL; errno = 0) {
		if (d->d_type != DT_REG && d->d_type != DT_UNKNOWN)
			continue;
		if (fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		name = d->d_name;
		if (is_mq)
			kind = IPC_MQ;
		else if (strncmp(name, "sem.", 4) == 0 && name[4] != '\0') {
			kind = IPC_SEM;
			name += 4;
		} else
			kind = IPC_SHM;
		if (!(kinds & IPC_KIND_BIT(kind)))
			continue;
		ent = list_add(l, cap, kind, "/", name, strlen(name));
		if (kind == IPC_SEM)
			keep = probe_sem(dfd, d->d_name, &st, ent);
		else if (kind == IPC_MQ)
			keep = probe_mq(dfd, d->d_name, &st, ent);
		else {
			ent->size = st.st_size;
			keep = true;
		}
		if (!keep) {
			free(ent->name);
			l->n--;
			continue;
		}
		set_stat(ent, &st);
	}
	if (errno != 0)
		e = errno;
	closedir(dir);
	return e;
}

/* By type (semaphores, segments, queues), then by name, byte by byte. */
static int
entry_cmp(const void *a, const void *b)
{
	const struct ipc_entry *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * The objects of the kinds in the mask kinds (IPC_KIND_BIT), sorted. A
 * directory that could not be read leaves its errno in the list, ENOENT
 * for a /dev/mqueue that is missing or not mounted, and 0 is returned:
 * such a directory is a note beside the listing, not a failure.
 */
int
list_objects(struct ipc_list *l, unsigned kinds)
{
	size_t cap = 0;

	memset(l, 0, sizeof(*l));
	if (kinds & (IPC_KIND_BIT(IPC_SEM) | IPC_KIND_BIT(IPC_SHM)))
		l->shm_errno = read_dir(l, &cap, SHM_DIR, false, kinds);
	if (kinds & IPC_KIND_BIT(IPC_MQ))
		l->mq_errno = read_dir(l, &cap, MQ_DIR, true, kinds);
	if (l->n > 1)
		qsort(l->entries, l->n, sizeof(*l->entries), entry_cmp);
	return 0;
}

bool
queue_mounted(void)
{
	struct statfs sf;

	return statfs(MQ_DIR, &sf) == 0 && sf.f_type == MQUEUE_MAGIC;
}

/*
 * The bytes a queue counts against its creator's RLIMIT_MSGQUEUE, by
 * the kernel's formula (ipc/mqueue.c): each message slot costs a
 * struct msg_msg and, up to MQ_PRIO_MAX of them, a priority tree node,
 * both six words long, besides the message itself. -1 if unknown.
 */
long long
queue_charge(const struct ipc_entry *e)
{
	long long slots = e->max_messages;

	if (e->kind != IPC_MQ || slots < 0 || e->message_size < 0)
		return -1;
	return (slots + (slots < KERNEL_MQ_PRIO_MAX ? slots :
	    KERNEL_MQ_PRIO_MAX)) * 6 * (long long)sizeof(long) +
	    slots * e->message_size;
}
