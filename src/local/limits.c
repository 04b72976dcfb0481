/*
 * The local backend's limits: what this platform supports and its
 * limits, the shell's view of posix_ipc's constants (ipcctl limits).
 */
#include <sys/resource.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <limits.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "local/local.h"

enum {
	L_PAGE_SIZE, L_SEM_VALUE_MAX, L_SEM_VALUE_SUPPORTED,
	L_SEM_TIMEOUT_SUPPORTED, L_MQ_SUPPORTED, L_MQ_PRIO_MAX,
	L_MQ_MSG_DEFAULT, L_MQ_MSGSIZE_DEFAULT, L_MQ_MSG_MAX,
	L_MQ_MSGSIZE_MAX, L_MQ_QUEUES_MAX, L_RLIMIT_MSGQUEUE,
	L_RLIMIT_MSGQUEUE_HARD, L_RLIMIT_MSGQUEUE_USED, L_USER_SIGNAL_MIN,
	L_USER_SIGNAL_MAX, L_SHM_DIR, L_SHM_SIZE, L_SHM_FREE, L_MQ_DIR,
	L_MQ_MOUNTED, L_NLIMITS
};

/* The column names are the --pairs keys; JSON has them in lower case. */
static const struct out_col limit_cols[L_NLIMITS] = {
	{ "PAGE_SIZE",			COL_BYTES, false },
	{ "SEM_VALUE_MAX",		COL_NUM,  false },
	{ "SEM_VALUE_SUPPORTED",	COL_BOOL, false },
	{ "SEM_TIMEOUT_SUPPORTED",	COL_BOOL, false },
	{ "MQ_SUPPORTED",		COL_BOOL, false },
	{ "MQ_PRIO_MAX",		COL_NUM,  false },
	{ "MQ_MSG_DEFAULT",		COL_NUM,  false },
	{ "MQ_MSGSIZE_DEFAULT",		COL_BYTES, false },
	{ "MQ_MSG_MAX",			COL_NUM,  false },
	{ "MQ_MSGSIZE_MAX",		COL_BYTES, false },
	{ "MQ_QUEUES_MAX",		COL_NUM,  false },
	{ "RLIMIT_MSGQUEUE",		COL_BYTES, false },
	{ "RLIMIT_MSGQUEUE_HARD",	COL_BYTES, false },
	{ "RLIMIT_MSGQUEUE_USED",	COL_BYTES, false },
	{ "USER_SIGNAL_MIN",		COL_NUM,  false },
	{ "USER_SIGNAL_MAX",		COL_NUM,  false },
	{ "SHM_DIR",			COL_STR,  false },
	{ "SHM_SIZE",			COL_BYTES, false },
	{ "SHM_FREE",			COL_BYTES, false },
	{ "MQ_DIR",			COL_STR,  false },
	{ "MQ_MOUNTED",			COL_BOOL, false },
};

static void
set_num(struct limits *l, int key, long long v)
{
	if (v >= 0 && asprintf(&l->v[key], "%lld", v) == -1)
		die(ENOMEM, NULL);
}

static void
set_str(struct limits *l, int key, const char *s)
{
	if (s != NULL && (l->v[key] = strdup(s)) == NULL)
		die(ENOMEM, NULL);
}

static void
set_bool(struct limits *l, int key, bool b)
{
	set_str(l, key, b ? "yes" : "no");
}

static void
set_rlim(struct limits *l, int key, rlim_t r)
{
	if (r == RLIM_INFINITY) {
		set_str(l, key, "unlimited");
		l->unlimited[key] = true;
	} else
		set_num(l, key, r > LLONG_MAX ? LLONG_MAX : (long long)r);
}

/*
 * Whether this kernel has POSIX message queues: the system call answers
 * EBADF for a descriptor that is no queue, ENOSYS where there are none.
 */
static bool
mq_supported(void)
{
#ifdef HAVE_MQ_OPEN
	struct mq_attr attr;

	return mq_getattr((mqd_t)-1, &attr) == 0 || errno != ENOSYS;
#else
	return false;
#endif
}

/*
 * An estimate of the bytes RLIMIT_MSGQUEUE counts for this user: the
 * kernel charges each queue's full capacity to its creator, and only the
 * queues /dev/mqueue shows and the caller may open are seen. -1 where
 * /dev/mqueue is not mounted.
 */
static long long
mq_used(void)
{
	struct ipc_list list;
	long long sum = 0, c;
	uid_t uid = getuid();
	size_t i;

	list_objects(&list, IPC_KIND_BIT(IPC_MQ));
	if (list.mq_errno != 0)
		sum = -1;
	for (i = 0; i < list.n && sum != -1; i++)
		if (list.entries[i].uid == uid &&
		    (c = queue_charge(&list.entries[i])) != -1)
			sum += c;
	list_free(&list);
	return sum;
}

/* This host's limits, for limits with no SCHEME:. */
int
local_limits(struct limits *l)
{
	static char *v[L_NLIMITS];
	static bool unlimited[L_NLIMITS];
	struct statvfs sv;
	struct rlimit rl;
	bool mq = mq_supported();

	*l = (struct limits){ limit_cols, L_NLIMITS, v, unlimited };

	set_num(l, L_PAGE_SIZE, sysconf(_SC_PAGESIZE));
	set_num(l, L_SEM_VALUE_MAX, sysconf(_SC_SEM_VALUE_MAX));
	/* sem_getvalue(3) is in every libc this builds with. */
	set_bool(l, L_SEM_VALUE_SUPPORTED, true);
#if defined(HAVE_SEM_CLOCKWAIT) || defined(HAVE_SEM_TIMEDWAIT)
	set_bool(l, L_SEM_TIMEOUT_SUPPORTED, true);
#else
	set_bool(l, L_SEM_TIMEOUT_SUPPORTED, false);
#endif
	set_bool(l, L_MQ_SUPPORTED, mq);
	if (mq) {
		set_num(l, L_MQ_PRIO_MAX, sysconf(_SC_MQ_PRIO_MAX));
		set_num(l, L_MQ_MSG_DEFAULT, queue_sysctl("msg_default"));
		set_num(l, L_MQ_MSGSIZE_DEFAULT, queue_sysctl("msgsize_default"));
		set_num(l, L_MQ_MSG_MAX, queue_sysctl("msg_max"));
		set_num(l, L_MQ_MSGSIZE_MAX, queue_sysctl("msgsize_max"));
		set_num(l, L_MQ_QUEUES_MAX, queue_sysctl("queues_max"));
		if (getrlimit(RLIMIT_MSGQUEUE, &rl) == 0) {
			set_rlim(l, L_RLIMIT_MSGQUEUE, rl.rlim_cur);
			set_rlim(l, L_RLIMIT_MSGQUEUE_HARD, rl.rlim_max);
		}
		set_num(l, L_RLIMIT_MSGQUEUE_USED, mq_used());
	}
	set_num(l, L_USER_SIGNAL_MIN, SIGRTMIN);
	set_num(l, L_USER_SIGNAL_MAX, SIGRTMAX);
	set_str(l, L_SHM_DIR, SHM_DIR);
	if (statvfs(SHM_DIR, &sv) == 0) {
		set_num(l, L_SHM_SIZE, (long long)sv.f_blocks * sv.f_frsize);
		set_num(l, L_SHM_FREE, (long long)sv.f_bavail * sv.f_frsize);
	}
	set_str(l, L_MQ_DIR, MQ_DIR);
	set_bool(l, L_MQ_MOUNTED, queue_mounted());
	return 0;
}
