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
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipcctl.h"

/* What the verbs that open a semaphore share. */
struct sem_opts {
	struct args		 args;
	struct open_opts	 open;
	unsigned		 value;		/* -v: value if created */
	struct timespec		 timeout;
	bool			 timed;		/* -t given */
	char			 name[IPC_NAME_BUF];
	bool			 named;
};

#define SEM_SHORTOPTS	OPEN_SHORTOPTS "v:"
#define SEM_LONGOPTS \
	OPEN_LONGOPTS, \
	{ "value",	required_argument,	NULL, 'v' }, \
	{ "help",	no_argument,		NULL, 'h' }

static void
so_init(struct sem_opts *so, int argc, char *argv[],
    const struct object *obj, const struct verb *verb, const char *shortopts,
    const struct option *longopts)
{
	memset(so, 0, sizeof(*so));
	so->open = (struct open_opts)OPEN_OPTS_INIT;
	args_init(&so->args, argc, argv, obj, verb, shortopts, longopts);
}

/*
 * Handle an option or operand every semaphore verb reads the same way;
 * false for one the verb must handle itself.
 */
static bool
sem_opt(struct sem_opts *so, int ch, const char *arg)
{
	struct args *a = &so->args;
	const char *errstr = NULL;
	long long n;

	if (open_opt(ch, arg, &so->open, &errstr)) {
		if (errstr != NULL)
			usage_error(a->obj, a->verb, "%s: %s", arg, errstr);
		return true;
	}
	switch (ch) {
	case 1:
		if (so->named)
			return false;
		if ((errstr = name_check(arg, IPC_SEM, so->name)) != NULL)
			usage_error(a->obj, a->verb, "%s: %s", arg, errstr);
		so->named = true;
		return true;
	case 't':
		if ((errstr = parse_duration(arg, &so->timeout)) != NULL)
			usage_error(a->obj, a->verb, "timeout %s: %s", arg,
			    errstr);
		so->timed = true;
		return true;
	case 'v':
		if ((errstr = parse_int(arg, 0, SEM_VALUE_MAX, &n)) != NULL)
			usage_error(a->obj, a->verb, "value %s: %s", arg,
			    errstr);
		so->value = n;
		return true;
	}
	return false;
}

static void
sem_need_name(struct sem_opts *so)
{
	if (!so->named)
		usage_error(so->args.obj, so->args.verb, "missing NAME");
}

static sem_t *
sem_get(struct sem_opts *so)
{
	sem_t *s;

	if ((s = sem_open_opts(so->name, &so->open, so->value)) == SEM_FAILED)
		die(errno, so->name);
	return s;
}

static int
sem_try_create(const char *name, void *arg)
{
	struct sem_opts *so = arg;
	sem_t *s;

	if ((s = sem_open_opts(name, &so->open, so->value)) == SEM_FAILED)
		return -1;
	sem_close(s);
	return 0;
}

static int
sem_create(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	static const struct option longopts[] = { SEM_LONGOPTS, { 0 } };
	struct sem_opts so;
	const char *arg;
	int ch;

	so_init(&so, argc, argv, obj, verb, SEM_SHORTOPTS, longopts);
	while ((ch = args_next(&so.args, &arg)) != -1)
		if (!sem_opt(&so, ch, arg))
			usage_error(obj, verb, "unexpected operand: %s", arg);
	so.open.flags |= O_CREAT;
	if (so.named) {
		sem_close(sem_get(&so));
		return 0;
	}
	so.open.flags |= O_EXCL;
	name_fresh(so.name, sem_try_create, sem_unlink, &so);
	return 0;
}

static int
sem_acquire(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	static const struct option longopts[] = {
		SEM_LONGOPTS,
		{ "timeout",	required_argument,	NULL, 't' },
		{ 0 }
	};
	struct sem_opts so;
	struct deadline d;
	const char *arg;
	sem_t *s;
	int ch, e;

	so_init(&so, argc, argv, obj, verb, SEM_SHORTOPTS "t:", longopts);
	while ((ch = args_next(&so.args, &arg)) != -1)
		if (!sem_opt(&so, ch, arg))
			usage_error(obj, verb, "unexpected operand: %s", arg);
	sem_need_name(&so);
	s = sem_get(&so);
	deadline_start(&d, so.timed ? &so.timeout : NULL);
	if ((e = sem_wait_deadline(s, &d)) != 0)
		die(e, so.name);
	return 0;
}

