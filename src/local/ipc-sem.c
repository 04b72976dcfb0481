/*
 * Semaphores: glibc keeps semaphore NAME in the file /dev/shm/sem.NAME and
 * its sem_t in the first bytes. ipcctl opens and maps that file itself,
 * so that what stands there is checked first (a FIFO, a file too short),
 * and any fault on the mapping -- the file cut short by someone else,
 * even in the middle of a wait -- is an error, not a SIGBUS. The sem_*
 * calls then work on the mapping as they do on what sem_open returns.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "local/local.h"

#define WHAT	"a semaphore"

/*
 * The fault guard: a SIGBUS on the page the semaphore is mapped at (its
 * file was cut short) puts a private zero page in its place, notes it,
 * and lets the faulting call go on, harmlessly, on that page; each psem
 * call looks at the note when it returns. Jumping out of the fault
 * instead would run glibc's cleanup of the wait, which faults again. A
 * fault anywhere else is not ours: the handler steps aside and the fault
 * kills as before. Process-wide state, as a signal handler must have.
 */
static char *volatile guard_page;
static volatile size_t guard_size;
static volatile sig_atomic_t guard_hit;

static void
guard_fault(int sig, siginfo_t *si, void *uc)
{
	char *a = si->si_addr, *pg = guard_page;

	(void)uc;
	if (pg != NULL && a >= pg && a < pg + guard_size &&
	    mmap(pg, guard_size, PROT_READ | PROT_WRITE, MAP_FIXED |
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED) {
		guard_hit = 1;
		return;
	}
	signal(sig, SIG_DFL);
}

static void
guard_arm(void *page)
{
	static bool installed;
	struct sigaction sa;

	if (!installed) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = guard_fault;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGBUS, &sa, NULL);
		installed = true;
	}
	guard_size = getpagesize();
	guard_hit = 0;
	guard_page = page;
}

/* After a fault: what the file is now. */
static int
damaged(const struct psem *p)
{
	struct stat st;
	int e;

	if ((e = file_check(p->fd, WHAT, sizeof(sem_t), &st)) != 0)
		return e;
	return error_set(E_DAMAGED, "was cut short while in use, not "
	    "%s", WHAT);
}

/* The file behind semaphore NAME, opened as file.c says. */
int
psem_file(const char *name, int access)
{
	char path[sizeof(SHM_DIR "/sem.") + IPC_NAME_BUF];

	snprintf(path, sizeof(path), SHM_DIR "/sem.%s", name + 1);
	return open(path, access | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
}

/*
 * Open semaphore name (canonical) into p, with access O_RDONLY (to look)
 * or O_RDWR. With O_CREAT in o, sem_open makes it -- atomically, with
 * exactly o->mode, and value only if this call creates it -- and the file
 * is then opened as any other. 0 or an error code.
 */
int
psem_open(struct psem *p, const char *name, const struct open_opts *o,
    unsigned value, int access)
{
	struct stat st;
	mode_t old;
	sem_t *s;
	void *map;
	int e;

	p->sem = NULL;
	if (o->flags & O_CREAT) {
		old = umask(0);
		s = sem_open(name, o->flags, o->mode, value);
		umask(old);
		if (s != SEM_FAILED)
			sem_close(s);
		else if (errno != ENODEV && errno != EISDIR)
			return errno;	/* else: see what stands there */
	}
	if ((p->fd = psem_file(name, access)) == -1)
		return file_open_error(errno, WHAT);
	if ((e = file_check(p->fd, WHAT, sizeof(sem_t), &st)) != 0)
		goto fail;
	map = mmap(NULL, sizeof(sem_t), PROT_READ |
	    (access == O_RDWR ? PROT_WRITE : 0), MAP_SHARED, p->fd, 0);
	if (map == MAP_FAILED) {
		e = errno;
		goto fail;
	}
	p->sem = map;
	guard_arm(map);
	return 0;
fail:
	close(p->fd);
	p->fd = -1;
	return e;
}

void
psem_close(struct psem *p)
{
	if (p->sem != NULL) {
		guard_page = NULL;
		munmap(p->sem, sizeof(sem_t));
	}
	if (p->fd != -1)
		close(p->fd);
	p->sem = NULL;
	p->fd = -1;
}

/*
 * One wait, until the deadline or the end of a slice of it. Waits are cut
 * in slices of a second: a wait whose file is cut short sleeps where no
 * post can reach it, and the end of a slice touches the mapping again.
 */
static int
wait_slice(sem_t *s, const struct deadline *d, bool *last)
{
	struct timespec at;

	if (d->once) {
		*last = true;
		return sem_trywait(s);
	}
	*last = deadline_slice(d, 1, &at);
#ifdef HAVE_SEM_CLOCKWAIT
	return sem_clockwait(s, CLOCK_MONOTONIC, &at);
#else
	{
		struct timespec mono, real;

		clock_gettime(CLOCK_MONOTONIC, &mono);
		clock_gettime(CLOCK_REALTIME, &real);
		timespecsub(&at, &mono, &at);
		timespecadd(&real, &at, &at);
		return sem_timedwait(s, &at);
	}
#endif
}

/*
 * Decrement, waiting until the deadline. 0 once decremented, else the
 * error: EAGAIN, ETIMEDOUT, E_DAMAGED, or EINTR when a signal the caller
 * asked to note (signals_note) came.
 */
int
psem_wait(struct psem *p, const struct deadline *d)
{
	bool last;
	int r;

	while ((r = wait_slice(p->sem, d, &last)) == -1 && !guard_hit &&
	    ((errno == ETIMEDOUT && !last) ||
	    (errno == EINTR && signal_noted() == 0)))
		continue;
	if (guard_hit)
		return damaged(p);
	return r == 0 ? 0 : errno;
}

/* Increment: 0, or EOVERFLOW past SEM_VALUE_MAX, E_DAMAGED, ... */
int
psem_post(struct psem *p)
{
	int r = sem_post(p->sem) == 0 ? 0 : errno;

	return guard_hit ? damaged(p) : r;
}

int
psem_value(struct psem *p, int *value)
{
	int r = sem_getvalue(p->sem, value) == 0 ? 0 : errno;

	return guard_hit ? damaged(p) : r;
}
