/*
 * Unit tests of the core, against what the man pages promise (ipcctl(1)
 * and the object pages): names, numbers, sizes, modes, timeouts,
 * deadlines, the exit status table, text made safe to print, what a queue
 * counts against RLIMIT_MSGQUEUE, the write and read loops, the checks
 * of an object's file, and the holders ledger on a file of its own.
 * Output is TAP.
 */
#include <sys/wait.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "local/local.h"
#include "tap.h"

/* ---------------------------------------------------------------- names */

static const char *
kind_name(enum ipc_kind kind)
{
	return kind == IPC_SEM ? "sem" : kind == IPC_SHM ? "shm" : "mq";
}

/* label: a printable spelling of in, for the test's description. */
static void
name_good(const char *in, enum ipc_kind kind, const char *want,
    const char *label, const char *why)
{
	char out[IPC_NAME_BUF];
	const char *r;

	memset(out, 'Z', sizeof(out));
	r = name_check(in, kind, out);
	ok(r == NULL && strcmp(out, want) == 0,
	    "name_check(%s, %s) accepted as the canonical name: %s",
	    label, kind_name(kind), why);
	if (r != NULL)
		diag("refused: %s", r);
}

static void
name_bad(const char *in, enum ipc_kind kind, const char *label,
    const char *why)
{
	char out[IPC_NAME_BUF];
	const char *r;

	r = name_check(in, kind, out);
	ok(r != NULL && r[0] != '\0',
	    "name_check(%s, %s) refused with a reason: %s",
	    label, kind_name(kind), why);
	if (r == NULL)
		diag("accepted as \"%s\"", out);
}

/* A name of n bytes of 'a', with or without a leading slash. */
static char *
long_name(size_t n, int slash)
{
	char *s = malloc(n + 2);

	if (s == NULL)
		abort();
	s[0] = '/';
	memset(s + 1, 'a', n);
	s[n + 1] = '\0';
	return slash ? s : s + 1;
}

static void
test_names(void)
{
	static const enum ipc_kind kinds[] = { IPC_SEM, IPC_SHM, IPC_MQ };
	char *s, buf[IPC_NAME_BUF], a[IPC_NAME_BUF], b[IPC_NAME_BUF];
	size_t i;
	int all_differ;

	for (i = 0; i < 3; i++) {
		enum ipc_kind k = kinds[i];

		name_good("jobs", k, "/jobs", "\"jobs\"",
		    "a missing slash is added");
		name_good("/jobs", k, "/jobs", "\"/jobs\"",
		    "a leading slash is kept, not doubled");
		name_bad("", k, "\"\"", "empty name");
		name_bad("/", k, "\"/\"", "a slash alone");
	}

	name_bad("/a/b", IPC_SHM, "\"/a/b\"", "slash after the first byte");
	name_bad("a/b", IPC_SEM, "\"a/b\"", "slash inside a slashless name");
	name_bad("a/", IPC_MQ, "\"a/\"", "trailing slash");
	name_bad("/a/", IPC_SHM, "\"/a/\"", "trailing slash after /a");
	name_bad("//a", IPC_SHM, "\"//a\"", "two leading slashes");
	name_bad("//", IPC_MQ, "\"//\"", "two slashes only");

	name_bad(".", IPC_SHM, "\".\"", "'.' is not a name");
	name_bad("..", IPC_SHM, "\"..\"", "'..' is not a name");
	name_bad("/.", IPC_SEM, "\"/.\"", "'/.' is not a name");
	name_bad("/..", IPC_MQ, "\"/..\"", "'/..' is not a name");
	name_good("...", IPC_SHM, "/...", "\"...\"",
	    "three dots are an ordinary name");
	name_good("/.hidden", IPC_SHM, "/.hidden", "\"/.hidden\"",
	    "a leading dot is allowed");
	name_good("a..b", IPC_SEM, "/a..b", "\"a..b\"",
	    "dots inside a name are allowed");

	name_bad("\x01", IPC_SHM, "\"\\x01\"", "control character 0x01");
	name_bad("/a\nb", IPC_SEM, "\"/a\\nb\"", "newline in name");
	name_bad("a\tb", IPC_MQ, "\"a\\tb\"", "tab in name");
	name_bad("ab\x1f", IPC_SHM, "\"ab\\x1f\"", "control character 0x1f");
	name_bad("/x\x7f", IPC_SHM, "\"/x\\x7f\"", "DEL (0x7f) in name");
	name_bad("\x7f", IPC_SEM, "\"\\x7f\"", "DEL alone");

	name_good("\x80", IPC_SHM, "/\x80", "\"\\x80\"",
	    "byte 0x80 is not a control character");
	name_good("/\xff\xfe", IPC_SEM, "/\xff\xfe", "\"/\\xff\\xfe\"",
	    "bytes 0xff 0xfe are allowed");
	name_good("caf\xc3\xa9", IPC_MQ, "/caf\xc3\xa9", "\"caf\\xc3\\xa9\"",
	    "UTF-8 letters are allowed");
	name_good("a b", IPC_SHM, "/a b", "\"a b\"",
	    "a space is printable, not a control character");
	name_good("~x-_.y", IPC_SHM, "/~x-_.y", "\"~x-_.y\"",
	    "punctuation is allowed");

	/* Length: NAME_MAX bytes in /dev/shm; semaphores lose "sem.". */
	for (i = 1; i < 3; i++) {
		enum ipc_kind k = kinds[i];

		s = long_name(255, 0);
		name_good(s, k, s - 1, "255 x 'a'",
		    "255 bytes is the longest name");
		name_good(s - 1, k, s - 1, "'/' + 255 x 'a'",
		    "255 bytes after the slash is the longest name");
		free(s - 1);
		s = long_name(256, 0);
		name_bad(s, k, "256 x 'a'", "256 bytes is too long");
		name_bad(s - 1, k, "'/' + 256 x 'a'",
		    "256 bytes after the slash is too long");
		free(s - 1);
		s = long_name(1000, 1);
		name_bad(s, k, "'/' + 1000 x 'a'", "far too long");
		free(s);
	}
	s = long_name(251, 0);
	name_good(s, IPC_SEM, s - 1, "251 x 'a'",
	    "251 bytes is the longest semaphore name (255 - \"sem.\")");
	name_good(s - 1, IPC_SEM, s - 1, "'/' + 251 x 'a'",
	    "251 bytes after the slash is the longest semaphore name");
	free(s - 1);
	s = long_name(252, 0);
	name_bad(s, IPC_SEM, "252 x 'a'",
	    "252 bytes is too long for a semaphore");
	name_bad(s - 1, IPC_SEM, "'/' + 252 x 'a'",
	    "252 bytes after the slash is too long for a semaphore");
	name_good(s, IPC_SHM, s - 1, "252 x 'a'",
	    "252 bytes is fine for shared memory");
	free(s - 1);

	/* name_random */
	name_random(a);
	ok(strncmp(a, "/ipcctl-", 8) == 0,
	    "name_random() starts with \"/ipcctl-\" (got \"%s\")", a);
	ok(strlen(a) > 8, "name_random() adds random characters after the prefix");
	ok(name_check(a, IPC_SEM, buf) == NULL && strcmp(buf, a) == 0,
	    "name_random() passes name_check(sem) unchanged");
	ok(name_check(a, IPC_SHM, buf) == NULL && strcmp(buf, a) == 0,
	    "name_random() passes name_check(shm) unchanged");
	ok(name_check(a, IPC_MQ, buf) == NULL && strcmp(buf, a) == 0,
	    "name_random() passes name_check(mq) unchanged");
	name_random(b);
	ok(strcmp(a, b) != 0,
	    "two name_random() calls differ (\"%s\", \"%s\")", a, b);
	all_differ = 1;
	for (i = 0; i < 100; i++) {
		name_random(b);
		if (strcmp(a, b) == 0 ||
		    name_check(b, IPC_SEM, buf) != NULL)
			all_differ = 0;
		memcpy(a, b, sizeof(a));
	}
	ok(all_differ,
	    "100 more name_random() calls are valid and differ from the previous");
}

