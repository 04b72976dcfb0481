/*
 * Message queues: open or create with exactly the mode asked for, errors
 * that name the limit that was hit, and waits on the monotonic clock.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "local/local.h"

/* -1 where the file cannot be read. */
long
queue_sysctl(const char *name)
{
	char path[64], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/fs/mqueue/%s", name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * Queues are always non-blocking: every wait is a ppoll(2) on the queue's
 * descriptor, which takes a monotonic timeout and a signal mask, where
 * mq_timedreceive takes only wall-clock time and no mask.
 */
mqd_t
queue_open(const char *name, const struct open_opts *o, int access,
    struct mq_attr *attr)
{
	mode_t old;
	mqd_t q;

	if (!(o->flags & O_CREAT))
		return mq_open(name, access | O_NONBLOCK | O_CLOEXEC);
	old = umask(0);
	q = mq_open(name, access | o->flags | O_NONBLOCK | O_CLOEXEC, o->mode,
	    attr);
	umask(old);
	return q;
}

/*
 * A create that failed with e: E_LIMIT naming the limit it hit where that
 * was the cause (posix_ipc says "too many open files" for a full
 * RLIMIT_MSGQUEUE), else e.
 */
int
queue_create_error(int e, const struct mq_attr *attr)
{
	struct rlimit rl;
	long max;

	if (e == EINVAL && attr != NULL) {
		if ((max = queue_sysctl("msg_max")) != -1 && attr->mq_maxmsg > max)
			return error_set(E_LIMIT, "%ld messages is more than the "
			    "system allows (%ld, /proc/sys/fs/mqueue/msg_max)",
			    attr->mq_maxmsg, max);
		if ((max = queue_sysctl("msgsize_max")) != -1 &&
		    attr->mq_msgsize > max)
			return error_set(E_LIMIT, "a message size of %ld bytes "
			    "is more than the system allows (%ld, "
			    "/proc/sys/fs/mqueue/msgsize_max)",
			    attr->mq_msgsize, max);
	}
	if (e == EMFILE && getrlimit(RLIMIT_MSGQUEUE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY)
		return error_set(E_LIMIT, "the queue would pass this user's "
		    "RLIMIT_MSGQUEUE (%ju bytes for all queues, ulimit -q)",
		    (uintmax_t)rl.rlim_cur);
	if (e == ENOSPC && (max = queue_sysctl("queues_max")) != -1)
		return error_set(E_LIMIT, "the system's %ld queues are all in "
		    "use (/proc/sys/fs/mqueue/queues_max)", max);
	return e;
}

/*
 * Wait until the queue is readable (POLLIN) or writable (POLLOUT), the
 * deadline passes (ETIMEDOUT) or a signal unblocked by mask arrives
 * (EINTR). 0 when ready.
 */
int
queue_wait(mqd_t q, short events, const struct deadline *d,
    const sigset_t *mask)
{
	struct pollfd p = { q, events, 0 };
	struct timespec left;

	for (;;) {
		if (!d->forever && !deadline_left(d, &left))
			return ETIMEDOUT;
		if (ppoll(&p, 1, d->forever ? NULL : &left, mask) == -1) {
			if (errno == EINTR && mask == NULL)
				continue;
			return errno;
		}
		if (p.revents != 0)
			return 0;
	}
}
