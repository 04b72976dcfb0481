/*
 * The one errno -> exit status table, and diagnostics in the form
 * "ipcctl: sem acquire: /jobs: reason".
 */
#include <sys/resource.h>

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipcctl.h"

static const struct {
	int	errnum;
	int	status;
} statuses[] = {
	{ ENOENT,	EX_NOINPUT },
	{ EEXIST,	EX_CANTCREAT },
	{ EACCES,	EX_NOPERM },
	{ EPERM,	EX_NOPERM },
	{ EROFS,	EX_NOPERM },
	{ EAGAIN,	EX_TEMPFAIL },
	{ ETIMEDOUT,	EX_TEMPFAIL },
	{ EBUSY,	EX_TEMPFAIL },
	{ EOVERFLOW,	EX_DATAERR },
	{ EMSGSIZE,	EX_DATAERR },
	{ EFBIG,	EX_DATAERR },
	{ EINVAL,	EX_USAGE },
	{ ENAMETOOLONG,	EX_USAGE },
	{ ENOSYS,	EX_UNAVAILABLE },
	{ ENOTSUP,	EX_UNAVAILABLE },
	{ E_DAMAGED,	EX_DATAERR },
};

int
exit_status(int errnum)
{
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].errnum == errnum)
			return statuses[i].status;
	return EX_OSERR;
}

/*
 * err(3) and warn(3) prefix their messages with the program's short name;
 * making that "ipcctl: sem acquire" gives every diagnostic its context.
 */
void
diag_init(const struct object *obj, const struct verb *verb)
{
	static char prefix[64];

	if (verb == NULL)
		snprintf(prefix, sizeof(prefix), "ipcctl%s%s",
		    obj != NULL && obj->name[0] != '\0' ? ": " : "",
		    obj != NULL ? obj->name : "");
	else
		snprintf(prefix, sizeof(prefix), "ipcctl: %s%s%s",
		    obj->name, obj->name[0] != '\0' ? " " : "", verb->name);
	program_invocation_short_name = prefix;
}

/*
 * What an error says where errno's words are not enough: set by
 * error_set, for the error code it returned, and said by the next
 * diagnostic of that code.
 */
static struct {
	int	 errnum;
	char	 text[256];
} detail;

int
error_set(int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail.text, sizeof(detail.text), fmt, ap);
	va_end(ap);
	detail.errnum = errnum;
	return errnum;
}

/* "Connection timed out" would mislead: a wait ran out, nothing else. */
static const char *
reason(int errnum)
{
	if (errnum == detail.errnum) {
		detail.errnum = 0;
		return detail.text;
	}
	if (errnum == E_DAMAGED)
		return "damaged";
	return errnum == ETIMEDOUT ? "timed out" : strerror(errnum);
}

/* Text from the command line, made safe for a terminal (safe_text). */
static const char *
safe(const char *s, char *buf, size_t len)
{
	size_t n = strnlen(s, (len - 1) / 4);

	return safe_text(buf, s, n);
}

void
die(int errnum, const char *operand)
{
	warn_errno(errnum, operand);
	exit(exit_status(errnum));
}

void
warn_errno(int errnum, const char *operand)
{
	char buf[1024];

	if (operand != NULL)
		warnx("%s: %s", safe(operand, buf, sizeof(buf)),
		    reason(errnum));	/* the reason is ours: safe already */
	else
		warnx("%s", reason(errnum));
}

void
print_usage(FILE *fp, const struct object *obj, const struct verb *verb)
{
	const char *sep = obj->name[0] != '\0' ? " " : "";

	if (verb != NULL)
		fprintf(fp, "usage: ipcctl %s%s%s %s\n", obj->name, sep,
		    verb->name, verb->usage);
	else
		fprintf(fp, "usage: ipcctl %s%sVERB [OPTIONS] [NAME] [ARGS]\n",
		    obj->name, sep);
}

void
print_help(const struct object *obj, const struct verb *verb)
{
	const struct verb *v;

	print_usage(stdout, obj, verb);
	if (verb != NULL) {
		if (verb->alias != NULL)
			printf("alias: %s\n", verb->alias);
		fputs(verb->help, stdout);
		return;
	}
	printf("%s\n\nverbs:\n", obj->summary);
	for (v = obj->verbs; v->name != NULL; v++)
		printf("  %-9s %s\n", v->name, v->usage);
	printf("\n'ipcctl %s VERB --help' describes one verb\n", obj->name);
}

void
usage_error(const struct object *obj, const struct verb *verb,
    const char *fmt, ...)
{
	char msg[1024], buf[4 * sizeof(msg) + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warnx("%s", safe(msg, buf, sizeof(buf)));
	print_usage(stderr, obj, verb);
	exit(EX_USAGE);
}

/*
 * End the way the process we stand for ended: by the same signal, so the
 * shell sees 128+N and a parent's WIFSIGNALED holds. No core of our own.
 */
void
die_signal(int sig)
{
	struct rlimit nocore = { 0, 0 };
	sigset_t set;

	fflush(stdout);
	setrlimit(RLIMIT_CORE, &nocore);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}

/*
 * Signals that would end us where ending would leave a token untracked or
 * a message unwritten: noted instead, so the wait they interrupt returns
 * EINTR and the caller finishes what it must before dying by the signal.
 * A signal that is ignored stays ignored (nohup).
 */
static volatile sig_atomic_t noted;

static void
note(int sig)
{
	if (noted == 0)
		noted = sig;
}

void
signals_note(const int *sigs, size_t n, sigset_t *set)
{
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = note;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < n; i++) {
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
		if (set != NULL)
			sigaddset(set, sigs[i]);
	}
}

/* Put back the default of each signal in set. */
void
signals_default(const sigset_t *set)
{
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		if (sigismember(set, sig) == 1)
			signal(sig, SIG_DFL);
}

int
signal_noted(void)
{
	return noted;
}

/* The signals whose default action ends a process, faults aside. */
const int ending_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM,
	SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPOLL, SIGPWR
};
const size_t nending_signals = sizeof(ending_signals) /
    sizeof(ending_signals[0]);

/*
 * At start: a write past the file size limit (ulimit -f) fails with EFBIG,
 * which ipcctl reports and recovers from (a message goes back, a created
 * object is removed), instead of killing it with SIGXFSZ midway. A
 * command ipcctl starts gets the disposition ipcctl was given.
 */
static bool xfsz_ignored;

void
signals_init(void)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGXFSZ, &sa, &old) == 0 && old.sa_handler != SIG_IGN)
		xfsz_ignored = true;
}

/* In a child about to exec a command: what signals_init changed, undone. */
void
signals_for_exec(void)
{
	if (xfsz_ignored)
		signal(SIGXFSZ, SIG_DFL);
}
