/*
 * The holders ledger: who holds a semaphore's tokens.
 *
 * glibc keeps semaphore NAME in /dev/shm/sem.NAME and maps only its first
 * sizeof(sem_t) bytes, so the ledger lives in the same file, from
 * LEDGER_OFF on: it has the semaphore's owner and permissions, goes with
 * sem_unlink, and is never an object of its own. Programs that know
 * nothing of it see a plain semaphore.
 *
 *	LEDGER_OFF	struct ledger_head	magic, version, slot count
 *	+ 64		struct ledger_slot[]	one per token held (pid 0: free)
 *
 * Every change is made under an open file description lock (F_OFD_SETLKW)
 * on the ledger's first byte: the kernel drops it when its holder dies, so
 * a process killed mid-update wedges nobody. A holder is its pid and its
 * start time (/proc/PID/stat, field 22), so a recycled pid is not it.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipcctl.h"

#define LEDGER_OFF	4096
#define LEDGER_MAGIC	"ipcctlH1"

struct ledger_head {
	char		magic[8];
	uint32_t	nslots;
	char		pad[52];
};

static int
lock(int fd, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET,
	    .l_start = LEDGER_OFF, .l_len = 1 };

	while (fcntl(fd, F_OFD_SETLKW, &fl) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

static void
unlock(int fd)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET,
	    .l_start = LEDGER_OFF, .l_len = 1 };

	fcntl(fd, F_OFD_SETLK, &fl);
}

/* The head, or 0 slots where there is no ledger (yet). */
static int
read_head(int fd, struct ledger_head *h)
{
	ssize_t n = pread(fd, h, sizeof(*h), LEDGER_OFF);

	if (n == -1)
		return -1;
	if (n != sizeof(*h) || memcmp(h->magic, LEDGER_MAGIC, 8) != 0)
		h->nslots = 0;
	if (h->nslots > LEDGER_MAX_SLOTS)
		h->nslots = LEDGER_MAX_SLOTS;
	return 0;
}

/*
 * The live slots into *slots (malloc'd); how many, 0 where the semaphore
 * has no ledger (*tracked false), -1 and errno on failure. locked: under
 * a read lock, so no half-written slot is seen.
 */
static int
slots_read(int fd, struct ledger_slot **slots, bool *tracked, bool locked)
{
	struct ledger_head h;
	struct ledger_slot *s = NULL;
	uint32_t i, n = 0;
	ssize_t len = 0;
	int e = 0;

	*slots = NULL;
	if (locked && lock(fd, F_RDLCK) == -1)
		return -1;
	if (read_head(fd, &h) == -1)
		e = errno;
	else if (h.nslots > 0 && (s = calloc(h.nslots, sizeof(*s))) == NULL)
		e = errno;
	else if (h.nslots > 0 && (len = pread(fd, s, h.nslots * sizeof(*s),
	    LEDGER_OFF + sizeof(h))) == -1)
		e = errno;
	if (locked)
		unlock(fd);
	if (e != 0) {
		free(s);
		errno = e;
		return -1;
	}
	*tracked = h.nslots > 0;
	for (i = 0; i < len / sizeof(*s); i++)
		if (s[i].pid != 0)
			s[n++] = s[i];
	*slots = s;
	return n;
}

int
ledger_read(int fd, struct ledger_slot **slots, bool *tracked)
{
	return slots_read(fd, slots, tracked, true);
}

/*
 * Holders recorded in a semaphore's file, for ls; -1 if it has no ledger.
 * It takes no lock: a listing must not hang on a semaphore whose ledger
 * someone holds locked (a stopped updater, or anyone who may write the
 * file), and a count read meanwhile is off by the one slot being changed.
 */
int
ledger_count(int fd)
{
	struct ledger_slot *s;
	bool tracked;
	int n;

	n = slots_read(fd, &s, &tracked, false);
	free(s);
	return n == -1 || !tracked ? -1 : n;
}

/*
 * A process's state letter and start time in clock ticks since boot, from
 * /proc/PID/stat; 0 where it cannot be read.
 */
static int
proc_stat(pid_t pid, uint64_t *start)
{
	char path[32], buf[1024], *p, state;
	unsigned long long ticks;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* comm (field 2) may hold spaces and ')': count from the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p, ") %c", &state) != 1)
		return 0;
	for (field = 2; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p + 1, "%llu", &ticks) != 1)
		return 0;
	*start = ticks;
	return state;
}