static int
sem_release(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	static const struct option longopts[] = {
		SEM_LONGOPTS,
		{ "count",	required_argument,	NULL, 'n' },
		{ 0 }
	};
	struct sem_opts so;
	const char *arg, *errstr;
	long long count = 1, done;
	sem_t *s;
	int ch;

	so_init(&so, argc, argv, obj, verb, SEM_SHORTOPTS "n:", longopts);
	while ((ch = args_next(&so.args, &arg)) != -1) {
		if (sem_opt(&so, ch, arg))
			continue;
		if (ch != 'n')
			usage_error(obj, verb, "unexpected operand: %s", arg);
		if ((errstr = parse_int(arg, 0, SEM_VALUE_MAX, &count)) != NULL)
			usage_error(obj, verb, "count %s: %s", arg, errstr);
	}
	sem_need_name(&so);
	s = sem_get(&so);
	for (done = 0; done < count; done++) {
		if (sem_post(s) == 0)
			continue;
		if (errno == EOVERFLOW)
			errx(EX_DATAERR, "%s: released %lld of %lld: the value "
			    "would pass SEM_VALUE_MAX (%d)", so.name, done,
			    count, SEM_VALUE_MAX);
		die(errno, so.name);
	}
	return 0;
}

static int
sem_value(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	static const struct option longopts[] = {
		{ "help",	no_argument,		NULL, 'h' },
		{ 0 }
	};
	struct sem_opts so;
	const char *arg;
	int ch, value;
	sem_t *s;

	so_init(&so, argc, argv, obj, verb, "", longopts);
	while ((ch = args_next(&so.args, &arg)) != -1)
		if (ch != 1 || !sem_opt(&so, ch, arg))
			usage_error(obj, verb, "unexpected operand: %s", arg);
	sem_need_name(&so);
	s = sem_get(&so);
	if (sem_getvalue(s, &value) == -1)
		die(errno, so.name);
	printf("%d\n", value);
	return 0;
}

static int
sem_info(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	static const struct option longopts[] = {
		OUTPUT_LONGOPTS,
		{ "help",	no_argument,		NULL, 'h' },
		{ 0 }
	};
	static const struct out_col cols[] = {
		{ "NAME",	COL_STR, false },
		{ "VALUE",	COL_NUM, true },
		{ "MODE",	COL_STR, false },
		{ "OWNER",	COL_STR, false },
		{ "GROUP",	COL_STR, false },
	};
	struct out_opts out = { 0 };
	struct libscols_line *ln;
	struct sem_opts so;
	struct table *t;
	struct stat st;
	const char *arg;
	char buf[32], mode[8];
	int ch, value;
	sem_t *s;

	so_init(&so, argc, argv, obj, verb, OUTPUT_SHORTOPTS, longopts);
	while ((ch = args_next(&so.args, &arg)) != -1)
		if (!output_opt(ch, &out) && (ch != 1 || !sem_opt(&so, ch, arg)))
			usage_error(obj, verb, "unexpected operand: %s", arg);
	sem_need_name(&so);
	s = sem_get(&so);
	if (sem_getvalue(s, &value) == -1)
		die(errno, so.name);
	if (sem_stat(so.name, &st) == -1)
		die(errno, so.name);
	t = table_new("semaphores", cols, 5, &out);
	ln = table_row(t);
	table_set(t, ln, 0, so.name);
	table_setf(t, ln, 1, "%d", value);
	fmt_mode(st.st_mode, mode);
	table_set(t, ln, 2, mode);
	table_set(t, ln, 3, fmt_user(st.st_uid, buf, sizeof(buf)));
	table_set(t, ln, 4, fmt_group(st.st_gid, buf, sizeof(buf)));
	table_print(t);
	return 0;
}

static int
sem_unlink_verb(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	return unlink_names(argc, argv, obj, verb, IPC_SEM, sem_unlink);
}

/*
 * sem run: the token is held exactly while COMMAND runs. Signals meant for
 * the command are passed on; those a terminal sent to the whole process
 * group reached it already and are not sent twice.
 */
static const int forwarded[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2
};

