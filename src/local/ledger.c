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
 * sem run records itself before it waits, as waiting, and says it holds
 * the token with one write once the kernel gave it (ledger_took): a
 * waiting entry holds no token, and none goes back when it is removed.
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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "local/local.h"

#define LEDGER_OFF	4096
#define LEDGER_MAGIC	"ipcctlH1"
#define SLOTS_OFF	(LEDGER_OFF + sizeof(struct ledger_head))
/*
 * The last run of --once-per or --once-key: in the first page, far past
 * the sem_t that glibc uses, and before the ledger, which is always made
 * first (a run's entry is written before its record).
 */
#define RECORD_OFF	2048
#define RECORD_MAGIC	"ipcctlR1"

struct record_disk {
	char		 magic[8];
	struct run_record r;
};

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
			return errno;
	return 0;
}

static void
unlock(int fd)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET,
	    .l_start = LEDGER_OFF, .l_len = 1 };

	fcntl(fd, F_OFD_SETLK, &fl);
}

/* An I/O error on the ledger, said as such. */
static int
io_error(int e)
{
	return error_set(e, "holders ledger: %s", strerror(e));
}

/*
 * Every slot into *slots (malloc'd, NULL where none), their count into
 * *nslots: 0 where the semaphore has no ledger (yet). A head that counts
 * more slots than there can be, or than the file holds, is a corrupt
 * ledger. Call under a lock, except where a count that may be off by one
 * is good enough.
 */
static int
slots_load(int fd, struct ledger_slot **slots, uint32_t *nslots)
{
	struct ledger_head h;
	struct ledger_slot *s;
	struct stat st;
	size_t got;
	int e;

	*slots = NULL;
	*nslots = 0;
	if ((e = io_read(fd, &h, sizeof(h), LEDGER_OFF, &got)) != 0)
		return io_error(e);
	if (got != sizeof(h) || memcmp(h.magic, LEDGER_MAGIC, 8) != 0)
		return 0;
	if (h.nslots > LEDGER_MAX_SLOTS)
		return error_set(E_DAMAGED, "corrupt holders ledger: %u "
		    "slots, at most %d", h.nslots, LEDGER_MAX_SLOTS);
	if (fstat(fd, &st) == -1)
		return errno;
	if ((uintmax_t)st.st_size < SLOTS_OFF + h.nslots * sizeof(*s))
		return error_set(E_DAMAGED, "corrupt holders ledger: %u "
		    "slots, but the file ends at byte %jd", h.nslots,
		    (intmax_t)st.st_size);
	if (h.nslots == 0)
		return 0;
	if ((s = calloc(h.nslots, sizeof(*s))) == NULL)
		return errno;
	if ((e = io_read(fd, s, h.nslots * sizeof(*s), SLOTS_OFF, &got))
	    != 0 || got != h.nslots * sizeof(*s)) {
		free(s);
		return e != 0 ? io_error(e) : error_set(E_DAMAGED, "corrupt "
		    "holders ledger: cut short while it was read");
	}
	*nslots = h.nslots;
	*slots = s;
	return 0;
}

/*
 * The holders recorded beside a semaphore into *slots (malloc'd), their
 * count into *n; *tracked false where it has no ledger. Under a read
 * lock, so no half-written slot is seen. 0 or an error code.
 */
int
ledger_read(int fd, struct ledger_slot **slots, uint32_t *n, bool *tracked)
{
	uint32_t i, nslots;
	int e;

	if ((e = lock(fd, F_RDLCK)) != 0)
		return io_error(e);
	e = slots_load(fd, slots, &nslots);
	unlock(fd);
	*tracked = nslots > 0;
	for (*n = i = 0; i < nslots; i++)
		if ((*slots)[i].pid != 0 && !(*slots)[i].waiting)
			(*slots)[(*n)++] = (*slots)[i];
	return e;
}

/*
 * Holders recorded in a semaphore's file, for ls; -1 if it has no ledger
 * or a damaged one. It takes no lock: a listing must not hang on a
 * semaphore whose ledger someone holds locked (a stopped updater, or
 * anyone who may write the file), and a count read meanwhile is off by
 * the one slot being changed.
 */
