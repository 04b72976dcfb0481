/*
 * Message framing: records split on a delimiter, JSON strings, base64.
 * What `mq send --lines/-0` and `mq receive --json` put on the wire.
 */
#include <string.h>

#include "core.h"

/*
 * The length of the record at the start of buf[0..len) ended by delim,
 * or -1 when buf holds no delimiter yet.
 */
ssize_t
frame_next(const char *buf, size_t len, int delim)
{
	const char *end = memchr(buf, delim, len);

	return end == NULL ? -1 : end - buf;
}

/*
 * Write s as the inside of a JSON string into out, which has room for
 * 6 * len bytes; returns the bytes written. s must be valid UTF-8.
 */
size_t
json_escape(const unsigned char *s, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	char *o = out;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = c;
		} else if (c == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else if (c == '\t') {
			*o++ = '\\';
			*o++ = 't';
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(o, "\\u00", 4);
			o[4] = hex[c >> 4];
			o[5] = hex[c & 0xf];
			o += 6;
		} else
			*o++ = c;
	}
	return o - out;
}

/* Standard base64 with padding into out (room: 4 * ((len + 2) / 3)). */
size_t
base64_encode(const unsigned char *s, size_t len, char *out)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *o = out;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		*o++ = b64[s[i] >> 2];
		*o++ = b64[(s[i] & 3) << 4 | s[i + 1] >> 4];
		*o++ = b64[(s[i + 1] & 0xf) << 2 | s[i + 2] >> 6];
		*o++ = b64[s[i + 2] & 0x3f];
	}
	if (i < len) {
		*o++ = b64[s[i] >> 2];
		if (i + 1 < len) {
			*o++ = b64[(s[i] & 3) << 4 | s[i + 1] >> 4];
			*o++ = b64[(s[i + 1] & 0xf) << 2];
		} else {
			*o++ = b64[(s[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	return o - out;
}