static int
sem_run(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	static const struct option longopts[] = {
		SEM_LONGOPTS,
		{ "timeout",		required_argument,	NULL, 't' },
		{ "conflict-exit-code",	required_argument,	NULL, 'E' },
		{ 0 }
	};
	extern char **environ;
	struct sem_opts so;
	struct deadline d;
	posix_spawnattr_t attr;
	sigset_t set, old;
	siginfo_t si;
	const char *arg, *errstr;
	char **command = NULL;
	long long conflict = EX_TEMPFAIL;
	pid_t pid;
	size_t i;
	int ch, e, status;
	sem_t *s;

	so_init(&so, argc, argv, obj, verb, SEM_SHORTOPTS "t:E:", longopts);
	while (command == NULL && (ch = args_next(&so.args, &arg)) != -1) {
		if (sem_opt(&so, ch, arg))
			continue;
		if (ch == 1) {
			command = &argv[so.args.pos];
			break;
		}
		if ((errstr = parse_int(arg, 0, 255, &conflict)) != NULL)
			usage_error(obj, verb, "conflict exit code %s: %s", arg,
			    errstr);
	}
	sem_need_name(&so);
	if (command == NULL)
		usage_error(obj, verb, "missing COMMAND");
	s = sem_get(&so);
	deadline_start(&d, so.timed ? &so.timeout : NULL);
	if ((e = sem_wait_deadline(s, &d)) != 0) {
		if (e != EAGAIN && e != ETIMEDOUT)
			die(e, so.name);
		warn_errno(e, so.name);
		return conflict;
	}

	sigemptyset(&set);
	for (i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	/* An inherited SIG_IGN would have the kernel reap COMMAND for us. */
	signal(SIGCHLD, SIG_DFL);
	if ((e = posix_spawnattr_init(&attr)) != 0 ||
	    (e = posix_spawnattr_setsigmask(&attr, &old)) != 0 ||
	    (e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK)) != 0)
		die(e, NULL);
	e = posix_spawnp(&pid, command[0], NULL, &attr, command, environ);
	posix_spawnattr_destroy(&attr);
	if (e != 0) {
		sem_post(s);
		warn_errno(e, command[0]);
		return e == ENOENT ? 127 : 126;
	}

	for (;;) {
		if (sigwaitinfo(&set, &si) == -1)
			continue;	/* EINTR: stopped and continued */
		if (si.si_signo != SIGCHLD) {
			if (si.si_code != SI_KERNEL)
				kill(pid, si.si_signo);
			continue;
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	if (sem_post(s) == -1)
		warn_errno(errno, so.name);
	if (WIFSIGNALED(status))
		die_signal(WTERMSIG(status));
	return WEXITSTATUS(status);
}

static const struct verb sem_verbs[] = {
	{ "create", NULL, sem_create,
	  "[NAME] [-v N] [-x] [-m MODE]",
	  "  -v, --value N      initial value (default 0)\n"
	  "  -x, --exclusive    fail (exit 73) if it exists\n"
	  "  -m, --mode MODE    permissions if created (default 0600)\n"
	  "  -c, --create       accepted: create already creates\n"
	  "With no NAME, a fresh random name is created and printed.\n" },
	{ "acquire", "wait", sem_acquire,
	  "NAME [-t T] [-c] [-x] [-m MODE] [-v N]",
	  "  -t, --timeout T    give up after T (2.5, 500ms, 1m; 0: never "
	  "block); exit 75\n"
	  "  -c, --create       create it if missing\n"
	  "  -x, --exclusive    create it; exit 73 if it exists\n"
	  "  -m, --mode MODE    permissions if created (default 0600)\n"
	  "  -v, --value N      initial value if created (default 0)\n" },
	{ "release", "post", sem_release,
	  "NAME [-n N] [-c] [-x] [-m MODE] [-v N]",
	  "  -n, --count N      release N times (default 1)\n"
	  "  -c, --create       create it if missing\n"
	  "  -x, --exclusive    create it; exit 73 if it exists\n"
	  "  -m, --mode MODE    permissions if created (default 0600)\n"
	  "  -v, --value N      initial value if created (default 0)\n" },
	{ "value", NULL, sem_value,
	  "NAME",
	  "Prints the current value as a bare integer.\n" },
	{ "info", NULL, sem_info,
	  "NAME [--json | -r | --pairs]",
	  "      --json         one JSON document\n"
	  "  -r, --raw          raw table\n"
	  "      --pairs        KEY=\"value\" pairs\n" },
	{ "unlink", NULL, sem_unlink_verb,
	  "NAME...",
	  "Removes each NAME; exit 66 if one was missing.\n" },
	{ "run", NULL, sem_run,
	  "NAME [-t T] [-E CODE] [-c] [-x] [-m MODE] [-v N] [--] COMMAND "
	  "[ARG...]",
	  "  -t, --timeout T    give up after T; exit 75\n"
	  "  -E, --conflict-exit-code CODE\n"
	  "                     exit CODE instead of 75 when busy\n"
	  "  -c, --create       create it if missing\n"
	  "  -x, --exclusive    create it; exit 73 if it exists\n"
	  "  -m, --mode MODE    permissions if created (default 0600)\n"
	  "  -v, --value N      initial value if created (default 0)\n"
	  "Holds the semaphore while COMMAND runs; exits with its status.\n" },
	{ NULL, NULL, NULL, NULL, NULL }
};

const struct object sem_object = {
	"sem", "ipcsem", "named semaphores", sem_verbs
};