/* A live process's start time; 0 if it is gone (or a zombie). */
uint64_t
proc_start(pid_t pid)
{
	uint64_t start;
	int state = proc_stat(pid, &start);

	return state == 0 || state == 'Z' ? 0 : start;
}

/*
 * Dead: no such pid, a zombie (killed, not yet reaped), or a pid whose
 * start time is not the holder's. A process /proc will not show us
 * (hidepid, another pid namespace) is taken as alive: recovering a live
 * holder's token would break the count.
 */
bool
holder_alive(const struct ledger_slot *s)
{
	uint64_t start;
	int state;

	if (kill(s->pid, 0) == -1 && errno == ESRCH)
		return false;
	if ((state = proc_stat(s->pid, &start)) == 0)
		return true;
	return state != 'Z' && start == s->start;
}

/* PID's command line, arguments joined by spaces, cut to fit. */
static void
proc_cmdline(pid_t pid, char *out, size_t len)
{
	char path[32];
	ssize_t n, i;
	int fd;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = read(fd, out, len - 1);
	close(fd);
	if (n <= 0)
		n = 0;
	for (i = 0; i < n; i++)
		if (out[i] == '\0')
			out[i] = ' ';
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

void
command_line(char *const argv[], char *out, size_t len)
{
	size_t used = 0;
	int i;

	out[0] = '\0';
	for (i = 0; argv[i] != NULL && used + 1 < len; i++)
		used += snprintf(out + used, len - used, "%s%s", i ? " " : "",
		    argv[i]);
}

/*
 * Record pid, started at start (0: look it up), as holding one token;
 * cmd NULL: read it from /proc. 0, or an errno (ESRCH: pid is gone).
 */
int
ledger_add(int fd, pid_t pid, uint64_t start, const char *cmd)
{
	struct ledger_head h;
	struct ledger_slot s, cur;
	struct timespec now;
	uint32_t i;
	int e = 0;

	memset(&s, 0, sizeof(s));
	s.pid = pid;
	if ((s.start = start != 0 ? start : proc_start(pid)) == 0)
		return ESRCH;
	clock_gettime(CLOCK_REALTIME, &now);
	s.since = now.tv_sec;
	if (cmd != NULL)
		snprintf(s.command, sizeof(s.command), "%s", cmd);
	else
		proc_cmdline(pid, s.command, sizeof(s.command));

	if (lock(fd, F_WRLCK) == -1)
		return errno;
	if (read_head(fd, &h) == -1)
		goto fail;
	for (i = 0; i < h.nslots; i++) {
		if (pread(fd, &cur, sizeof(cur), LEDGER_OFF + sizeof(h) +
		    i * sizeof(cur)) != sizeof(cur))
			goto fail;
		if (cur.pid == 0)
			break;
	}
	if (i == LEDGER_MAX_SLOTS) {
		e = ENOSPC;
		goto out;
	}
	if (pwrite(fd, &s, sizeof(s), LEDGER_OFF + sizeof(h) +
	    i * sizeof(s)) != sizeof(s))
		goto fail;
	if (i == h.nslots) {
		/* The slot is written before the head counts it. */
		memcpy(h.magic, LEDGER_MAGIC, 8);
		h.nslots = i + 1;
		if (pwrite(fd, &h, sizeof(h), LEDGER_OFF) != sizeof(h))
			goto fail;
	}
	goto out;
fail:
	e = errno;
out:
	unlock(fd);
	return e;
}

/*
 * Remove the slots chosen by pick (up to max of them) and call done for
 * each after it is removed -- removed first, so that a crash in between
 * can lose a token but never give one twice. Returns how many, or -1.
 */
int
ledger_remove(int fd, bool (*pick)(const struct ledger_slot *, void *),
    void (*done)(const struct ledger_slot *, void *), void *arg, int max)
{
	static const struct ledger_slot empty;
	struct ledger_head h;
	struct ledger_slot s;
	uint32_t i;
	int n = 0;

	if (lock(fd, F_WRLCK) == -1)
		return -1;
	if (read_head(fd, &h) == -1)
		goto fail;
	for (i = 0; i < h.nslots && n < max; i++) {
		off_t off = LEDGER_OFF + sizeof(h) + i * sizeof(s);

		if (pread(fd, &s, sizeof(s), off) != sizeof(s))
			goto fail;
		if (s.pid == 0 || !pick(&s, arg))
			continue;
		if (pwrite(fd, &empty, sizeof(empty), off) != sizeof(empty))
			goto fail;
		n++;
		if (done != NULL)
			done(&s, arg);
	}
	unlock(fd);
	return n;
fail:
	unlock(fd);
	return -1;
}
