/*
 * The one errno -> exit status table, and diagnostics in the form
 * "ipcctl: sem acquire: /jobs: reason".
 */
#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

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
	{ E_LIMIT,	EX_OSERR },
	{ E_UNAVAILABLE, EX_UNAVAILABLE },
	{ E_OUTPUT,	EX_IOERR },
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
	char	 text[1024];
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

/*
 * The words for error code errnum ("Connection timed out" would mislead:
 * a wait ran out, nothing else).
 */
const char *
error_reason(int errnum)
{
	if (errnum == detail.errnum) {
		detail.errnum = 0;
		return detail.text;
	}
	if (errnum == E_DAMAGED)
		return "damaged";
	if (errnum == E_LIMIT)
		return "a system limit was hit";
	if (errnum == E_UNAVAILABLE)
		return "not available";
	if (errnum == E_OUTPUT)
		return "output error";
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
		    error_reason(errnum));	/* the reason is ours: safe already */
	else
		warnx("%s", error_reason(errnum));
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