/* --------------------------------------------------------------- numbers */

static void
int_good(const char *s, long long min, long long max, long long want,
    const char *why)
{
	long long v = -12345;
	const char *r = parse_int(s, min, max, &v);

	ok(r == NULL && v == want,
	    "parse_int(\"%s\", %lld, %lld) = %lld: %s", s, min, max, want, why);
	if (r != NULL)
		diag("refused: %s", r);
	else if (v != want)
		diag("got %lld", v);
}

static void
int_bad(const char *s, long long min, long long max, const char *why)
{
	long long v = -12345;
	const char *r = parse_int(s, min, max, &v);

	ok(r != NULL && r[0] != '\0',
	    "parse_int(\"%s\", %lld, %lld) refused: %s", s, min, max, why);
	if (r == NULL)
		diag("accepted as %lld", v);
}

static void
test_int(void)
{
	long long v;
	const char *r;

	int_good("0", 0, 10, 0, "zero at the lower bound");
	int_good("10", 0, 10, 10, "the upper bound is inclusive");
	int_good("5", 0, 10, 5, "inside the range");
	int_good("-5", -10, 10, -5, "a negative inside the range");
	int_good("-10", -10, 10, -10, "the negative lower bound is inclusive");
	int_good("007", 0, 10, 7, "leading zeros are decimal, not octal");
	int_good("010", 0, 100, 10, "\"010\" is ten, not octal eight");
	int_good("9223372036854775807", LLONG_MIN, LLONG_MAX, LLONG_MAX,
	    "LLONG_MAX");
	int_good("-9223372036854775808", LLONG_MIN, LLONG_MAX, LLONG_MIN,
	    "LLONG_MIN");

	int_bad("11", 0, 10, "above the maximum");
	int_bad("-1", 0, 10, "a negative below a minimum of 0");
	int_bad("-11", -10, 10, "below a negative minimum");
	int_bad("99999999999999999999", 0, LLONG_MAX,
	    "overflows long long");
	int_bad("9223372036854775808", LLONG_MIN, LLONG_MAX,
	    "LLONG_MAX + 1 overflows");
	int_bad("-9223372036854775809", LLONG_MIN, LLONG_MAX,
	    "LLONG_MIN - 1 overflows");
	int_bad("", 0, 10, "empty string");
	int_bad(" 5", 0, 10, "leading blank");
	int_bad("5 ", 0, 10, "trailing blank");
	int_bad("+5", 0, 10, "a plus sign is not part of a number");
	int_bad("5x", 0, 10, "trailing garbage");
	int_bad("0x10", 0, 100, "hexadecimal is not accepted");
	int_bad("-", -10, 10, "a minus sign alone");
	int_bad("--5", -10, 10, "two minus signs");
	int_bad("1.5", 0, 10, "a fraction is not an integer");
	int_bad("abc", 0, 10, "letters");

	r = parse_int("11", 0, 10, &v);
	ok(r != NULL && strstr(r, "large") != NULL,
	    "parse_int above the maximum says \"too large\" (got \"%s\")",
	    r ? r : "(null)");
	r = parse_int("-1", 0, 10, &v);
	ok(r != NULL && strstr(r, "small") != NULL,
	    "parse_int below the minimum says \"too small\" (got \"%s\")",
	    r ? r : "(null)");
	r = parse_int("5x", 0, 10, &v);
	ok(r != NULL && strstr(r, "not a number") != NULL,
	    "parse_int of garbage says \"not a number\" (got \"%s\")",
	    r ? r : "(null)");
}

/* ----------------------------------------------------------------- sizes */

static void
size_good(const char *s, uint64_t want, const char *why)
{
	uint64_t v = 12345;
	const char *r = parse_size(s, &v);

	ok(r == NULL && v == want, "parse_size(\"%s\") = %llu: %s", s,
	    (unsigned long long)want, why);
	if (r != NULL)
		diag("refused: %s", r);
	else if (v != want)
		diag("got %llu", (unsigned long long)v);
}

static void
size_bad(const char *s, const char *why)
{
	uint64_t v = 12345;
	const char *r = parse_size(s, &v);

	ok(r != NULL && r[0] != '\0', "parse_size(\"%s\") refused: %s", s,
	    why);
	if (r == NULL)
		diag("accepted as %llu", (unsigned long long)v);
}

static void
size_too_large(const char *s, const char *why)
{
	uint64_t v = 12345;
	const char *r = parse_size(s, &v);

	ok(r != NULL && strstr(r, "too large") != NULL,
	    "parse_size(\"%s\") refused as too large: %s", s, why);
	if (r == NULL)
		diag("accepted as %llu", (unsigned long long)v);
	else if (strstr(r, "too large") == NULL)
		diag("refused, but as: %s", r);
}

