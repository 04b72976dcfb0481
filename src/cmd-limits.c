/*
 * ipcctl limits: what this platform supports and its limits, the shell's
 * view of posix_ipc's constants.
 *
 * People read a KEY VALUE list; scripts get every limit typed: --json is
 * one object, so "jq .sem_value_max" is a number, and --pairs is one line
 * a script can eval.
 */
#include <sys/resource.h>
#include <sys/statvfs.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipcctl.h"
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
		die(errno, NULL);
}

static void
set_str(struct limits *l, int key, const char *s)
{
	if (s != NULL && (l->v[key] = strdup(s)) == NULL)
		die(errno, NULL);
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

/* This host's limits. */
static void
gather(struct limits *l)
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
}

/* A key as JSON has it: the column's name in lower case. */
static void
json_key(const char *name, char key[32])
{
	size_t j;

	for (j = 0; name[j] != '\0' && j < 31; j++)
		key[j] = tolower((unsigned char)name[j]);
	key[j] = '\0';
}

/*
 * One JSON object, not libsmartcols' {"limits":[{...}]}: there is one
 * of each limit, and jq .page_size reads better than .limits[0]. Laid
 * out as libsmartcols lays out JSON; null for unknown and "unlimited".
 */
static void
print_json(const struct limits *l)
{
	char key[32], *safe, *esc;
	long long v;
	size_t i, len;

	printf("{");
	for (i = 0; i < l->n; i++) {
		json_key(l->cols[i].name, key);
		printf("%s\n   \"%s\": ", i == 0 ? "" : ",", key);
		if (l->v[i] == NULL || l->unlimited[i])
			printf("null");
		else if (l->cols[i].type == COL_BOOL)
			printf("%s", strcmp(l->v[i], "yes") == 0 ? "true" :
			    "false");
		else if (l->cols[i].type != COL_STR &&
		    parse_int(l->v[i], LLONG_MIN, LLONG_MAX, &v) == NULL)
			printf("%lld", v);
		else {
			/* Text from elsewhere (a cluster's version): safe. */
			len = strlen(l->v[i]);
			if ((safe = malloc(4 * len + 1)) == NULL ||
			    (esc = malloc(6 * 4 * len + 1)) == NULL)
				die(ENOMEM, NULL);
			safe_text(safe, l->v[i], len);
			esc[json_escape((unsigned char *)safe, strlen(safe),
			    esc)] = '\0';
			printf("\"%s\"", esc);
			free(safe);
			free(esc);
		}
	}
	printf("\n}\n");
}

/* One row, a typed column per limit: pairs, one line to eval. */
static void
print_row(const struct limits *l, const struct out_opts *out)
{
	struct libscols_line *ln;
	struct table *t;
	size_t i;

	t = table_new("limits", l->cols, l->n, out);
	ln = table_row(t);
	for (i = 0; i < l->n; i++)
		table_set(t, ln, i, l->v[i]);
	table_print(t);
}

/* KEY VALUE rows, the keys as JSON has them; sizes as 8K unless -b. */
static void
print_list(const struct limits *l, const struct out_opts *out)
{
	static const struct out_col cols[] = {
		{ "KEY",	COL_STR, false },
		{ "VALUE",	COL_STR, false },
	};
	struct libscols_line *ln;
	struct table *t;
	char key[32], size[SIZE_BUF];
	long long v;
	size_t i;

	t = table_new("limits", cols, 2, out);
	for (i = 0; i < l->n; i++) {
		json_key(l->cols[i].name, key);
		ln = table_row(t);
		table_set(t, ln, 0, key);
		if (l->cols[i].type == COL_BYTES && output_human(out) &&
		    l->v[i] != NULL && parse_int(l->v[i], 0, LLONG_MAX, &v) ==
		    NULL)
			table_set(t, ln, 1, fmt_size(v, size));
		else
			table_set(t, ln, 1, l->v[i]);
	}
	table_print(t);
}

const struct opt opts_limits[] = { OPT_BYTES_DEF, OPTS_OUTPUT, { 0 } };

int
cmd_limits(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	const struct backend *b = NULL;
	struct out_opts out = { 0 };
	struct limits l;
	struct args a;
	const char *arg;
	size_t i;
	int ch;

	args_init(&a, argc, argv, obj, verb);
	while ((ch = args_next(&a, &arg)) != -1) {
		if (output_opt(ch, &out))
			continue;
		/* SCHEME (etcd:): the limits of what keeps such names. */
		if (ch == 1 && b == NULL && backend_scheme(arg) != NULL)
			b = backend_for(arg);
		else if (ch == 1)
			usage_error(obj, verb, "unexpected operand: %s", arg);
		else
			args_bad(&a, '?');
	}
	if (b != NULL && b->limits != NULL)
		b->limits(&l);
	else
		gather(&l);
	if (out.format == OUT_JSON)
		print_json(&l);
	else if (out.format == OUT_PAIRS)
		print_row(&l, &out);
	else
		print_list(&l, &out);
	for (i = 0; i < l.n; i++)
		free(l.v[i]);
	return 0;
}
