/*
 * ipcctl sem: named semaphores.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipcctl.h"
#include "local/local.h"

/* What the verbs that open a semaphore share. */
struct sem_opts {
	struct verb_opts	 v;
	long long		 value;		/* -v: value if created; -1: none */
	pid_t			 holder;	/* --holder PID, or 0 */
	bool			 recover;	/* --recover */
	const char		*host;		/* recover --host H */
	long			 lease_ms;	/* --lease T, or 0 */
};

enum { OPT_HOLDER = OPT_LONG_ONLY + 0x10, OPT_RECOVER, OPT_LEASE, OPT_HOST,
    OPT_ONCE_PER, OPT_ONCE_KEY };

static void
so_init(struct sem_opts *so, int argc, char *argv[],
    const struct object *obj, const struct verb *verb)
{
	memset(so, 0, sizeof(*so));
	so->value = -1;
	verb_opts_init(&so->v, argc, argv, obj, verb);
}

/* --lease T: a time of whole milliseconds, at least 2 s (a lease's floor). */
static void
so_lease(struct sem_opts *so, const char *arg)
{
	struct args *a = &so->v.args;
	struct timespec ts;
	const char *errstr;

	if ((errstr = parse_duration(arg, &ts)) != NULL)
		usage_error(a->obj, a->verb, "lease %s: %s", arg, errstr);
	if (ts.tv_sec < 2 || ts.tv_sec > 86400 * 365)
		usage_error(a->obj, a->verb, "lease %s: from 2s to a year", arg);
	so->lease_ms = ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Handle an option or operand every semaphore verb reads the same way;
 * false for one the verb must handle itself.
 */
static bool
so_opt(struct sem_opts *so, int ch, const char *arg)
{
	struct args *a = &so->v.args;
	const char *errstr = NULL;
	long long n;

	if (verb_opt(&so->v, ch, arg, IPC_SEM))
		return true;
	switch (ch) {
	case 'v':
		if ((errstr = parse_int(arg, 0, SEM_VALUE_MAX, &n)) != NULL)
			usage_error(a->obj, a->verb, "value %s: %s", arg,
			    errstr);
		so->value = n;
		return true;
	case OPT_HOLDER:
		if ((errstr = parse_int(arg, 1, INT32_MAX, &n)) != NULL)
			usage_error(a->obj, a->verb, "holder %s: %s", arg,
			    errstr);
		so->holder = n;
		return true;
	case OPT_RECOVER:
		so->recover = true;
		return true;
	case OPT_LEASE:
		so_lease(so, arg);
		return true;
	case OPT_HOST:
		so->host = arg;
		return true;
	}
	return false;
}

/*
 * Open the semaphore through its backend, O_RDONLY to look or O_RDWR;
 * die where it fails.
 */
static void
so_open(struct sem_opts *so, struct semobj *s, int access)
{
	const struct backend *b;
	int e;

	if (so->lease_ms != 0 && !backend_can(so->v.name, CAN_LEASE))
		usage_error(so->v.args.obj, so->v.args.verb, "%s: --lease: only "
		    "a semaphore kept across hosts has a lease", so->v.name);
	if (so->host != NULL && !backend_can(so->v.name, CAN_HOSTS))
		usage_error(so->v.args.obj, so->v.args.verb, "%s: --host: only "
		    "a semaphore kept across hosts has other hosts", so->v.name);
	if ((e = backend_get(so->v.name, &b)) != 0)
		die(e, so->v.name);
	s->ops = b->sem;
	if ((e = s->ops->open(s, so->v.name, &so->v.open, so->value,
	    access)) != 0)
		die(e, so->v.name);
}

static const char *
fmt_since(time_t t, char *buf, size_t len)
{
	if (fmt_time(t, buf, len) == NULL)
		snprintf(buf, len, "%jd", (intmax_t)t);
	return buf;
}

/* A recorded command, made safe to print; buf: 4 bytes a byte, and 1. */
static const char *
fmt_command(const struct ledger_slot *sl, char *buf)
{
	return safe_text(buf, sl->command, strnlen(sl->command,
	    sizeof(sl->command)));
}

/* recover: each token given back is told, on stdout or stderr. */
struct tell {
	const char	*name;
	FILE		*fp;
};

static void
tell_recovered(const struct ledger_slot *sl, void *arg)
{
	const struct tell *t = arg;
	char since[40], cmd[4 * sizeof(sl->command) + 1];

	fprintf(t->fp, "%s: recovered the token of pid %d, dead, held since "
	    "%s: %s\n", t->name, (int)sl->pid, fmt_since(sl->since, since,
	    sizeof(since)), fmt_command(sl, cmd));
}

/* Give back the token of every dead holder; tell each to fp. */
static void
recover_dead(struct semobj *s, const char *host, FILE *fp)
{
	struct tell t = { s->name, fp };
	int e, n;

	if ((e = s->ops->recover(s, host, tell_recovered, &t, &n)) != 0)
		die(e, s->name);
}

/* Remove semaphore name where its backend keeps it: 0, or -1 and errno. */
static int
so_unlink(const char *name)
{
	const struct backend *b;

	if ((errno = backend_get(name, &b)) == 0)
		errno = b->sem->unlink(name);
	return errno == 0 ? 0 : -1;
}

static int
so_try_create(const char *name, void *arg)
{
	struct sem_opts *so = arg;
	struct semobj s;
	int e;

	const struct backend *b;

	if ((e = backend_get(name, &b)) == 0)
		e = (s.ops = b->sem)->open(&s, name, &so->v.open, so->value,
		    O_RDONLY);
	if (e != 0) {
		errno = e;
		return -1;
	}
	s.ops->close(&s);
	return 0;
}

static int
cmd_sem_create(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	struct sem_opts so;
	const char *arg;
	int ch, e;

	so_init(&so, argc, argv, obj, verb);
	while ((ch = args_next(&so.v.args, &arg)) != -1)
		if (!so_opt(&so, ch, arg))
			usage_error(obj, verb, "unexpected operand: %s", arg);
	if (so.v.named)
		verb_need_name(&so.v);	/* and what an etcd name refuses */
	so.v.open.flags |= O_CREAT;
	if (so.v.named) {
		if (so_try_create(so.v.name, &so) == -1)
			die(errno, so.v.name);
		return 0;
	}
	so.v.open.flags |= O_EXCL;
	if ((e = name_fresh(so.v.name, so_try_create, so_unlink, &so)) != 0)
		die(e, e == E_OUTPUT ? NULL : so.v.name);
	return 0;
}

/*
 * The semaphore stayed busy (-t ran out, or -t 0 found no token): one
 * message for both, naming whom the wait was behind where the backend
 * records holders -- the first dead one, which --recover would give back,
 * else the first.
 */
static void
busy(struct semobj *s, const char *name)
{
	struct holder *h = NULL, *pick = NULL;
	uint32_t i, n = 0;
	bool tracked, hosts;
	char where[80] = "", state[16] = "";

	if (s->ops->holders(s, &h, &n, &tracked, &hosts) != 0)
		n = 0;
	for (i = 0; i < n; i++)
		if (!h[i].waiting && h[i].slot.pid > 0 && (pick == NULL ||
		    (pick->alive != 0 && h[i].alive == 0)))
			pick = &h[i];
	if (pick == NULL)
		warnx("%s: timed out", name);
	else {
		if (pick->host[0] != '\0')
			snprintf(where, sizeof(where), " on %s", pick->host);
		if (pick->alive >= 0)
			snprintf(state, sizeof(state), " (%s)",
			    pick->alive ? "alive" : "dead");
		warnx("%s: timed out; held by pid %d%s%s%s", name,
		    (int)pick->slot.pid, where, state, pick->alive == 0 ?
		    ": --recover gives its token back" : "");
	}
	free(h);
}

static int
cmd_sem_acquire(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	struct ledger_slot slot;
	struct sem_opts so;
	struct deadline d;
	struct semobj s;
	struct token t = { 0 };
	const char *arg;
	int ch, e;

	so_init(&so, argc, argv, obj, verb);
	while ((ch = args_next(&so.v.args, &arg)) != -1)
		if (!so_opt(&so, ch, arg))
			usage_error(obj, verb, "unexpected operand: %s", arg);
	verb_need_name(&so.v);
	if (so.value == -1)
		so.value = 1;	/* made by a call that then waits on it */
	if (so.holder != 0 && ledger_slot_init(&slot, so.holder, 0, NULL) != 0)
		usage_error(obj, verb, "holder %d: no such process",
		    (int)so.holder);
	so_open(&so, &s, O_RDWR);
	if (so.recover)
		recover_dead(&s, NULL, stderr);
	deadline_start(&d, so.v.timed ? &so.v.timeout : NULL);
	/*
	 * With a holder, a signal that ends the wait ends it with nothing
	 * taken; one that comes once the token is taken waits until it is
	 * recorded. Without one, nothing is left to finish on a signal.
	 */
	if (so.holder != 0)
		signals_note(ending_signals, nending_signals, NULL);
	t.lease_ms = so.lease_ms;
	if ((e = s.ops->acquire(&s, &d, so.holder != 0 ? &slot : NULL, &t))
	    == EINTR && signal_noted())
		die_signal(signal_noted());
	if (e == EAGAIN || e == ETIMEDOUT) {
		busy(&s, so.v.name);
		return EX_TEMPFAIL;
	}
	if (e != 0)
		die(e, so.v.name);
	if (signal_noted())
		die_signal(signal_noted());
	return 0;
}

static int
cmd_sem_release(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	struct sem_opts so;
	struct semobj s;
	const char *arg, *errstr;
	long long count = 1, done;
	int ch, e, n;

	so_init(&so, argc, argv, obj, verb);
	while ((ch = args_next(&so.v.args, &arg)) != -1) {
		if (so_opt(&so, ch, arg))
			continue;
		if (ch != 'n')
			usage_error(obj, verb, "unexpected operand: %s", arg);
		if ((errstr = parse_int(arg, 0, SEM_VALUE_MAX, &count)) != NULL)
			usage_error(obj, verb, "count %s: %s", arg, errstr);
	}
	verb_need_name(&so.v);
	so_open(&so, &s, O_RDWR);
	if (so.holder != 0) {
		/* The entries of this process, or of a dead one with its pid. */
		if ((e = s.ops->release_holder(&s, so.holder,
		    proc_start(so.holder), count, &n)) != 0)
			die(e, so.v.name);
		if (n == 0)
			errx(EX_NOINPUT, "%s: pid %d holds no token of it",
			    so.v.name, (int)so.holder);
		if (n < count)
			errx(EX_NOINPUT, "%s: pid %d held only %d of the %lld "
			    "tokens; released those", so.v.name, (int)so.holder,
			    n, count);
		return 0;
	}
	if ((e = s.ops->release(&s, count, &done)) != 0)
		die(e, so.v.name);
	return 0;
}

/*
 * The verbs whose one operand is NAME: value and recover, and info and
 * holders, which also take the output options (out not NULL).
 */
static void
so_name_only(struct sem_opts *so, int argc, char *argv[],
    const struct object *obj, const struct verb *verb, struct out_opts *out)
{
	const char *arg;
	int ch;

	so_init(so, argc, argv, obj, verb);
	while ((ch = args_next(&so->v.args, &arg)) != -1)
		if (!(out != NULL && output_opt(ch, out)) &&
		    !so_opt(so, ch, arg))
			usage_error(obj, verb, "unexpected operand: %s", arg);
	verb_need_name(&so->v);
}

static int
cmd_sem_value(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	struct sem_opts so;
	struct semobj s;
	int e, value;

	so_name_only(&so, argc, argv, obj, verb, NULL);
	so_open(&so, &s, O_RDONLY);
	if ((e = s.ops->value(&s, &value)) != 0)
		die(e, so.v.name);
	printf("%d\n", value);
	return 0;
}

/*
 * The last run of --once-per or --once-key, where there is one: ONCE
 * (slot or key), RUN_HOST, RUN_PID, RUN_START, RUN_END and RUN_STATUS
 * (none while it runs), after info's own columns.
 */
static void
more_run(struct semobj *s, struct run_record *r, struct info_more *more,
    size_t *n, char buf[4][48])
{
	*n = 0;
	if (s->ops->once_get == NULL || s->ops->once_get(s, r) != 0)
		return;
	snprintf(buf[0], sizeof(buf[0]), "%d", (int)r->pid);
	more[0] = (struct info_more){ "ONCE", COL_STR, r->once };
	more[1] = (struct info_more){ "RUN_HOST", COL_STR, r->host };
	more[2] = (struct info_more){ "RUN_PID", COL_NUM, buf[0] };
	more[3] = (struct info_more){ "RUN_START", COL_STR,
	    fmt_since(r->start, buf[1], sizeof(buf[1])) };
	more[4] = (struct info_more){ "RUN_END", COL_STR, NULL };
	more[5] = (struct info_more){ "RUN_STATUS", COL_NUM, NULL };
	if (r->status != RUN_RUNNING) {
		more[4].value = fmt_since(r->end, buf[2], sizeof(buf[2]));
		snprintf(buf[3], sizeof(buf[3]), "%d", (int)r->status);
		more[5].value = buf[3];
	}
	*n = 6;
}

/*
 * info and procs: what the backend knows of the semaphore, then one or
 * the other. Processes are a host's: a semaphore with no file on this
 * host (in etcd) has none to list.
 */
static int
semaphore_look(int argc, char *argv[], const struct object *obj,
    const struct verb *verb, bool procs)
{
	struct info_num nums[INFO_MAX_NUMS];
	struct info_more more[INFO_MAX_MORE];
	struct out_opts out = { 0 };
	struct run_record r;
	struct sem_opts so;
	struct sem_info i;
	struct semobj s;
	char buf[4][48];
	size_t n = 0, nmore = 0;
	int e;

	so_name_only(&so, argc, argv, obj, verb, &out);
	so_open(&so, &s, O_RDONLY);
	if ((e = s.ops->info(&s, &i)) != 0)
		die(e, so.v.name);
	if (procs && !backend_can(so.v.name, CAN_PROCS))
		die(error_set(E_UNAVAILABLE, "processes are per host"),
		    so.v.name);
	if (procs)
		return procs_print(&i.st, &out);
	nums[n++] = (struct info_num){ "VALUE", i.value };
	if (i.capacity >= 0) {
		nums[n++] = (struct info_num){ "CAPACITY", i.capacity };
		nums[n++] = (struct info_num){ "HELD", i.held };
		nums[n++] = (struct info_num){ "WAITING", i.waiting };
	}
	more_run(&s, &r, more, &nmore, buf);
	s.ops->close(&s);
	info_print("semaphores", so.v.name, i.has_stat ? &i.st : NULL, nums, n,
	    false, more, nmore, &out);
	return 0;
}

static int
cmd_sem_info(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	return semaphore_look(argc, argv, obj, verb, false);
}

static int
cmd_sem_procs(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	return semaphore_look(argc, argv, obj, verb, true);
}

/*
 * A holder's row: PID, STATE, SINCE, COMMAND; across hosts (etcd) also
 * HOST, TOKEN (holding or waiting) and LEASE, in that order after PID.
 */
static void
holder_row(struct table *t, const struct holder *h, bool hosts)
{
	static const char *const states[] = { "unknown", "dead", "alive" };
	char since[40], cmd[4 * sizeof(h->slot.command) + 1];
	struct libscols_line *ln = table_row(t);
	size_t c = 0;

	if (hosts)
		table_set(t, ln, c++, safe_text(cmd, h->host,
		    strnlen(h->host, sizeof(h->host))));
	table_setf(t, ln, c++, "%d", (int)h->slot.pid);
	table_set(t, ln, c++, states[h->alive + 1]);
	table_set(t, ln, c++, fmt_since(h->slot.since, since, sizeof(since)));
	if (hosts) {
		table_set(t, ln, c++, h->waiting ? "waiting" : "holding");
		if (h->lease >= 0)
			table_setf(t, ln, c, "%lld", h->lease);
		c++;
	}
	table_set(t, ln, c, fmt_command(&h->slot, cmd));
}

static int
cmd_sem_holders(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	static const struct out_col local[] = {
		{ "PID",	COL_NUM, true },
		{ "STATE",	COL_STR, false },
		{ "SINCE",	COL_STR, false },
		{ "COMMAND",	COL_STR, false },
	}, across[] = {
		{ "HOST",	COL_STR, false },
		{ "PID",	COL_NUM, true },
		{ "STATE",	COL_STR, false },
		{ "SINCE",	COL_STR, false },
		{ "TOKEN",	COL_STR, false },
		{ "LEASE",	COL_NUM, true },
		{ "COMMAND",	COL_STR, false },
	};
	struct out_opts out = { 0 };
	struct sem_opts so;
	struct holder *h;
	struct table *t;
	struct semobj s;
	uint32_t i, n;
	bool tracked, hosts;
	int e;

	so_name_only(&so, argc, argv, obj, verb, &out);
	/* Looking needs no write access, and no semaphore operation. */
	so_open(&so, &s, O_RDONLY);
	if ((e = s.ops->holders(&s, &h, &n, &tracked, &hosts)) != 0)
		die(e, so.v.name);
	if (!tracked)
		warnx("%s: untracked: no holder was ever recorded (sem run and "
		    "--holder record them)", so.v.name);
	t = hosts ? table_new("holders", across, 7, &out) :
	    table_new("holders", local, 4, &out);
	table_header_always(t);
	for (i = 0; i < n; i++)
		holder_row(t, &h[i], hosts);
	table_print(t);
	free(h);
	return 0;
}

static int
cmd_sem_recover(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	struct sem_opts so;
	struct semobj s;

	so_name_only(&so, argc, argv, obj, verb, NULL);
	so_open(&so, &s, O_RDWR);
	recover_dead(&s, so.host, stdout);
	return 0;
}

static int
cmd_sem_unlink(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	return unlink_names(argc, argv, obj, verb, IPC_SEM, so_unlink);
}

/*
 * sem run: the token is held exactly while COMMAND runs; the run engine
 * (core/run.c) starts it under a guard, passes signals on, and makes sure
 * that neither it nor what it starts outlives the token.
 */
static const int forwarded[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2
};

/*
 * run --once-per and --once-key: at most one run with success per slot of
 * a period (aligned to the epoch, in UTC) or per key. what names it in
 * the record: "slot START/PERIOD" or "key KEY".
 */
struct once {
	long long	 period_ms;	/* --once-per, or 0 */
	const char	*key;		/* --once-key, or NULL */
	char		 what[RUN_ONCE_MAX];
};

static void
once_per(struct sem_opts *so, struct once *o, const char *arg)
{
	struct args *a = &so->v.args;
	struct timespec ts;
	const char *errstr;

	if ((errstr = parse_duration(arg, &ts)) != NULL)
		usage_error(a->obj, a->verb, "once-per %s: %s", arg, errstr);
	if (ts.tv_sec < 1)
		usage_error(a->obj, a->verb, "once-per %s: at least 1s", arg);
	o->period_ms = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void
once_key(struct sem_opts *so, struct once *o, const char *arg)
{
	struct args *a = &so->v.args;
	const char *p;

	if (*arg == '\0' || strlen(arg) > 100)
		usage_error(a->obj, a->verb, "once-key: from 1 to 100 bytes");
	for (p = arg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			usage_error(a->obj, a->verb, "once-key: no control "
			    "characters");
	o->key = arg;
}

/* The slot or key this call is for, as the record names it. */
static void
once_what(struct once *o)
{
	struct timespec now;
	long long ms;
	time_t start;
	struct tm tm;
	char iso[32];

	if (o->key != NULL) {
		snprintf(o->what, sizeof(o->what), "key %s", o->key);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	ms = now.tv_sec * 1000LL + now.tv_nsec / 1000000;
	start = (ms - ms % o->period_ms) / 1000;
	gmtime_r(&start, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (o->period_ms % 1000 == 0)
		snprintf(o->what, sizeof(o->what), "slot %s/%llds", iso,
		    o->period_ms / 1000);
	else
		snprintf(o->what, sizeof(o->what), "slot %s/%lldms", iso,
		    o->period_ms);
}

/* Parse sem run's options; COMMAND into *command, -E into *conflict. */
static void
run_parse(struct sem_opts *so, char ***command, long long *conflict,
    struct once *o)
{
	struct args *a = &so->v.args;
	const char *arg, *errstr;
	int ch;

	*command = NULL;
	memset(o, 0, sizeof(*o));
	while (*command == NULL && (ch = args_next(a, &arg)) != -1) {
		if (so_opt(so, ch, arg))
			continue;
		if (ch == 1) {
			*command = &a->argv[a->pos];
			break;
		}
		if (ch == OPT_ONCE_PER)
			once_per(so, o, arg);
		else if (ch == OPT_ONCE_KEY)
			once_key(so, o, arg);
		else if ((errstr = parse_int(arg, 0, 255, conflict)) != NULL)
			usage_error(a->obj, a->verb, "conflict exit code %s: %s",
			    arg, errstr);
	}
	if (o->period_ms != 0 && o->key != NULL)
		usage_error(a->obj, a->verb, "--once-per and --once-key: one "
		    "or the other");
	verb_need_name(&so->v);
	if (*command == NULL)
		usage_error(a->obj, a->verb, "missing COMMAND");
	if (so->value == -1)
		so->value = 1;	/* made by a call that then waits on it */
}

/* The token a run holds, for the run engine's hooks. */
struct held {
	struct semobj		*s;
	struct token		*t;
};

/* In COMMAND's process, before exec: the backend learns who runs. */
static int
run_note(void *arg, pid_t guard, uint64_t guard_start, pid_t cmd,
    uint64_t cmd_start)
{
	struct held *h = arg;

	return h->s->ops->note_run(h->s, h->t, guard, guard_start, cmd,
	    cmd_start);
}

/*
 * In the guard, once sem run has died: the token goes back. Where it died
 * before it said it holds one (taken false), only a token the ledger
 * records as its goes back: it may have died between taking and saying.
 * Backends without a ledger of processes lose such a token with its lease.
 */
static void
run_release(void *arg, bool taken)
{
	struct held *h = arg;
	int n;

	if (taken)
		h->s->ops->release_token(h->s, h->t);
	else if (h->s->ops->note_run != NULL)
		h->s->ops->release_holder(h->s, h->t->pid, h->t->start, 1, &n);
}

/* Whether record r is of this call's slot or key, and done or running. */
static bool
once_in_hand(const struct run_record *r, const struct once *o)
{
	return strcmp(r->once, o->what) == 0 && (r->status == 0 || r->alive);
}

/*
 * Holding token t: claim the slot (EAGAIN where another run has it in
 * hand meanwhile, or ended it with success), recording this run in *mine.
 */
static int
once_claim(struct semobj *s, const struct token *t, const struct once *o,
    struct run_record *mine)
{
	struct run_record seen;
	struct timespec now;
	int e;

	if ((e = s->ops->once_get(s, &seen)) != 0 && e != ENOENT)
		return e;
	if (e == 0 && once_in_hand(&seen, o))
		return EAGAIN;
	memset(mine, 0, sizeof(*mine));
	snprintf(mine->once, sizeof(mine->once), "%s", o->what);
	mine->pid = getpid();
	mine->pid_start = proc_start(mine->pid);
	mine->status = RUN_RUNNING;
	clock_gettime(CLOCK_REALTIME, &now);
	mine->start = now.tv_sec;
	return s->ops->once_put(s, t, mine, e == 0 ? &seen : NULL);
}

/* COMMAND ended: its outcome on record, while this run's claim stands. */
static void
once_end(struct semobj *s, const struct token *t, struct run_record *mine,
    int e, int status, bool lost)
{
	struct run_record claim = *mine;
	struct timespec now;
	int pe;

	clock_gettime(CLOCK_REALTIME, &now);
	mine->end = now.tv_sec;
	if (signal_noted())	/* before COMMAND started */
		mine->status = 128 + signal_noted();
	else if (lost || e == E_UNRECORDED)
		mine->status = EX_TEMPFAIL;
	else if (e == E_GUARD)
		mine->status = EX_OSERR;
	else if (e != 0)
		mine->status = e == ENOENT ? 127 : 126;
	else if (WIFSIGNALED(status))
		mine->status = 128 + WTERMSIG(status);
	else
		mine->status = WEXITSTATUS(status);
	if ((pe = s->ops->once_put(s, t, mine, &claim)) != 0 && pe != EAGAIN)
		warn_errno(pe, s->name);
}

/*
 * Before the token is taken: start COMMAND's guard (run.c), which gives
 * the token back should we die holding it, even by SIGKILL. Until then
 * it knows the token by its holder, us.
 */
static void
run_guard(struct sem_opts *so, struct semobj *s, struct runner *r,
    struct held *h, const struct ledger_slot *slot, char **command)
{
	int e;

	memset(h->t, 0, sizeof(*h->t));
	h->t->pid = slot->pid;
	h->t->start = slot->start;
	h->s = s;
	memset(r, 0, sizeof(*r));
	r->t = h->t;
	/* A backend with no ledger: nothing to note, no start to read. */
	r->note = s->ops->note_run != NULL ? run_note : NULL;
	r->release = run_release;
	r->note_arg = r->release_arg = h;
	if ((e = run_start(r, command)) != 0)
		die(e, so->v.name);
}

/*
 * Holding token t: run COMMAND and give the token back however it ends.
 * Signals in set (and SIGCHLD) are blocked. Returns 0 with COMMAND's wait
 * status in *status, or an error code: the exec's errno, or E_GUARD.
 */
static int
run_holding(struct semobj *s, struct runner *r, const struct token *t,
    const sigset_t *set, int *status, struct run_record *mine)
{
	int e = 0, re;

	r->grace_ms = t->grace_ms != 0 ? t->grace_ms : 2000;
	/* Noted only before the caller blocked what run passes on. */
	if (signal_noted() == 0)
		e = run_wait(r, set, s->ops->lost_fd(s, t), status);
	if (mine != NULL)
		once_end(s, t, mine, e, *status, r->lost);
	if ((re = s->ops->release_token(s, t)) != 0)
		warn_errno(re, s->name);
	run_finish(r);
	/* A signal before COMMAND started: as if COMMAND had died of it. */
	if (signal_noted())
		die_signal(signal_noted());
	return e;
}

/*
 * Take a token recorded as held by slot (this process), by the deadline.
 * A signal that ends the wait ends it with nothing taken. 0, or EAGAIN or
 * ETIMEDOUT where the semaphore stayed busy.
 */
static int
run_acquire(struct sem_opts *so, struct semobj *s,
    const struct ledger_slot *slot, struct token *t, const struct deadline *d)
{
	int e;

	t->leased = true;	/* kept while COMMAND runs, where leases exist */
	t->lease_ms = so->lease_ms;
	if ((e = s->ops->acquire(s, d, slot, t)) == EINTR && signal_noted())
		die_signal(signal_noted());
	if (e != 0 && e != EAGAIN && e != ETIMEDOUT)
		die(e, so->v.name);
	return e;
}

/*
 * Sleep a tenth of a second, or less where the deadline comes first;
 * false where it has come.
 */
static bool
once_nap(const struct deadline *d)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 }, left;

	if (!d->forever) {
		if (!deadline_left(d, &left))
			return false;
		if (left.tv_sec == 0 && left.tv_nsec < ts.tv_nsec)
			ts = left;
	}
	nanosleep(&ts, NULL);
	return true;
}

/*
 * --once-per, --once-key: 1 where this call is to run COMMAND, holding the
 * token in *t and its claim on record in *mine; 0 where the slot's run
 * succeeded, or still goes on when the deadline comes (the slot is in
 * hand); -1 where the semaphore stayed busy for another reason (told). A
 * run that failed, or whose runner died, leaves the slot open.
 */
static int
once_turn(struct sem_opts *so, struct semobj *s,
    const struct ledger_slot *slot, struct token *t, const struct once *o,
    const struct deadline *d, struct run_record *mine)
{
	struct run_record r;
	int e;

	for (;;) {
		if ((e = s->ops->once_get(s, &r)) != 0 && e != ENOENT)
			die(e, so->v.name);
		if (e == 0 && strcmp(r.once, o->what) == 0 && r.status == 0)
			return 0;
		if (e == 0 && once_in_hand(&r, o)) {
			/* Its outcome, polled: its runner holds a token. */
			if (signal_noted())
				die_signal(signal_noted());
			if (!once_nap(d))
				return 0;
			continue;
		}
		if (run_acquire(so, s, slot, t, d) != 0) {
			if (s->ops->once_get(s, &r) == 0 && once_in_hand(&r, o))
				return 0;
			busy(s, so->v.name);
			return -1;
		}
		if ((e = once_claim(s, t, o, mine)) == 0)
			return 1;
		/* Taken meanwhile (capacity over 1), or the record failed. */
		s->ops->release_token(s, t);
		if (e != EAGAIN)
			die(e, so->v.name);
	}
}

/*
 * The token is recorded: block what run passes on (and SIGCHLD, for the
 * engine's signalfd) into *set, and give back their default to the noted
 * signals that are not passed on: they end us again as they would.
 */
static void
run_signals(sigset_t *set, sigset_t *noted)
{
	size_t i;

	sigemptyset(set);
	for (i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) {
		sigaddset(set, forwarded[i]);
		sigdelset(noted, forwarded[i]);
	}
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGCONT);	/* passed on too */
	sigprocmask(SIG_BLOCK, set, NULL);
	signals_default(noted);
}

/*
 * How run ends, once the token is back: e and status as run_holding
 * returned them. COMMAND's status, or its signal; or what went wrong.
 */
static int
run_outcome(const struct sem_opts *so, const struct runner *r,
    char **command, int e, int status)
{
	if (e == E_GUARD)
		errx(EX_OSERR, "%s: the guard of COMMAND (pid %d) died: COMMAND "
		    "and its processes were ended, the token given back",
		    so->v.name, (int)r->guard);
	if (e == E_UNRECORDED)
		errx(EX_TEMPFAIL, "%s: the holders ledger lost this run's "
		    "entry: COMMAND was not started", so->v.name);
	if (e != 0 && r->cmd == -1 && r->guard > 0) {
		warn_errno(e, command[0]);
		return e == ENOENT ? 127 : 126;
	}
	if (e != 0)
		die(e, so->v.name);
	if (r->lost && r->cmd == -1)
		errx(EX_TEMPFAIL, "%s: the token was lost before COMMAND "
		    "started", so->v.name);
	if (r->lost)
		errx(EX_TEMPFAIL, "%s: the token was lost: COMMAND was ended",
		    so->v.name);
	if (WIFSIGNALED(status))
		die_signal(WTERMSIG(status));
	return WEXITSTATUS(status);
}

static int
cmd_sem_run(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	struct sem_opts so;
	struct semobj s;
	struct runner r;
	struct token t;
	struct held h = { &s, &t };
	struct ledger_slot slot;
	char cmdline[sizeof(slot.command)];
	struct run_record mine;
	struct deadline d;
	struct once once;
	sigset_t set, noted;
	long long conflict = EX_TEMPFAIL;
	char **command;
	int e, status = 0;

	so_init(&so, argc, argv, obj, verb);
	run_parse(&so, &command, &conflict, &once);
	so_open(&so, &s, O_RDWR);
	if (so.recover)
		recover_dead(&s, NULL, stderr);
	/*
	 * Until the token is recorded, a signal is noted, not obeyed: one
	 * that ends the wait ends it with nothing taken, one that comes
	 * after the token is taken waits until it is recorded.
	 */
	sigemptyset(&noted);
	signals_note(ending_signals, nending_signals, &noted);
	deadline_start(&d, so.v.timed ? &so.v.timeout : NULL);
	command_line(command, cmdline, sizeof(cmdline));
	ledger_slot_init(&slot, getpid(), proc_start(getpid()), cmdline);
	run_guard(&so, &s, &r, &h, &slot, command);
	if (once.period_ms != 0 || once.key != NULL) {
		once_what(&once);
		if ((e = once_turn(&so, &s, &slot, &t, &once, &d, &mine)) !=
		    1) {
			run_finish(&r);
			return e == 0 ? 0 : conflict;
		}
	} else if ((e = run_acquire(&so, &s, &slot, &t, &d)) != 0) {
		run_finish(&r);
		busy(&s, so.v.name);
		return conflict;
	}
	run_signals(&set, &noted);
	e = run_holding(&s, &r, &t, &set, &status,
	    once.what[0] != '\0' ? &mine : NULL);
	return run_outcome(&so, &r, command, e, status);
}

#define OPTS_CREATE_IF_MISSING(dflt) \
	OPT_CREATE("create it if missing"), \
	OPT_EXCLUSIVE("create it; exit 73 if it exists"), \
	OPT_MODE, \
	{ .name = "value", .val = 'v', .arg = "N", \
	  .help = "initial value if created (default " dflt ")" }
#define OPT_HOLDER_DEF(h) \
	{ .name = "holder", .val = OPT_HOLDER, .arg = "PID", .help = (h), \
	  .complete = COMPLETE_PID }
#define OPT_RECOVER_DEF { .name = "recover", .val = OPT_RECOVER, \
	.help = "first give back the tokens of dead holders" }
#define OPT_LEASE_DEF(h) { .name = "lease", .val = OPT_LEASE, .arg = "T", \
	.help = (h) }

