/*
 * Numbers, sizes and modes from the command line. Each parser returns NULL
 * or the reason the text is not acceptable; the caller turns that into a
 * usage error (exit 64).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

/*
 * An integer from min to max: digits, perhaps after a '-' (strtoll would
 * skip blanks and take a '+'), and nothing after them. The reasons are
 * strtonum(3)'s.
 */
const char *
parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;

	if (!isdigit((unsigned char)s[0]) &&
	    !(s[0] == '-' && isdigit((unsigned char)s[1])))
		return "not a number";
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (*end != '\0')
		return "not a number";
	if ((errno == ERANGE && *out == LLONG_MIN) || *out < min)
		return "too small";
	if (errno == ERANGE || *out > max)
		return "too large";
	return NULL;
}

/*
 * A size as ipcmk(1) takes it: decimal digits, perhaps a fraction, and a
 * suffix K, M, G, T, P or E (any case), binary alone or with "iB"
 * (1K = 1KiB = 1024), decimal with "B" (1KB = 1000). "1.5M" is 1572864;
 * a fraction of a byte is dropped, as ipcmk drops it. Not libbsd's
 * expand_number: version 0.11 reads "010" as octal and "0x10" as hex,
 * clamps an overflow to UINT64_MAX, ignores what follows the suffix and
 * takes no fraction.
 */
const char *
parse_size(const char *s, uint64_t *out)
{
	static const char letters[] = "kmgtpe";
	const char *p, *dot = NULL, *end, *l;
	uint64_t v = 0, mult = 1, frac = 0, base = 1024;
	int i;

	if (!isdigit((unsigned char)*s) &&
	    !(*s == '.' && isdigit((unsigned char)s[1])))
		return "not a size";
	for (p = s; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - (*p - '0')) / 10)
			return "too large";
		v = v * 10 + (*p - '0');
	}
	if (*p == '.')
		for (dot = p++; isdigit((unsigned char)*p); p++)
			continue;
	end = p;
	if (*p != '\0') {
		if ((l = strchr(letters, tolower((unsigned char)*p))) == NULL)
			return "not a size (suffixes: K, M, G, T, P, E)";
		p++;
		if (p[0] == 'i' && (p[1] == 'B' || p[1] == 'b'))
			p += 2;
		else if (p[0] == 'B' || p[0] == 'b') {
			base = 1000;
			p++;
		}
		if (*p != '\0')
			return "not a size (suffixes: K, M, G, T, P, E)";
		for (i = 0; i <= l - letters; i++)
			mult *= base;
	} else if (dot != NULL &&
	    strspn(dot + 1, "0") != (size_t)(end - dot - 1))
		return "not a whole number of bytes";
	if (v > UINT64_MAX / mult)
		return "too large";
	/*
	 * The fraction times mult, rounded down, from its last digit on:
	 * floor((d * mult + floor(x)) / 10) is floor((d * mult + x) / 10),
	 * so no digit is lost and nothing overflows (9 * 2^60 + 2^60 fits).
	 */
	if (dot != NULL)
		for (p = end - 1; p > dot; p--)
			frac = ((*p - '0') * mult + frac) / 10;
	v *= mult;
	if (v > UINT64_MAX - frac)
		return "too large";
	*out = v + frac;
	return NULL;
}

/*
 * An octal mode or a chmod(1)-style symbolic one, applied to 0. The umask
 * is set aside while setmode(3) reads it: the object gets exactly MODE.
 */
const char *
parse_mode(const char *s, mode_t *out)
{
	const char *p;
	mode_t old;
	void *set;

	if (s[0] == '\0')
		return "empty mode";
	for (p = s; *p >= '0' && *p <= '7'; p++)
		continue;
	if (*p == '\0') {
		if (p - s > 4 || strtoul(s, NULL, 8) > 0777)
			return "only permission bits (0 to 0777)";
		*out = strtoul(s, NULL, 8);
		return NULL;
	}
	if (isdigit((unsigned char)s[0]))
		return "not an octal mode";

	old = umask(0);
	set = bsd_setmode(s);
	umask(old);
	if (set == NULL)
		return "not a mode";
	*out = bsd_getmode(set, 0);
	free(set);
	/* setmode drops "o+t" silently: what is not rwx is refused. */
	if ((*out & ~(mode_t)0777) || strpbrk(s, "st") != NULL)
		return "only permission bits (no setuid, setgid or sticky)";
	return NULL;
}

/* -c, -x, -m: true if ch was one of them; a bad MODE is a usage error. */
bool
open_opt(struct args *a, int ch, const char *arg, struct open_opts *o)
{
	const char *errstr;

	switch (ch) {
	case 'c':
		o->flags |= O_CREAT;
		break;
	case 'm':
		if ((errstr = parse_mode(arg, &o->mode)) != NULL)
			usage_error(a->obj, a->verb, "%s: %s", arg, errstr);
		o->mode_set = true;
		break;
	case 'x':
		o->flags |= O_CREAT | O_EXCL;
		break;
	default:
		return false;
	}
	return true;
}