static void
test_size(void)
{
	uint64_t v;
	const char *r;

	size_good("4096", 4096, "a plain byte count");
	size_good("64K", 64 * 1024ULL, "binary suffix K");
	size_good("64k", 64 * 1024ULL, "suffix k is case-insensitive");
	size_good("1M", 1024 * 1024ULL, "binary suffix M");
	size_good("1m", 1024 * 1024ULL, "suffix m is case-insensitive");
	size_good("2G", 2 * 1024ULL * 1024 * 1024, "binary suffix G");
	size_good("1T", 1ULL << 40, "binary suffix T");
	size_good("0", 0, "zero is a size");
	size_good("0K", 0, "zero with a suffix");
	size_good("15E", 15ULL << 60, "15 EiB still fits in 64 bits");
	size_good("18446744073709551615", UINT64_MAX,
	    "UINT64_MAX itself fits");

	size_bad("-1", "negative sizes are refused, not wrapped around");
	size_bad("-0", "a minus sign is never part of a size");
	size_bad("", "empty string");
	size_bad(" 1", "leading blank");
	size_bad("+1", "a plus sign is not part of a size");
	size_bad("1Q", "unknown suffix Q");
	size_bad("K", "a suffix without digits");
	size_bad("abc", "letters");

	/* As ipcmk(1): KiB and K binary, KB decimal, fractions. */
	size_good("8KiB", 8192, "KiB is K");
	size_good("8KB", 8000, "KB is decimal");
	size_good("8kb", 8000, "kb, any case, is decimal");
	size_good("1MiB", 1048576, "MiB is M");
	size_good("1MB", 1000000, "MB is decimal");
	size_good("2GB", 2000000000ULL, "GB is decimal");
	size_good("1EB", 1000000000000000000ULL, "EB is decimal");
	size_good("1.5M", 1572864, "a fraction with a suffix");
	size_good("1.5K", 1536, "a fraction of K");
	size_good("0.5KB", 500, "a fraction of a decimal K");
	size_good(".5K", 512, "no digit before the point");
	size_good("1.1K", 1126, "a fraction of a byte is dropped (1126.4)");
	size_good("1.999999999999999999999E", (1ULL << 61) - 1,
	    "every digit counts: just under 2 EiB, rounded down");
	size_good("15.9999999999999999999E", UINT64_MAX,
	    "the largest size, as a fraction of E");
	size_good("1.0", 1, "a fraction that is a whole byte");
	size_bad("1.5", "no fraction of a byte without a suffix");
	size_bad("1.5KiBB", "garbage after KiB");
	size_bad("1Ki", "Ki without B");
	size_bad("1B", "B alone is no suffix");
	size_bad("1.2.3K", "two points");
	size_bad(".K", "a point alone");
	size_bad("-1.5K", "a negative fraction");

	size_bad("1 ", "trailing blank after the digits");

	/*
	 * What libbsd 0.11's expand_number gets wrong (base 0, no ERANGE
	 * check, nothing checked after the suffix), and parse_size must not.
	 */

	/* "An integer with an optional binary suffix": nothing after it. */
	size_bad("1k5", "garbage after the suffix");
	size_bad("1K ", "trailing blank after the suffix");
	size_bad("1KX", "garbage after the suffix");

	/* Decimal integers, as everywhere else on the command line. */
	r = parse_size("010", &v);
	ok(r != NULL || v == 10,
	    "parse_size(\"010\") is ten or refused, never octal eight");
	if (r == NULL && v != 10)
		diag("got %llu", (unsigned long long)v);
	size_bad("0x10", "hexadecimal is not a decimal integer (as parse_int)");

	size_too_large("99999999999999999999",
	    "overflows 64 bits: refused, not clamped to UINT64_MAX");
	size_too_large("18446744073709551616",
	    "UINT64_MAX + 1: refused, not clamped");

	size_too_large("16E", "16 EiB overflows 64 bits");
	size_too_large("16EiB", "16 EiB overflows 64 bits");
	size_too_large("18.5EB", "18.5 EB overflows 64 bits");
	size_too_large("20E", "20 EiB overflows 64 bits");
	size_too_large("17179869184G", "2^34 GiB overflows 64 bits");
}

/* ----------------------------------------------------------------- modes */

static void
mode_good(const char *s, mode_t want, const char *why)
{
	mode_t m = 07777;
	const char *r = parse_mode(s, &m);

	ok(r == NULL && m == want, "parse_mode(\"%s\") = %04o: %s", s,
	    (unsigned)want, why);
	if (r != NULL)
		diag("refused: %s", r);
	else if (m != want)
		diag("got %04o", (unsigned)m);
}

static void
mode_bad(const char *s, const char *why)
{
	mode_t m = 07777;
	const char *r = parse_mode(s, &m);

	ok(r != NULL && r[0] != '\0', "parse_mode(\"%s\") refused: %s", s,
	    why);
	if (r == NULL)
		diag("accepted as %04o", (unsigned)m);
}

static void
test_mode(void)
{
	static const mode_t umasks[] = { 022, 077, 0 };
	static const char *const umask_modes[] = { "+r", "u=rw,g=rw", "a=rwx",
	    "0660", "go+w" };
	static const mode_t umask_want[] = { 0444, 0660, 0777, 0660, 0022 };
	mode_t old, m, now;
	size_t i, j;
	int same;

	old = umask(022);

	mode_good("0600", 0600, "octal with a leading zero");
	mode_good("600", 0600, "octal without a leading zero");
	mode_good("0", 0, "zero: no permissions");
	mode_good("0777", 0777, "all permission bits");
	mode_good("777", 0777, "all permission bits, no leading zero");
	mode_good("0640", 0640, "mixed octal digits");
	mode_good("1", 01, "a single octal digit");
	mode_bad("0800", "8 is not an octal digit");
	mode_bad("8", "8 is not an octal digit");
	mode_bad("0779", "9 is not an octal digit");
	mode_bad("01777", "sticky bit: only permission bits are allowed");
	mode_bad("4755", "setuid bit: only permission bits are allowed");
	mode_bad("2770", "setgid bit: only permission bits are allowed");
	mode_bad("1000", "sticky bit alone");
	mode_bad("0600x", "trailing garbage after octal digits");
	mode_bad("0x1ff", "hexadecimal is not a mode");
	mode_bad("-0600", "a negative number is not a mode");
	mode_bad(" 0600", "leading blank");

	mode_good("u=rw,g=rw", 0660, "symbolic u=rw,g=rw");
	mode_good("u=rw", 0600, "symbolic u=rw");
	mode_good("a=r", 0444, "symbolic a=r");
	mode_good("u=rwx,go=", 0700, "symbolic u=rwx,go=");
	mode_good("a=rwx", 0777, "symbolic a=rwx");
	mode_good("ug=rw,o=r", 0664, "symbolic ug=rw,o=r");
	mode_good("u=rw,g+r", 0640, "symbolic assignment then addition");
	mode_good("a=rw,o-rw", 0660, "symbolic removal after assignment");
	mode_bad("u+s", "setuid via symbolic mode");
	mode_bad("g+s", "setgid via symbolic mode");
	mode_bad("+t", "sticky via symbolic mode");
	mode_bad("", "empty mode");
	mode_bad("bogus", "not a mode at all");
	mode_bad("u=rwz", "unknown permission letter");
	mode_bad("q=r", "unknown who letter");

	/* The object gets exactly MODE: the umask must not narrow it. */
	for (i = 0; i < sizeof(umask_modes) / sizeof(umask_modes[0]); i++) {
		mode_t first = 07777;

		same = 1;
		for (j = 0; j < sizeof(umasks) / sizeof(umasks[0]); j++) {
			umask(umasks[j]);
			m = 07777;
			if (parse_mode(umask_modes[i], &m) != NULL)
				same = 0;
			if (j == 0)
				first = m;
			else if (m != first)
				same = 0;
			now = umask(umasks[j]);
			if (now != umasks[j])
				same = 0;
		}
		ok(same && first == umask_want[i],
		    "parse_mode(\"%s\") = %04o under umask 022, 077 and 000 alike",
		    umask_modes[i], (unsigned)umask_want[i]);
		if (first != umask_want[i])
			diag("got %04o", (unsigned)first);
	}

	umask(022);
	parse_mode("+r", &m);
	now = umask(022);
	ok(now == 022, "umask 022 is unchanged after a symbolic parse_mode");
	umask(077);
	parse_mode("u=rw,g=rw", &m);
	now = umask(077);
	ok(now == 077, "umask 077 is unchanged after a symbolic parse_mode");
	umask(027);
	parse_mode("bogus", &m);
	now = umask(027);
	ok(now == 027, "umask 027 is unchanged after a refused symbolic mode");
	umask(027);
	parse_mode("u+s", &m);
	now = umask(027);
	ok(now == 027, "umask 027 is unchanged after a refused u+s");
	umask(023);
	parse_mode("0640", &m);
	now = umask(023);
	ok(now == 023, "umask 023 is unchanged after an octal parse_mode");

	umask(old);
}

