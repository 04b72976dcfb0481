/*
 * Text from outside -- names read from /dev/shm, command lines, operands
 * echoed in diagnostics -- made safe to print in every form: control
 * characters as C escapes (vis(3)), and every byte that is not part of a
 * printable character of the locale as \ooo, so nothing reaches a
 * terminal raw and no JSON document gets bytes that are not UTF-8.
 * Backslashes are left alone: every name ipcctl accepts prints as itself.
 */
#include <langinfo.h>
#include <stdio.h>
#include <string.h>
#include <vis.h>

#include "core.h"

/*
 * The length of the UTF-8 sequence at s (at most len bytes), or 0 where
 * s does not start one: strict, no overlong forms, no surrogates, nothing
 * past U+10FFFF. *cp gets the code point.
 */
size_t
utf8_len(const unsigned char *s, size_t len, unsigned *cp)
{
	unsigned c = s[0];
	size_t n, k;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 1;
	else if (c >= 0xe0 && c <= 0xef)
		n = 2;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 3;
	else
		return 0;
	if (len <= n)
		return 0;
	for (k = 1; k <= n; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && s[1] < 0xa0) ||	/* overlong */
	    (c == 0xed && s[1] > 0x9f) ||	/* surrogate */
	    (c == 0xf0 && s[1] < 0x90) ||	/* overlong */
	    (c == 0xf4 && s[1] > 0x8f))		/* > U+10FFFF */
		return 0;
	*cp = c & (0x3f >> n);
	for (k = 1; k <= n; k++)
		*cp = *cp << 6 | (s[k] & 0x3f);
	return n + 1;
}

bool
utf8_valid(const unsigned char *s, size_t len)
{
	size_t i, n;
	unsigned cp;

	for (i = 0; i < len; i += n)
		if ((n = utf8_len(s + i, len - i, &cp)) == 0)
			return false;
	return true;
}

/*
 * Characters that are valid but must not reach a terminal raw: C1
 * controls, and those that reorder or break the text around them (bidi
 * overrides and isolates, line and paragraph separators).
 */
static bool
unsafe_char(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x61c ||
	    cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * src (len bytes) made safe into dst, which has room for 4 * len + 1
 * bytes; returns dst. Characters beyond ASCII stay as they are only in a
 * UTF-8 locale, where the terminal and JSON agree on what they are.
 */
char *
safe_text(char *dst, const char *src, size_t len)
{
	static const int flags = VIS_CSTYLE | VIS_OCTAL | VIS_TAB | VIS_NL |
	    VIS_NOSLASH;
	const unsigned char *s = (const unsigned char *)src;
	bool utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	char *d = dst;
	size_t i, n, k;
	unsigned cp;

	*d = '\0';
	for (i = 0; i < len; i += n) {
		n = utf8_len(s + i, len - i, &cp);
		if (n == 1) {
			d = bsd_vis(d, s[i], flags, i + 1 < len ? s[i + 1] :
			    '\0');
			continue;
		}
		if (n > 1 && utf8 && !unsafe_char(cp)) {
			memcpy(d, s + i, n);
			d += n;
			*d = '\0';
			continue;
		}
		if (n == 0)
			n = 1;
		for (k = 0; k < n; k++)
			d += sprintf(d, "\\%03o", s[i + k]);
	}
	return dst;
}

/*
 * len, or less so that s[0..len) does not end inside a UTF-8 sequence
 * (a command line cut to fit is cut between characters).
 */
size_t
utf8_cut(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t j = len, need;

	while (j > 0 && len - j < 3 && (u[j - 1] & 0xc0) == 0x80)
		j--;
	if (j == 0 || u[j - 1] < 0xc2 || u[j - 1] > 0xf4)
		return len;
	need = u[j - 1] >= 0xf0 ? 4 : u[j - 1] >= 0xe0 ? 3 : 2;
	return len - (j - 1) < need ? j - 1 : len;
}