int
ledger_count(int fd)
{
	struct ledger_slot *s;
	uint32_t i, nslots;
	int e, n = 0;

	if ((e = slots_load(fd, &s, &nslots)) != 0 || nslots == 0)
		n = -1;
	for (i = 0; i < nslots; i++)
		n += s[i].pid != 0 && !s[i].waiting;
	free(s);
	return n;
}


/*
 * Record s as holding one token. A slot becomes live only when its pid
 * is written, after the rest of it, and the head counts a new slot only
 * after that; a write that fails midway (a full disk, a file size limit)
 * leaves no entry behind. 0 or an error code.
 */
int
ledger_add(int fd, const struct ledger_slot *s, off_t *at)
{
	static const int32_t nopid;
	struct ledger_head h;
	struct ledger_slot *all, body = *s;
	uint32_t i, nslots;
	off_t off;
	int e;

	if ((e = lock(fd, F_WRLCK)) != 0)
		return io_error(e);
	if ((e = slots_load(fd, &all, &nslots)) != 0)
		goto out;
	for (i = 0; i < nslots && all[i].pid != 0; i++)
		continue;
	free(all);
	if (i == LEDGER_MAX_SLOTS) {
		e = error_set(ENOSPC, "holders ledger: all %d slots are taken",
		    LEDGER_MAX_SLOTS);
		goto out;
	}
	off = SLOTS_OFF + i * sizeof(body);
	body.pid = 0;
	if ((e = io_write(fd, &body, sizeof(body), off, NULL)) != 0 ||
	    (e = io_write(fd, &s->pid, sizeof(s->pid), off, NULL)) != 0) {
		e = io_error(e);
		goto out;
	}
	if (i == nslots) {
		memset(&h, 0, sizeof(h));
		memcpy(h.magic, LEDGER_MAGIC, 8);
		h.nslots = i + 1;
		if ((e = io_write(fd, &h, sizeof(h), LEDGER_OFF, NULL)) != 0) {
			io_write(fd, &nopid, sizeof(nopid), off, NULL);
			e = io_error(e);
		}
	}
	if (e == 0 && at != NULL)
		*at = off;
out:
	unlock(fd);
	return e;
}

/*
 * The waiting entry at offset at, ours, holds its token from now on: two
 * writes and no lock, so that as little time as can be passes between
 * the kernel giving the token and the ledger saying so. No other process
 * removes or changes the entry of a waiter that lives. 0 or an error.
 */
int
ledger_took(int fd, off_t at)
{
	static const int32_t held;
	int64_t now = time(NULL);
	int e;

	if ((e = io_write(fd, &now, sizeof(now), at + offsetof(struct
	    ledger_slot, since), NULL)) != 0 || (e = io_write(fd, &held,
	    sizeof(held), at + offsetof(struct ledger_slot, waiting), NULL))
	    != 0)
		return io_error(e);
	return 0;
}

/*
 * sem run's entry (pid, started at start) gains its guard and COMMAND.
 * Called in COMMAND's process between vfork and exec: system calls only,
 * one slot read at a time. 0 or an error code; ESRCH where no entry.
 */
int
ledger_note(int fd, pid_t pid, uint64_t start, pid_t guard,
    uint64_t guard_start, pid_t cmd, uint64_t cmd_start)
{
	struct ledger_head h;
	struct ledger_slot s;
	uint32_t i;
	size_t got;
	off_t off;
	int e;

	if ((e = lock(fd, F_WRLCK)) != 0)
		return e;
	e = io_read(fd, &h, sizeof(h), LEDGER_OFF, &got);
	if (e == 0 && (got != sizeof(h) || memcmp(h.magic, LEDGER_MAGIC, 8)))
		h.nslots = 0;
	for (i = 0, e = e ? e : ESRCH; e == ESRCH && i < h.nslots &&
	    i < LEDGER_MAX_SLOTS; i++) {
		off = SLOTS_OFF + i * sizeof(s);
		if ((e = io_read(fd, &s, sizeof(s), off, &got)) != 0 ||
		    got != sizeof(s))
			break;
		if (s.pid != pid || s.start != start) {
			e = ESRCH;
			continue;
		}
		s.guard = guard;
		s.guard_start = guard_start;
		s.cmd = cmd;
		s.cmd_start = cmd_start;
		e = io_write(fd, &s, sizeof(s), off, NULL);
	}
	unlock(fd);
	return e;
}