/* ------------------------------------------------------------- durations */

static void
dur_good(const char *s, time_t sec, long nsec, const char *why)
{
	struct timespec ts = { 12345, 12345 };
	const char *r = parse_duration(s, &ts);

	ok(r == NULL && ts.tv_sec == sec && ts.tv_nsec == nsec,
	    "parse_duration(\"%s\") = %lld s %ld ns: %s", s, (long long)sec,
	    nsec, why);
	if (r != NULL)
		diag("refused: %s", r);
	else if (ts.tv_sec != sec || ts.tv_nsec != nsec)
		diag("got %lld s %ld ns", (long long)ts.tv_sec, ts.tv_nsec);
}

static void
dur_bad(const char *s, const char *label, const char *why)
{
	struct timespec ts = { 12345, 12345 };
	const char *r = parse_duration(s, &ts);

	ok(r != NULL && r[0] != '\0', "parse_duration(%s) refused: %s",
	    label, why);
	if (r == NULL)
		diag("accepted as %lld s %ld ns", (long long)ts.tv_sec,
		    ts.tv_nsec);
}

static void
dur_too_large(const char *s, const char *why)
{
	struct timespec ts = { 12345, 12345 };
	const char *r = parse_duration(s, &ts);

	ok(r != NULL && strstr(r, "too large") != NULL,
	    "parse_duration(\"%s\") refused as too large: %s", s, why);
	if (r == NULL)
		diag("accepted as %lld s %ld ns", (long long)ts.tv_sec,
		    ts.tv_nsec);
	else if (strstr(r, "too large") == NULL)
		diag("refused, but as: %s", r);
}

static void
test_duration(void)
{
	dur_good("0", 0, 0, "zero: try once");
	dur_good("0.0", 0, 0, "zero with a fraction");
	dur_good("0ms", 0, 0, "zero milliseconds");
	dur_good("1", 1, 0, "bare number is seconds");
	dur_good("2.5", 2, 500000000, "a decimal fraction of seconds");
	dur_good("500ms", 0, 500000000, "suffix ms");
	dur_good("1500ms", 1, 500000000, "ms past a second carries");
	dur_good("1.5ms", 0, 1500000, "a fraction of a millisecond");
	dur_good("10s", 10, 0, "suffix s");
	dur_good("0.25s", 0, 250000000, "fraction with suffix s");
	dur_good("1m", 60, 0, "suffix m is minutes");
	dur_good("1.5m", 90, 0, "a fraction of a minute");
	dur_good("1h", 3600, 0, "suffix h is hours");
	dur_good("0.5h", 1800, 0, "half an hour");
	dur_good("1d", 86400, 0, "suffix d is days");
	dur_good("1.5d", 129600, 0, "a fraction of a day");
	dur_good("106751d", 106751LL * 86400, 0,
	    "the largest whole number of days that fits");
	dur_good(".5", 0, 500000000, "no digits before the point");
	dur_good("1.", 1, 0, "no digits after the point");
	dur_good("007", 7, 0, "leading zeros are decimal");
	dur_good("1.0000000001", 1, 0,
	    "a tenth of a nanosecond rounds down to nothing");
	dur_good("1.0000000005", 1, 1, "half a nanosecond rounds up");
	dur_good("1.0000000009", 1, 1, "0.9 ns rounds to 1 ns");
	dur_good("0.9999999999", 1, 0, "rounding carries into the seconds");
	dur_good("0.000000001", 0, 1, "one nanosecond");
	dur_good("0.123456789123456789", 0, 123456789,
	    "digits past nanoseconds are rounded away");
	dur_good("9223372036", 9223372036, 0,
	    "the largest whole number of seconds that fits");
	dur_good("2562047h", 2562047LL * 3600, 0,
	    "the largest whole number of hours that fits");

	dur_bad("-1", "\"-1\"", "negative");
	dur_bad("-0", "\"-0\"", "a minus sign is never allowed");
	dur_bad("nan", "\"nan\"", "NaN");
	dur_bad("NaN", "\"NaN\"", "NaN, any case");
	dur_bad("inf", "\"inf\"", "infinity");
	dur_bad("infinity", "\"infinity\"", "infinity spelled out");
	dur_bad("1e3", "\"1e3\"", "no exponent notation");
	dur_bad("", "\"\"", "empty string");
	dur_bad("1x", "\"1x\"", "unknown suffix");
	dur_bad("ms", "\"ms\"", "a suffix without a number");
	dur_bad("s", "\"s\"", "a suffix alone");
	dur_bad(".", "\".\"", "a point alone");
	dur_bad(".s", "\".s\"", "a point and a suffix, no digits");
	dur_bad(" 5", "\" 5\"", "leading blank");
	dur_bad("5 ", "\"5 \"", "trailing blank");
	dur_bad("5 s", "\"5 s\"", "a blank before the suffix");
	dur_bad("+5", "\"+5\"", "a plus sign");
	dur_bad("0x10", "\"0x10\"", "hexadecimal");
	dur_bad("1.5.2", "\"1.5.2\"", "two decimal points");
	dur_bad("1,5", "\"1,5\"", "a decimal comma");
	dur_bad("1S", "\"1S\"", "suffixes are lower case");
	dur_bad("1sec", "\"1sec\"", "only ms, s, m, h are units");
	dur_bad("1ms5", "\"1ms5\"", "garbage after the suffix");
	dur_bad("1\n", "\"1\\n\"", "a trailing newline");

	dur_too_large("99999999999999999999", "overflows 64 bits");
	dur_too_large("18446744073709551615h", "UINT64_MAX hours");
	dur_too_large("18446744073709551615", "UINT64_MAX seconds");
	dur_too_large("9223372037", "one second past what fits");
	dur_too_large("2562048h", "one hour past what fits");
	dur_too_large("106752d", "one day past what fits");
}

