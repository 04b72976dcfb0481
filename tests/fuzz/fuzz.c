/*
 * libFuzzer harnesses for the core's parsers and message framing. One
 * source, one target per build: -DFUZZ_NAME, -DFUZZ_NUMBER, -DFUZZ_MODE,
 * -DFUZZ_DURATION, -DFUZZ_FRAMING (and text made safe to print). Each
 * checks the invariants its parser promises, not only that it does not
 * crash. Built by "make fuzz", which starts each from the seeds in
 * tests/fuzz/seeds-TARGET.
 */
#include <sys/stat.h>

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "local/local.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The input as a C string, as argv would give it. */
static char *
cstring(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	assert(s != NULL);
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

#ifdef FUZZ_FRAMING
static int
b64val(char c)
{
	const char *t =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = strchr(t, c);

	return p == NULL || c == '\0' ? -1 : p - t;
}
#endif

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *s = cstring(data, len);

#ifdef FUZZ_NAME
	{
		char out[IPC_NAME_BUF], again[IPC_NAME_BUF];
		int k;

		for (k = IPC_SEM; k <= IPC_MQ; k++) {
			if (name_check(s, k, out) != NULL)
				continue;
			/*
			 * Canonical: one leading slash (after the scheme of a
			 * name another backend keeps), no other, stable; a
			 * scheme only where the table has it.
			 */
			const struct backend_row *r = backend_row(out);
			const char *p;

			assert(r != NULL);
			p = out + strlen(r->scheme);

			assert(p[0] == '/' && strchr(p + 1, '/') == NULL);
			assert(strlen(p) <= (k == IPC_SEM ? 252u : 256u));
			assert(name_check(out, k, again) == NULL);
			assert(strcmp(out, again) == 0);
		}
	}
#endif
#ifdef FUZZ_NUMBER
	{
		long long v;
		uint64_t u;

		if (parse_int(s, -1000, 1000, &v) == NULL)
			assert(v >= -1000 && v <= 1000);
		/* A size starts with a digit or a decimal point: no sign. */
		if (parse_size(s, &u) == NULL)
			assert((s[0] >= '0' && s[0] <= '9') || s[0] == '.');
	}
#endif
#ifdef FUZZ_MODE
	{
		mode_t m, old = umask(022);

		if (parse_mode(s, &m) == NULL)
			assert((m & ~(mode_t)0777) == 0);
		assert(umask(old) == 022);
	}
#endif
#ifdef FUZZ_DURATION
	{
		struct timespec ts;

		if (parse_duration(s, &ts) == NULL)
			assert(ts.tv_sec >= 0 && ts.tv_nsec >= 0 &&
			    ts.tv_nsec < 1000000000);
	}
#endif
#ifdef FUZZ_FRAMING
	{
		char *out = malloc(6 * len + 4 * (len / 3 + 1) + 1);
		size_t n, i, j;
		ssize_t r;

		assert(out != NULL);
		/* frame_next finds the first delimiter, as a loop would. */
		for (i = 0; i < len && data[i] != '\n'; i++)
			continue;
		r = frame_next(s, len, '\n');
		assert(r == (i < len ? (ssize_t)i : -1));

		/* JSON: no raw control character, quote or backslash left
		 * unescaped. */
		if (utf8_valid(data, len)) {
			n = json_escape(data, len, out);
			assert(n <= 6 * len);
			for (i = 0; i < n; i++) {
				assert((unsigned char)out[i] >= 0x20 &&
				    out[i] != 0x7f);
				if (out[i] == '\\')
					i++;
				else
					assert(out[i] != '"');
			}
		}

		/* base64 decodes back to the input. */
		n = base64_encode(data, len, out);
		assert(n == 4 * ((len + 2) / 3));
		for (i = j = 0; i < n; i += 4) {
			int a = b64val(out[i]), b = b64val(out[i + 1]);
			int c = out[i + 2] == '=' ? 0 : b64val(out[i + 2]);
			int d = out[i + 3] == '=' ? 0 : b64val(out[i + 3]);
			unsigned v;

			assert(a >= 0 && b >= 0 && c >= 0 && d >= 0);
			v = a << 18 | b << 12 | c << 6 | d;
			assert(j >= len || data[j++] == (v >> 16 & 0xff));
			assert(j >= len || out[i + 2] == '=' ||
			    data[j++] == (v >> 8 & 0xff));
			assert(j >= len || out[i + 3] == '=' ||
			    data[j++] == (v & 0xff));
		}
		assert(j == len);
		free(out);

		/* safe_text, in the C locale: printable ASCII only, and a
		 * backslash escape for everything else. */
		out = malloc(4 * len + 1);
		assert(out != NULL);
		safe_text(out, s, len);
		assert(strlen(out) <= 4 * len);
		for (i = 0; out[i] != '\0'; i++)
			assert((unsigned char)out[i] >= 0x20 && out[i] < 0x7f);
		/* utf8_cut never cuts a valid string but at its end. */
		if (utf8_valid(data, len))
			assert(utf8_cut(s, len) == len);
		free(out);
	}
#endif
	free(s);
	return 0;
}
