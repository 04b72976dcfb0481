/*
 * The local queue backend: POSIX message queues (ipc-mq.c), always
 * non-blocking, every wait a ppoll(2) on the queue's descriptor. The mq
 * verbs reach a queue only through a struct mq_ops; this is its one
 * implementation today. Receiving is three steps the delivery engine
 * drives: take (here mq_receive), acknowledge once written (here
 * nothing: a taken message is gone), put back when the write failed
 * (here mq_send with its priority).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "local/local.h"

/*
 * attr: the sizes for a queue this call creates, or NULL: the defaults;
 * a size of 0 is this host's default (/proc/sys/fs/mqueue).
 */
/* The queue an mqobj stands for, and its put-back descriptor: one open
 * at a time in a process, reachable for its life. */
struct pmq {
	mqd_t		 q, back;
};
static struct pmq one_pmq;

static struct pmq *
mq(struct mqobj *m)
{
	return m->priv;
}

static int
local_open(struct mqobj *m, const char *name, const struct open_opts *o,
    int access, struct mq_attr *attr)
{
	m->priv = &one_pmq;
	if (attr != NULL && attr->mq_maxmsg == 0)
		attr->mq_maxmsg = queue_sysctl("msg_default");
	if (attr != NULL && attr->mq_msgsize == 0)
		attr->mq_msgsize = queue_sysctl("msgsize_default");
	m->name = name;
	mq(m)->back = (mqd_t)-1;
	if ((mq(m)->q = queue_open(name, o, access, attr)) != (mqd_t)-1)
		return 0;
	return (o->flags & O_CREAT) ? queue_create_error(errno, attr) : errno;
}

/* A receiver's second descriptor, write-only, for putting back. */
static int
local_open_put_back(struct mqobj *m)
{
	mq(m)->back = mq_open(m->name, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	return mq(m)->back == (mqd_t)-1 ? errno : 0;
}

static void
local_close(struct mqobj *m)
{
	mq_close(mq(m)->q);
	if (mq(m)->back != (mqd_t)-1)
		mq_close(mq(m)->back);
}

static int
local_attr(struct mqobj *m, struct mq_attr *attr)
{
	return mq_getattr(mq(m)->q, attr) == -1 ? errno : 0;
}

/* On Linux a queue is a descriptor on the mqueue file system. */
static int
local_info(struct mqobj *m, struct mq_attr *attr, struct stat *st)
{
	if (mq_getattr(mq(m)->q, attr) == -1 || fstat(mq(m)->q, st) == -1)
		return errno;
	return 0;
}

/* Send one message, waiting for room until the deadline. */
static int
local_send(struct mqobj *m, const char *msg, size_t len, unsigned prio,
    const struct deadline *d)
{
	int e;

	while (mq_send(mq(m)->q, msg, len, prio) == -1) {
		e = errno;
		if (e == EAGAIN && !d->once)
			e = queue_wait(mq(m)->q, POLLOUT, d, NULL);
		if (e != EINTR && e != 0)
			return e;
	}
	return 0;
}

/*
 * Take one message into buf (cap bytes), waiting until the deadline;
 * signals in mask's complement reach us only inside the wait, which they
 * end with EINTR. 0 with *len and *prio, or EAGAIN, ETIMEDOUT, EINTR, ...
 */
static int
local_take(struct mqobj *m, char *buf, size_t cap, size_t *len,
    unsigned *prio, const struct deadline *d, const sigset_t *mask)
{
	ssize_t n;
	int e;

	for (;;) {
		if ((n = mq_receive(mq(m)->q, buf, cap, prio)) >= 0) {
			*len = n;
			return 0;
		}
		if ((e = errno) == EINTR)
			continue;
		if (e != EAGAIN || d->once)
			return e;
		if ((e = queue_wait(mq(m)->q, POLLIN, d, mask)) != 0)
			return e;
	}
}

/* Messages written out: a local message was gone when it was taken. */
static int
local_acknowledge(struct mqobj *m, size_t n)
{
	(void)m;
	(void)n;
	return 0;
}

/*
 * Put a message back, waiting for room if senders filled the queue
 * meanwhile: a noted signal does not end this wait, since ending it would
 * lose the message (SIGKILL still can).
 */
static int
local_put_back(struct mqobj *m, const char *msg, size_t len, unsigned prio)
{
	static const struct deadline forever = { .forever = true };
	int e;

	while (mq_send(mq(m)->back, msg, len, prio) == -1) {
		if ((e = errno) == EAGAIN)
			e = queue_wait(mq(m)->back, POLLOUT, &forever, NULL);
		if (e != 0 && e != EINTR)
			return e;
	}
	return 0;
}

/*
 * Wait, taking nothing, until the queue holds a message: register for
 * the empty-to-non-empty notification (EBUSY: another process has), then
 * look, since a message that came before the registration sends none.
 */
static int
local_notify(struct mqobj *m, const struct deadline *d)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL,
	    .sigev_signo = SIGUSR1 };
	struct mq_attr attr;
	struct timespec left;
	sigset_t set, old;
	siginfo_t si;
	int sig, e = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	if (mq_notify(mq(m)->q, &sev) == -1 || mq_getattr(mq(m)->q, &attr) == -1)
		e = errno;
	while (e == 0 && attr.mq_curmsgs == 0) {
		if (d->once || (!d->forever && !deadline_left(d, &left))) {
			e = d->once ? EAGAIN : ETIMEDOUT;
			break;
		}
		sig = sigtimedwait(&set, &si, d->forever ? NULL : &left);
		/* A SIGUSR1 from kill(1) is not the queue's. */
		if (sig == SIGUSR1 && si.si_code == SI_MESGQ)
			break;
		if (sig == -1 && errno != EINTR && errno != EAGAIN)
			e = errno;
	}
	if (e != EBUSY)
		mq_notify(mq(m)->q, NULL);
	/*
	 * A message that came between registering and looking sent its
	 * signal too: take it before unblocking, or it would end us.
	 */
	while (sigtimedwait(&set, NULL, &(struct timespec){ 0, 0 }) != -1)
		continue;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return e;
}

static int
local_unlink(const char *name)
{
	return mq_unlink(name) == -1 ? errno : 0;
}

const struct mq_ops mqops_local = {
	.open = local_open,
	.open_put_back = local_open_put_back,
	.close = local_close,
	.attr = local_attr,
	.info = local_info,
	.send = local_send,
	.take = local_take,
	.acknowledge = local_acknowledge,
	.put_back = local_put_back,
	.notify = local_notify,
	.unlink = local_unlink,
};