/* ------------------------------------------------------------- deadlines */

static void
test_deadline(void)
{
	struct deadline d;
	struct timespec dur, left, zero = { 0, 0 };
	struct timespec nap = { 0, 60 * 1000000L };
	bool more;

	memset(&d, 0xa5, sizeof(d));
	deadline_start(&d, NULL);
	ok(d.forever && !d.once, "deadline_start(NULL): wait forever");

	memset(&d, 0xa5, sizeof(d));
	deadline_start(&d, &zero);
	ok(d.once && !d.forever, "deadline_start(0): try once, never block");

	ok(parse_duration("0", &dur) == NULL, "parse_duration(\"0\") for -t 0");
	memset(&d, 0xa5, sizeof(d));
	deadline_start(&d, &dur);
	ok(d.once && !d.forever, "deadline_start(-t 0 as parsed): try once");

	ok(parse_duration("50ms", &dur) == NULL,
	    "parse_duration(\"50ms\") for a 50 ms deadline");
	memset(&d, 0xa5, sizeof(d));
	deadline_start(&d, &dur);
	ok(!d.forever && !d.once, "deadline_start(50ms): a real deadline");
	left.tv_sec = -1;
	left.tv_nsec = -1;
	more = deadline_left(&d, &left);
	ok(more, "deadline_left just after a 50 ms start: time is left");
	ok(left.tv_sec == 0 && left.tv_nsec > 0 && left.tv_nsec <= 50000000L,
	    "deadline_left reports between 0 and 50 ms left (got %lld s %ld ns)",
	    (long long)left.tv_sec, left.tv_nsec);

	while (nanosleep(&nap, &nap) == -1 && errno == EINTR)
		continue;
	left.tv_sec = -1;
	left.tv_nsec = -1;
	more = deadline_left(&d, &left);
	ok(!more, "deadline_left after sleeping 60 ms of a 50 ms deadline: "
	    "none left");
	ok(left.tv_sec == 0 && left.tv_nsec == 0,
	    "deadline_left sets the time left to zero once it has passed");

	/* A long deadline keeps its length. */
	dur.tv_sec = 3600;
	dur.tv_nsec = 0;
	deadline_start(&d, &dur);
	more = deadline_left(&d, &left);
	ok(more && left.tv_sec >= 3598 && left.tv_sec <= 3600,
	    "deadline_left of a 1 h deadline is about an hour (got %lld s)",
	    (long long)left.tv_sec);
}

/* ---------------------------------------------------------- exit status */

static void
status_is(int errnum, const char *ename, int want, const char *why)
{
	int got = exit_status(errnum);

	ok(got == want, "exit_status(%s) = %d: %s", ename, want, why);
	if (got != want)
		diag("got %d", got);
}

static void
test_status(void)
{
	status_is(ENOENT, "ENOENT", 66, "no such object -> EX_NOINPUT");
	status_is(EEXIST, "EEXIST", 73, "exists with --exclusive -> EX_CANTCREAT");
	status_is(EACCES, "EACCES", 77, "permission denied -> EX_NOPERM");
	status_is(EPERM, "EPERM", 77, "operation not permitted -> EX_NOPERM");
	status_is(EAGAIN, "EAGAIN", 75, "would block -> EX_TEMPFAIL");
	status_is(ETIMEDOUT, "ETIMEDOUT", 75, "timed out -> EX_TEMPFAIL");
	status_is(EOVERFLOW, "EOVERFLOW", 65, "value overflow -> EX_DATAERR");
	status_is(EMSGSIZE, "EMSGSIZE", 65, "message too long -> EX_DATAERR");
	status_is(EINVAL, "EINVAL", 64, "invalid argument -> EX_USAGE");
	status_is(ENOSYS, "ENOSYS", 69, "feature missing -> EX_UNAVAILABLE");
	status_is(ENOMEM, "ENOMEM", 71, "no memory -> EX_OSERR");
	status_is(EIO, "EIO", 71, "any other system error -> EX_OSERR");
	status_is(EMFILE, "EMFILE", 71, "a limit hit -> EX_OSERR");
	status_is(EFBIG, "EFBIG", 65, "past a file size limit -> EX_DATAERR");
	status_is(E_DAMAGED, "E_DAMAGED", 65,
	    "a damaged object -> EX_DATAERR");
}

/* The exit statuses ipcctl(1) lists are sysexits.h's. */
_Static_assert(EX_USAGE == 64 && EX_DATAERR == 65 && EX_NOINPUT == 66 &&
    EX_UNAVAILABLE == 69 && EX_OSERR == 71 && EX_CANTCREAT == 73 &&
    EX_IOERR == 74 && EX_TEMPFAIL == 75 && EX_NOPERM == 77,
    "sysexits.h has the values ipcctl(1) lists");

/* ----------------------------------------------------------- safe names */

static void
safe_is(const char *in, const char *want, const char *why)
{
	char buf[SAFE_NAME_BUF];
	const char *got = fmt_name(in, buf);

	ok(strcmp(got, want) == 0, "fmt_name: %s", why);
	if (strcmp(got, want) != 0)
		diag("got '%s', want '%s'", got, want);
}

