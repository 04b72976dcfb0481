/*
 * Semaphores: open or create with exactly the mode asked for, and wait
 * against a monotonic deadline.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "ipcctl.h"

/* SEM_FAILED and errno on failure; value counts only if this call creates. */
sem_t *
sem_open_opts(const char *name, const struct open_opts *o, unsigned value)
{
	mode_t old;
	sem_t *s;

	if (!(o->flags & O_CREAT))
		return sem_open(name, 0);
	old = umask(0);
	s = sem_open(name, o->flags, o->mode, value);
	umask(old);
	return s;
}

/*
 * 0 once decremented, else the errno: EAGAIN, ETIMEDOUT, or EINTR when a
 * signal the caller asked to note (signals_note) came.
 */
int
sem_wait_deadline(sem_t *s, const struct deadline *d)
{
	int r;

	do {
		if (d->once)
			r = sem_trywait(s);
		else if (d->forever)
			r = sem_wait(s);
		else {
#ifdef HAVE_SEM_CLOCKWAIT
			r = sem_clockwait(s, CLOCK_MONOTONIC, &d->at);
#else
			struct timespec abs, left;

			deadline_realtime(d, &abs);
			r = sem_timedwait(s, &abs);
			if (r == -1 && errno == ETIMEDOUT &&
			    deadline_left(d, &left))
				errno = EINTR;
#endif
		}
	} while (r == -1 && errno == EINTR && signal_noted() == 0);
	return r == 0 ? 0 : errno;
}

/*
 * The file behind semaphore NAME: glibc keeps it in /dev/shm/sem.NAME.
 * info stats it; the holders ledger lives in it.
 */
int
sem_file_open(const char *name, int access)
{
	char path[sizeof("/dev/shm/sem.") + IPC_NAME_BUF];

	snprintf(path, sizeof(path), "/dev/shm/sem.%s", name + 1);
	return open(path, access | O_CLOEXEC | O_NOFOLLOW);
}
