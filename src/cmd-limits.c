/*
 * ipcctl limits: what this platform supports and its limits, the shell's
 * view of posix_ipc's constants.
 *
 * People read a KEY VALUE list; scripts get every limit typed: --json is
 * one object, so "jq .sem_value_max" is a number, and --pairs is one line
 * a script can eval.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipcctl.h"

/* A key as JSON has it: the column's name in lower case. */
static void
json_key(const char *name, char key[32])
{
	size_t j;

	for (j = 0; name[j] != '\0' && j < 31; j++)
		key[j] = tolower((unsigned char)name[j]);
	key[j] = '\0';
}

/*
 * One JSON object, not libsmartcols' {"limits":[{...}]}: there is one
 * of each limit, and jq .page_size reads better than .limits[0]. Laid
 * out as libsmartcols lays out JSON; null for unknown and "unlimited".
 */
static void
print_json(const struct limits *l)
{
	char key[32], *safe, *esc;
	long long v;
	size_t i, len;

	printf("{");
	for (i = 0; i < l->n; i++) {
		json_key(l->cols[i].name, key);
		printf("%s\n   \"%s\": ", i == 0 ? "" : ",", key);
		if (l->v[i] == NULL || l->unlimited[i])
			printf("null");
		else if (l->cols[i].type == COL_BOOL)
			printf("%s", strcmp(l->v[i], "yes") == 0 ? "true" :
			    "false");
		else if (l->cols[i].type != COL_STR &&
		    parse_int(l->v[i], LLONG_MIN, LLONG_MAX, &v) == NULL)
			printf("%lld", v);
		else {
			/* Text from elsewhere (a cluster's version): safe. */
			len = strlen(l->v[i]);
			if ((safe = malloc(4 * len + 1)) == NULL ||
			    (esc = malloc(6 * 4 * len + 1)) == NULL)
				die(ENOMEM, NULL);
			safe_text(safe, l->v[i], len);
			esc[json_escape((unsigned char *)safe, strlen(safe),
			    esc)] = '\0';
			printf("\"%s\"", esc);
			free(safe);
			free(esc);
		}
	}
	printf("\n}\n");
}

/* One row, a typed column per limit: pairs, one line to eval. */
static void
print_row(const struct limits *l, const struct out_opts *out)
{
	struct libscols_line *ln;
	struct table *t;
	size_t i;

	t = table_new("limits", l->cols, l->n, out);
	ln = table_row(t);
	for (i = 0; i < l->n; i++)
		table_set(t, ln, i, l->v[i]);
	table_print(t);
}

/* KEY VALUE rows, the keys as JSON has them; sizes as 8K unless -b. */
static void
print_list(const struct limits *l, const struct out_opts *out)
{
	static const struct out_col cols[] = {
		{ "KEY",	COL_STR, false },
		{ "VALUE",	COL_STR, false },
	};
	struct libscols_line *ln;
	struct table *t;
	char key[32], size[SIZE_BUF];
	long long v;
	size_t i;

	t = table_new("limits", cols, 2, out);
	for (i = 0; i < l->n; i++) {
		json_key(l->cols[i].name, key);
		ln = table_row(t);
		table_set(t, ln, 0, key);
		if (l->cols[i].type == COL_BYTES && output_human(out) &&
		    l->v[i] != NULL && parse_int(l->v[i], 0, LLONG_MAX, &v) ==
		    NULL)
			table_set(t, ln, 1, fmt_size(v, size));
		else
			table_set(t, ln, 1, l->v[i]);
	}
	table_print(t);
}

const struct opt opts_limits[] = { OPT_BYTES_DEF, OPTS_OUTPUT, { 0 } };

int
cmd_limits(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	const struct backend *b = NULL;
	struct out_opts out = { 0 };
	struct limits l;
	struct args a;
	const char *arg, *scheme = NULL;
	size_t i;
	int ch, e;

	args_init(&a, argc, argv, obj, verb);
	while ((ch = args_next(&a, &arg)) != -1) {
		if (output_opt(ch, &out))
			continue;
		/* SCHEME (etcd:): the limits of what keeps such names. */
		if (ch == 1 && b == NULL && backend_scheme(arg) != NULL) {
			if ((e = backend_get(scheme = arg, &b)) != 0)
				die(e, scheme);
		} else if (ch == 1)
			usage_error(obj, verb, "unexpected operand: %s", arg);
		else
			args_bad(&a, '?');
	}
	if (b == NULL && (e = backend_get(NULL, &b)) != 0)
		die(e, NULL);
	if ((e = b->limits(&l)) != 0)
		die(e, scheme);
	if (out.format == OUT_JSON)
		print_json(&l);
	else if (out.format == OUT_PAIRS)
		print_row(&l, &out);
	else
		print_list(&l, &out);
	for (i = 0; i < l.n; i++)
		free(l.v[i]);
	return 0;
}