/* In the C locale, as a test runs and as ls runs from cron. */
static void
test_safe_names(void)
{
	char lng[400], want[IPC_NAME_BUF];

	safe_is("/jobs", "/jobs", "a plain name prints as itself");
	safe_is("/x\033[31mred", "/x\\033[31mred",
	    "ESC is \\033: no escape sequence reaches a terminal");
	safe_is("/a\nb\tc\rd", "/a\\nb\\tc\\rd",
	    "newline, tab and return in C style");
	safe_is("/del\177bell\a", "/del\\177bell\\a", "DEL and BEL escaped");
	safe_is("/back\\slash", "/back\\slash",
	    "a backslash is left alone: names ipcctl accepts print as they are");
	safe_is("/$(x)`y` \"q'", "/$(x)`y` \"q'",
	    "shell characters are the output form's business, not the name's");
	safe_is("/bad\xff\xc2\x9b", "/bad\\377\\302\\233",
	    "bytes that are not UTF-8, and C1 controls, in octal");
	safe_is("/caf\xc3\xa9", "/caf\\303\\251",
	    "non-ASCII in octal in the C locale");
	memset(lng, 'a', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	memset(want, 'a', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	safe_is(lng, want, "a name longer than a directory holds is cut");
}

static void
text_is(const char *in, size_t len, const char *want, const char *why)
{
	char buf[4 * 64 + 1];

	safe_text(buf, in, len);
	ok(strcmp(buf, want) == 0, "safe_text: %s", why);
	if (strcmp(buf, want) != 0)
		diag("got '%s', want '%s'", buf, want);
}

/* In a UTF-8 locale, characters print as themselves, but not all. */
static void
test_safe_utf8(void)
{
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL) {
		ok(1, "# SKIP no C.UTF-8 locale");
		return;
	}
	text_is("caf\xc3\xa9", 5, "caf\xc3\xa9", "UTF-8 stays UTF-8");
	text_is("a\xe2\x80\xae" "b", 5, "a\\342\\200\\256b",
	    "U+202E (right-to-left override) in octal: no reordered text");
	text_is("\xe2\x81\xa6x", 4, "\\342\\201\\246x",
	    "U+2066 (left-to-right isolate) in octal");
	text_is("\xe2\x80\xa8", 3, "\\342\\200\\250",
	    "U+2028 (line separator) in octal");
	text_is("\xc2\x9b[31m", 6, "\\302\\233[31m",
	    "U+009B (C1 CSI) in octal: no escape sequence");
	text_is("x\xe9y", 3, "x\\351y", "a byte that is not UTF-8 in octal");
	text_is("\xc3", 1, "\\303", "half a character in octal");
	text_is("a\0b", 3, "a\\0b", "NUL in C style");
	setlocale(LC_CTYPE, "C");
}

static void
test_utf8_cut(void)
{
	ok(utf8_cut("ab", 2) == 2, "utf8_cut: ASCII is never cut");
	ok(utf8_cut("a\xc3\xa9", 3) == 3, "utf8_cut: a whole é stays");
	ok(utf8_cut("a\xc3\xa9", 2) == 1, "utf8_cut: half an é goes");
	ok(utf8_cut("\xe2\x80\xae", 2) == 0,
	    "utf8_cut: two bytes of three go");
	ok(utf8_cut("\xf0\x9f\x98\x80", 3) == 0,
	    "utf8_cut: three bytes of four go");
	ok(utf8_cut("x\xff", 2) == 2, "utf8_cut: a stray byte is not cut");
}

/* ------------------------------------------------------ message framing */

static void
json_is(const char *in, size_t len, const char *want, const char *why)
{
	char out[6 * 32 + 1];
	size_t n = json_escape((const unsigned char *)in, len, out);

	out[n] = '\0';
	ok(strcmp(out, want) == 0, "json_escape: %s", why);
	if (strcmp(out, want) != 0)
		diag("got '%s', want '%s'", out, want);
}

static void
b64_is(const char *in, size_t len, const char *want)
{
	char out[4 * 16 + 1];
	size_t n = base64_encode((const unsigned char *)in, len, out);

	out[n] = '\0';
	ok(strcmp(out, want) == 0, "base64_encode of %zu bytes: %s", len, want);
}

/* Known answers: what mq send --lines and receive --json put on the wire. */
static void
test_framing(void)
{
	ok(frame_next("ab\ncd", 5, '\n') == 2, "frame_next: a record ends at "
	    "its newline");
	ok(frame_next("abcd", 4, '\n') == -1, "frame_next: no delimiter yet");
	ok(frame_next("a\0b", 3, '\0') == 1, "frame_next: -0 records end at NUL");
	ok(frame_next("\n", 1, '\n') == 0, "frame_next: an empty record");
	json_is("plain", 5, "plain", "plain text as it is");
	json_is("a\"b\\c", 5, "a\\\"b\\\\c", "quote and backslash escaped");
	json_is("\n\t\x01\x7f", 4, "\\n\\t\\u0001\\u007f",
	    "newline and tab short, other controls as \\u00XX");
	json_is("caf\xc3\xa9", 5, "caf\xc3\xa9", "UTF-8 as it is");
	json_is("", 0, "", "an empty message");
	/* RFC 4648, section 10. */
	b64_is("", 0, "");
	b64_is("f", 1, "Zg==");
	b64_is("fo", 2, "Zm8=");
	b64_is("foo", 3, "Zm9v");
	b64_is("foob", 4, "Zm9vYg==");
	b64_is("fooba", 5, "Zm9vYmE=");
	b64_is("foobar", 6, "Zm9vYmFy");
	b64_is("\xff\xfe\x00", 3, "//4A");
}

/* ------------------------------------------------------- write and read */

static void
test_io(void)
{
	static char big[200000];
	struct rlimit old, lim = { 10000, RLIM_INFINITY };
	char path[] = "/tmp/ipcctl-unit-XXXXXX", back[16];
	size_t done, got;
	int fds[2], fd, e;

	ok(pipe(fds) == 0, "io: a pipe");
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	ok(io_write(fds[1], "hello", 5, -1, &done) == 0 && done == 5,
	    "io_write: all of a short write");
	close(fds[1]);
	ok(io_read(fds[0], back, sizeof(back), -1, &got) == 0 && got == 5 &&
	    memcmp(back, "hello", 5) == 0,
	    "io_read: what there is, up to the end of the pipe");
	ok(io_read(fds[0], back, sizeof(back), -1, &got) == 0 && got == 0,
	    "io_read: at the end, 0 bytes and no error");
	close(fds[0]);

	/* A file size limit: a short write, then EFBIG, and the count. */
	fd = mkstemp(path);
	unlink(path);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	setrlimit(RLIMIT_FSIZE, &lim);
	e = io_write(fd, big, sizeof(big), 0, &done);
	setrlimit(RLIMIT_FSIZE, &old);
	ok(e == EFBIG && done == 10000,
	    "io_write: past a file size limit, EFBIG after the bytes that fit "
	    "(%d, %zu)", e, done);
	ok(io_read(fd, big, sizeof(big), 0, &got) == 0 && got == 10000,
	    "io_read: at a given offset, to the end of the file");
	ok(io_write(-1, "x", 1, -1, &done) == EBADF && done == 0,
	    "io_write: an error is the errno, with nothing written");
	close(fd);
}

/* ---------------------------------------------------------- object files */

static void
test_file_check(void)
{
	char dir[] = "/tmp/ipcctl-unit-XXXXXX", path[64];
	struct stat st;
	int fd;

	ok(mkdtemp(dir) != NULL, "file_check: a directory to work in");
	snprintf(path, sizeof(path), "%s/fifo", dir);
	mkfifo(path, 0600);
	fd = open(path, O_RDONLY | O_NONBLOCK);
	ok(file_check(fd, "a semaphore", 32, &st) == E_DAMAGED,
	    "file_check: a FIFO is damaged");
	close(fd);
	unlink(path);
	snprintf(path, sizeof(path), "%s/short", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	ok(file_check(fd, "a semaphore", 32, &st) == E_DAMAGED,
	    "file_check: a 0-byte file is shorter than a semaphore");
	ok(ftruncate(fd, 32) == 0 && file_check(fd, "a semaphore", 32, &st) == 0,
	    "file_check: 32 bytes are enough");
	close(fd);
	unlink(path);
	ok(file_open_error(EISDIR, "a semaphore") == E_DAMAGED &&
	    file_open_error(ENOENT, "a semaphore") == ENOENT,
	    "file_open_error: a directory is damaged, a missing file is not");
	rmdir(dir);
}

/* ------------------------------------------------------- holders ledger */

static int
ledger_file(void)
{
	char path[] = "/tmp/ipcctl-unit-XXXXXX";
	int fd = mkstemp(path);

	unlink(path);
	/* A semaphore's sem_t, and nothing else. */
	if (fd == -1 || ftruncate(fd, 32) == -1) {
		perror(path);
		exit(1);
	}
	return fd;
}

static bool
pick_all(const struct ledger_slot *s, void *arg)
{
	(void)s;
	(void)arg;
	return true;
}

static void
test_ledger(void)
{
	struct rlimit old, lim = { 4200, RLIM_INFINITY };
	struct ledger_slot slot, *sl;
	uint32_t n, bad = 5000;
	bool tracked;
	off_t at;
	int fd = ledger_file(), removed, e;

	ok(ledger_read(fd, &sl, &n, &tracked) == 0 && n == 0 && !tracked,
	    "ledger: a plain semaphore is untracked");
	free(sl);
	ok(ledger_slot_init(&slot, getpid(), 0, "job \xc3\xa9") == 0,
	    "ledger: a slot for this process");
	ok(ledger_add(fd, &slot, NULL) == 0 && ledger_add(fd, &slot, NULL) == 0,
	    "ledger: two entries added");
	ok(ledger_read(fd, &sl, &n, &tracked) == 0 && n == 2 && tracked &&
	    sl[0].pid == getpid() && strcmp(sl[1].command, "job \xc3\xa9") == 0,
	    "ledger: both read back, command and all");
	free(sl);
	ok(ledger_count(fd) == 2, "ledger_count: 2");
	ok(ledger_remove(fd, pick_all, NULL, NULL, 1, &removed) == 0 &&
	    removed == 1 && ledger_count(fd) == 1,
	    "ledger_remove: at most max entries go");
	/* sem run's entry: recorded waiting, shown once it took its token. */
	slot.waiting = 1;
	slot.since = 0;
	ok(ledger_add(fd, &slot, &at) == 0 && ledger_count(fd) == 1,
	    "ledger: a waiting entry is no holder");
	ok(ledger_read(fd, &sl, &n, &tracked) == 0 && n == 1, "ledger_read: "
	    "a waiting entry is not read (%u)", n);
	free(sl);
	ok(ledger_took(fd, at) == 0 && ledger_read(fd, &sl, &n, &tracked) ==
	    0 && n == 2 && sl[1].waiting == 0 && sl[1].since > 0,
	    "ledger_took: the entry holds, since now");
	free(sl);
	ok(ledger_remove(fd, pick_all, NULL, NULL, 1, &removed) == 0 &&
	    removed == 1 && ledger_count(fd) == 1, "ledger: one of two gone");
	slot.waiting = 0;

	/* A slot that cannot be written leaves no entry behind. */
	ok(ledger_remove(fd, pick_all, NULL, NULL, 9, &removed) == 0 &&
	    removed == 1, "ledger: emptied");
	ok(ftruncate(fd, 32) == 0, "ledger: cut back to a bare semaphore");
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	setrlimit(RLIMIT_FSIZE, &lim);
	e = ledger_add(fd, &slot, NULL);
	setrlimit(RLIMIT_FSIZE, &old);
	ok(e == EFBIG && ledger_count(fd) == -1,
	    "ledger_add past a file size limit: EFBIG, and no entry (%d)", e);

	/* A head that counts more slots than can be: corrupt, 65. */
	ok(ledger_add(fd, &slot, NULL) == 0 &&
	    pwrite(fd, &bad, sizeof(bad), 4096 + 8) == sizeof(bad),
	    "ledger: an entry again, its head made to count 5000 slots");
	ok(ledger_read(fd, &sl, &n, &tracked) == E_DAMAGED,
	    "ledger_read: 5000 slots is a corrupt ledger");
	free(sl);
	ok(ledger_add(fd, &slot, NULL) == E_DAMAGED &&
	    ledger_remove(fd, pick_all, NULL, NULL, 1, &removed) == E_DAMAGED,
	    "ledger_add, ledger_remove: a corrupt ledger is left alone");
	bad = 3;
	ok(pwrite(fd, &bad, sizeof(bad), 4096 + 8) == sizeof(bad),
	    "ledger: its head made to count 3 slots");
	ok(ledger_read(fd, &sl, &n, &tracked) == E_DAMAGED,
	    "ledger_read: more slots than the file holds is corrupt");
	free(sl);
	ok(ledger_count(fd) == -1, "ledger_count: -1 for a corrupt ledger");
	close(fd);
}

/* ------------------------------------------------------- queue accounting */

static void
test_mq_charge(void)
{
	struct ipc_entry e;
	long long word6 = 6 * (long long)sizeof(long);

	memset(&e, 0, sizeof(e));
	e.kind = IPC_MQ;
	e.max_messages = 10;
	e.message_size = 8192;
	ok(queue_charge(&e) == 20 * word6 + 81920,
	    "queue_charge: 10 x 8192 bytes, two six-word headers a slot");
	e.max_messages = 40000;
	e.message_size = 1;
	ok(queue_charge(&e) == (40000 + 32768) * word6 + 40000,
	    "queue_charge: priority tree nodes count up to MQ_PRIO_MAX only");
	e.max_messages = -1;
	ok(queue_charge(&e) == -1, "queue_charge: unknown attributes: -1");
	e.max_messages = 10;
	e.kind = IPC_SEM;
	ok(queue_charge(&e) == -1, "queue_charge: not a queue: -1");
}

/*
 * The run engine, as "sem run" drives it, with a pipe standing for a
 * backend that can lose a token: a byte on it ends COMMAND at once, and
 * run_wait says the token was lost.
 */
static int released;
static int release_fd = -1;	/* where the guard says it gave back */
static pid_t victim;

static void
count_release(void *arg, bool taken)
{
	struct token *t = arg;

	(void)taken;
	released++;
	if (release_fd != -1)
		(void)write(release_fd, &t->pid, sizeof(t->pid));
}

static void
kill_victim(int sig)
{
	(void)sig;
	kill(victim, SIGKILL);
}

static int lost_w = -1;

static void
say_lost(int sig)
{
	(void)sig;
	(void)write(lost_w, "x", 1);
}

static struct token run_token;

/* What runner_start's guard notes before exec. */
static int (*runner_note)(void *, pid_t, uint64_t, pid_t, uint64_t);

/* A backend whose entry for the run is gone. */
static int
note_gone(void *arg, pid_t guard, uint64_t guard_start, pid_t cmd,
    uint64_t cmd_start)
{
	(void)arg, (void)guard, (void)guard_start, (void)cmd, (void)cmd_start;
	return ESRCH;
}

/*
 * As sem run does: the guard is born with the mask COMMAND is to have,
 * then what run_wait passes on is blocked.
 */
static int
runner_start(struct runner *r, char *argv[])
{
	sigset_t blocked;
	int e;

	sigprocmask(SIG_SETMASK, NULL, &blocked);
	sigprocmask(SIG_UNBLOCK, &blocked, NULL);
	memset(r, 0, sizeof(*r));
	memset(&run_token, 0, sizeof(run_token));
	run_token.pid = getpid();
	r->grace_ms = 2000;
	r->t = &run_token;
	r->release = count_release;
	r->release_arg = &run_token;
	r->note = runner_note;
	e = run_start(r, argv);
	sigprocmask(SIG_SETMASK, &blocked, NULL);
	return e;
}

static void
test_run_lost(void)
{
	char *sleeper[] = { "sleep", "30", NULL };
	char *truth[] = { "true", NULL };
	char *nothing[] = { "/nonexistent/ipcctl-test", NULL };
	char touched[] = "/tmp/ipcctl-test-run.XXXXXX";
	char *toucher[] = { "touch", touched, NULL };
	struct timespec t0, t1;
	struct itimerval at = { .it_value = { 0, 300 * 1000 } };
	struct runner r;
	sigset_t set, old;
	int fds[2], status = 0, e;
	pid_t pid, said = 0;

	if ((e = mkstemp(touched)) == -1) {
		ok(0, "run engine: mkstemp: %s", strerror(errno));
		return;
	}
	close(e);
	unlink(touched);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &old);
	if (pipe(fds) == -1 || runner_start(&r, sleeper) != 0) {
		ok(0, "run engine: could not start sleep 30");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (write(fds[1], "x", 1) != 1)
		ok(0, "run engine: could not write the pipe");
	e = run_wait(&r, &set, fds[0], &status);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	run_finish(&r);
	ok(e == 0 && r.lost && r.cmd == -1 && t1.tv_sec - t0.tv_sec < 5,
	    "run_wait: a token lost before COMMAND starts: never started "
	    "(%lds)", (long)(t1.tv_sec - t0.tv_sec));
	/* Lost while COMMAND runs: it is ended by SIGTERM at once. */
	close(fds[0]);
	close(fds[1]);
	if (pipe(fds) == -1 || runner_start(&r, sleeper) != 0) {
		ok(0, "run engine: could not start sleep 30");
		return;
	}
	lost_w = fds[1];
	signal(SIGALRM, say_lost);
	setitimer(ITIMER_REAL, &at, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	e = run_wait(&r, &set, fds[0], &status);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	run_finish(&r);
	signal(SIGALRM, SIG_DFL);
	ok(e == 0 && r.lost && r.cmd > 0 && WIFSIGNALED(status) &&
	    WTERMSIG(status) == SIGTERM && t1.tv_sec - t0.tv_sec < 5,
	    "run_wait: a lost token ends COMMAND by SIGTERM at once (%lds)",
	    (long)(t1.tv_sec - t0.tv_sec));
	close(fds[0]);
	close(fds[1]);
	if (runner_start(&r, truth) != 0) {
		ok(0, "run engine: could not start true");
		return;
	}
	e = run_wait(&r, &set, -1, &status);
	run_finish(&r);
	ok(e == 0 && !r.lost && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "run_wait: with no backend fd, COMMAND's own status");
	if (runner_start(&r, nothing) != 0) {
		ok(0, "run engine: could not start a guard");
		return;
	}
	e = run_wait(&r, &set, -1, &status);
	run_finish(&r);
	ok(e == ENOENT && r.cmd == -1, "run_wait: COMMAND not found: ENOENT "
	    "(%s)", strerror(e));
	/*
	 * COMMAND's entry gone before it was noted (its ipcctl and guard
	 * killed, recover gave the token to another): never executed.
	 */
	runner_note = note_gone;
	e = runner_start(&r, toucher);
	runner_note = NULL;
	if (e != 0) {
		ok(0, "run engine: could not start a guard");
		return;
	}
	e = run_wait(&r, &set, -1, &status);
	run_finish(&r);
	ok(e == E_UNRECORDED && r.cmd == -1 && access(toucher[1], F_OK) == -1,
	    "run_wait: COMMAND's entry gone: E_UNRECORDED, never executed "
	    "(%d)", e);
	unlink(toucher[1]);
	/* Its guard killed while COMMAND runs: what it guarded is ended. */
	if (runner_start(&r, sleeper) != 0) {
		ok(0, "run engine: could not start a guard");
		return;
	}
	victim = r.guard;
	signal(SIGALRM, kill_victim);
	setitimer(ITIMER_REAL, &at, NULL);
	e = run_wait(&r, &set, -1, &status);
	run_finish(&r);
	signal(SIGALRM, SIG_DFL);
	ok(e == E_GUARD && r.cmd > 0 && kill(r.cmd, 0) == -1,
	    "run_wait: a guard killed: E_GUARD, COMMAND ended (%d)", e);
	ok(released == 0, "run engine: no guard gave a token back while "
	    "ipcctl lived (%d)", released);
	/*
	 * ipcctl dead before it said it holds its token (it may have taken
	 * it): the guard gives back the token as it was named at its birth.
	 */
	if (pipe(fds) == -1 || (pid = fork()) == -1) {
		ok(0, "run engine: could not fork");
		return;
	}
	if (pid == 0) {
		release_fd = fds[1];
		_exit(runner_start(&r, sleeper) == 0 ? 0 : 1);
	}
	close(fds[1]);
	e = read(fds[0], &said, sizeof(said));
	waitpid(pid, &status, 0);
	close(fds[0]);
	ok(e == sizeof(said) && said == pid, "run engine: ipcctl died before "
	    "COMMAND started: its guard gave back the token of pid %d (%d)",
	    (int)pid, (int)said);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_names();
	test_int();
	test_size();
	test_mode();
	test_duration();
	test_deadline();
	test_status();
	test_safe_names();
	test_safe_utf8();
	test_utf8_cut();
	test_mq_charge();
	test_framing();
	test_io();
	test_file_check();
	test_ledger();
	test_run_lost();
	return tap_done();
}