/*
 * Remove the entries chosen by pick (up to max of them) and call done for
 * each as soon as it is removed, still under the lock -- removed first,
 * so that a crash in between can lose a token but never give one twice,
 * and nothing between the two that could wait or wake another process:
 * done gives a token back, and the sem run it wakes says it holds it
 * without the lock (ledger_took). How many into *n; 0 or an error code.
 */
int
ledger_remove(int fd, bool (*pick)(const struct ledger_slot *, void *),
    void (*done)(const struct ledger_slot *, void *), void *arg, int max,
    int *n)
{
	static const int32_t nopid;
	struct ledger_slot *all;
	uint32_t i, nslots;
	int e;

	*n = 0;
	if ((e = lock(fd, F_WRLCK)) != 0)
		return io_error(e);
	if ((e = slots_load(fd, &all, &nslots)) != 0)
		goto out;
	for (i = 0; i < nslots && *n < max; i++) {
		off_t off = SLOTS_OFF + i * sizeof(*all);
		struct ledger_slot *s = &all[i];

		if (s->pid == 0 || !pick(s, arg))
			continue;
		if ((e = io_write(fd, &nopid, sizeof(nopid), off, NULL)) != 0) {
			e = io_error(e);
			break;
		}
		(*n)++;
		if (done != NULL)
			done(s, arg);
	}
	free(all);
out:
	unlock(fd);
	return e;
}

/*
 * The last run on record into *r; ENOENT where there is none. alive: it
 * runs, and its runner lives.
 */
static int
record_read(int fd, struct run_record *r)
{
	struct record_disk d;
	size_t got;
	int e;

	if ((e = io_read(fd, &d, sizeof(d), RECORD_OFF, &got)) != 0)
		return io_error(e);
	if (got != sizeof(d) || memcmp(d.magic, RECORD_MAGIC, 8) != 0)
		return ENOENT;
	*r = d.r;
	r->once[sizeof(r->once) - 1] = r->host[sizeof(r->host) - 1] = '\0';
	r->alive = r->status == RUN_RUNNING && proc_alive(r->pid,
	    r->pid_start);
	r->rev = 0;
	return 0;
}

int
ledger_once_get(int fd, struct run_record *r)
{
	int e;

	if ((e = lock(fd, F_RDLCK)) != 0)
		return io_error(e);
	e = record_read(fd, r);
	unlock(fd);
	return e;
}

/* The same run: what the record keeps, the judgement aside. */
static bool
same_run(const struct run_record *a, const struct run_record *b)
{
	return strcmp(a->once, b->once) == 0 && strcmp(a->host, b->host) == 0 &&
	    a->pid == b->pid && a->pid_start == b->pid_start &&
	    a->status == b->status && a->start == b->start &&
	    a->end == b->end;
}

/* Record r where the record on file is still seen (NULL: none). */
int
ledger_once_put(int fd, const struct run_record *r,
    const struct run_record *seen)
{
	struct record_disk d;
	struct run_record now;
	int e;

	if ((e = lock(fd, F_WRLCK)) != 0)
		return io_error(e);
	e = record_read(fd, &now);
	if (e == ENOENT ? seen != NULL : e == 0 && (seen == NULL ||
	    !same_run(&now, seen)))
		e = EAGAIN;
	else if (e == 0 || e == ENOENT) {
		memset(&d, 0, sizeof(d));
		memcpy(d.magic, RECORD_MAGIC, 8);
		d.r = *r;
		d.r.alive = false;
		d.r.rev = 0;
		if ((e = io_write(fd, &d, sizeof(d), RECORD_OFF, NULL)) != 0)
			e = io_error(e);
	}
	unlock(fd);
	return e;
}