static const struct opt opts_create[] = {
	{ .name = "value", .val = 'v', .arg = "N",
	  .help = "initial value (default 0)" },
	OPT_EXCLUSIVE("fail (exit 73) if it exists"),
	OPT_MODE,
	OPT_CREATE("accepted: create already creates"),
	{ 0 }
};

static const struct opt opts_acquire[] = {
	OPT_TIMEOUT("give up after T (2.5, 500ms, 1m; 0: never block); "
	    "exit 75"),
	OPT_HOLDER_DEF("record PID (e.g. the script's $$) as holder"),
	OPT_RECOVER_DEF,
	OPT_LEASE_DEF("across hosts: the token comes back by itself after T"),
	OPTS_CREATE_IF_MISSING("1"),
	{ 0 }
};

static const struct opt opts_release[] = {
	{ .name = "count", .val = 'n', .arg = "N",
	  .help = "release N times (default 1)" },
	OPT_HOLDER_DEF("release tokens PID holds; remove its entries"),
	OPTS_CREATE_IF_MISSING("0"),
	{ 0 }
};

static const struct opt opts_run[] = {
	OPT_TIMEOUT("give up after T; exit 75"),
	OPT_RECOVER_DEF,
	OPT_LEASE_DEF("across hosts: the lease kept alive while COMMAND runs "
	    "(10s)"),
	{ .name = "conflict-exit-code", .val = 'E', .arg = "CODE",
	  .help = "exit CODE instead of 75 when busy" },
	{ .name = "once-per", .val = OPT_ONCE_PER, .arg = "PERIOD",
	  .help = "at most one run with success per slot of PERIOD" },
	{ .name = "once-key", .val = OPT_ONCE_KEY, .arg = "KEY",
	  .help = "at most one run with success per KEY" },
	OPTS_CREATE_IF_MISSING("1"),
	{ 0 }
};

