/*
 * The JSON gateway's encodings: keys and values are base64, 64-bit
 * numbers travel as strings, and a field that is zero or false is
 * absent from an answer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "etcd/etcd.h"

json_t *
j_bytes(const void *p, size_t len)
{
	char *buf;
	json_t *j;

	if ((buf = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		die(ENOMEM, NULL);
	buf[base64_encode(p, len, buf)] = '\0';
	j = json_string(buf);
	free(buf);
	return j;
}

json_t *
j_str(const char *s)
{
	return j_bytes(s, strlen(s));
}

json_t *
j_int(long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return json_string(buf);
}

/* Field name of o as a number: a string or a number; absent: 0. */
long long
j_get_int(const json_t *o, const char *name)
{
	const json_t *v = json_object_get(o, name);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return 0;
}

static int
b64_value(int c)
{
	static const char set[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c != '\0' ? strchr(set, c) : NULL;

	return p != NULL ? (int)(p - set) : -1;
}

/*
 * Field name of o, base64, decoded into a new NUL-terminated buffer (its
 * length in *len); absent: an empty one.
 */
char *
j_get_bytes(const json_t *o, const char *name, size_t *len)
{
	const char *s = json_string_value(json_object_get(o, name));
	unsigned acc = 0;
	size_t n = 0;
	int bits = 0, v;
	char *out;

	if (s == NULL)
		s = "";
	if ((out = malloc(strlen(s) / 4 * 3 + 4)) == NULL)
		die(ENOMEM, NULL);
	for (; *s != '\0' && *s != '='; s++) {
		if ((v = b64_value(*s)) == -1)
			continue;
		acc = acc << 6 | v;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[n++] = acc >> bits & 0xff;
		}
	}
	out[n] = '\0';
	if (len != NULL)
		*len = n;
	return out;
}

/* The end of the range of keys that begin with prefix (a new string). */
char *
range_end(const char *prefix)
{
	char *end = strdup(prefix);
	size_t n = strlen(prefix);

	if (end == NULL)
		die(ENOMEM, NULL);
	/* Prefixes end in '/' here: never 0xff, so no carry. */
	end[n - 1]++;
	return end;
}

/* The revision an answer was read at (its header's). */
long long
answer_revision(const json_t *resp)
{
	return j_get_int(json_object_get(resp, "header"), "revision");
}

/* Response i of a transaction's answer, a range's: its answer. */
json_t *
txn_range(const json_t *resp, size_t i)
{
	return json_object_get(json_array_get(json_object_get(resp,
	    "responses"), i), "response_range");
}

/* The kvs of response i of a transaction's answer (a range's). */
json_t *
txn_kvs(const json_t *resp, size_t i)
{
	return json_object_get(txn_range(resp, i), "kvs");
}

/* The count of response i of a transaction's answer (a range's). */
long long
txn_count(const json_t *resp, size_t i)
{
	return j_get_int(txn_range(resp, i), "count");
}