static const struct opt opts_output[] = { OPTS_OUTPUT, { 0 } };

static const struct opt opts_recover[] = {
	{ .name = "host", .val = OPT_HOST, .arg = "H",
	  .help = "the tokens recorded on host H, a host that is gone" },
	{ 0 }
};

static const struct verb verbs_sem[] = {
	{ .name = "create", .run = cmd_sem_create,
	  .summary = "create a semaphore (no NAME: a random one, printed)",
	  .usage = "[NAME] [-v N] [-x] [-m MODE]",
	  .opts = opts_create, .operands = "name",
	  .notes = "With no NAME, a fresh random name is created and "
	  "printed.\n" },
	{ .name = "acquire", .alias = "wait", .run = cmd_sem_acquire,
	  .summary = "take a token, waiting for one",
	  .usage = "NAME [-t T] [--holder PID] [--recover] [--lease T] [-c] "
	  "[-x] [-m MODE] [-v N]",
	  .opts = opts_acquire, .operands = "name" },
	{ .name = "release", .alias = "post", .run = cmd_sem_release,
	  .summary = "give a token back",
	  .usage = "NAME [-n N] [--holder PID] [-c] [-x] [-m MODE] [-v N]",
	  .opts = opts_release, .operands = "name" },
	{ .name = "value", .run = cmd_sem_value, .usage = "NAME",
	  .summary = "print the current value",
	  .operands = "name",
	  .notes = "Prints the current value as a bare integer.\n" },
	{ .name = "info", .run = cmd_sem_info,
	  .summary = "print name, value, mode, owner and group",
	  .usage = "NAME [--json | -r | --pairs]",
	  .opts = opts_output, .operands = "name" },
	{ .name = "unlink", .run = cmd_sem_unlink, .usage = "[-f] NAME...",
	  .summary = "remove semaphores",
	  .opts = opts_unlink, .operands = "name...",
	  .notes = "Removes each NAME; exit 66 if one was missing, 0 with "
	  "-f.\n" },
	{ .name = "run", .run = cmd_sem_run,
	  .summary = "hold a token while a command runs",
	  .usage = "NAME [-t T] [-E CODE] [--recover] [--lease T] "
	  "[--once-per PERIOD | --once-key KEY] [-c] [-x] [-m MODE] [-v N] "
	  "[--] COMMAND [ARG...]",
	  .opts = opts_run, .operands = "name command",
	  .notes = "Holds the semaphore while COMMAND runs, recorded as its "
	  "holder;\nexits with COMMAND's status.\n" },
	{ .name = "holders", .run = cmd_sem_holders,
	  .summary = "list the recorded holders: pid, alive or dead, since, command",
	  .usage = "NAME [--json | -r | --pairs]",
	  .opts = opts_output, .operands = "name",
	  .notes = "Lists the recorded holders: pid, alive or dead, since, "
	  "command.\n" },
	{ .name = "procs", .run = cmd_sem_procs,
	  .summary = "list the processes that have it open or mapped",
	  .usage = "NAME [--json | -r | --pairs]",
	  .opts = opts_output, .operands = "name",
	  .notes = "A row per process: PID, USER, COMMAND, HOW (fd, map).\n" },
	{ .name = "recover", .run = cmd_sem_recover, .usage = "NAME [--host H]",
	  .summary = "give back the token of every dead holder",
	  .opts = opts_recover, .operands = "name",
	  .notes = "Gives back the token of every dead holder and prints "
	  "each.\n" },
	{ 0 }
};

const struct object object_sem = {
	.name = "sem", .link = "ipcsem", .summary = "named semaphores",
	.kind = IPC_SEM, .verbs = verbs_sem
};
