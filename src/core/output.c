/*
 * Tables in the four forms users of lsipc and lsblk know: plain, JSON
 * (numbers as numbers, absent values as null), raw, and KEY="value" pairs.
 */
#include <errno.h>
#include <grp.h>
#include <libsmartcols.h>
#include <locale.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "ipcctl.h"

struct table {
	struct libscols_table	*tb;
};

bool
output_opt(int ch, struct out_opts *o)
{
	switch (ch) {
	case OPT_JSON:
		o->format = OUT_JSON;
		break;
	case OPT_PAIRS:
		o->format = OUT_PAIRS;
		break;
	case 'r':
		o->format = OUT_RAW;
		break;
	default:
		return false;
	}
	return true;
}

struct table *
table_new(const char *name, const struct out_col *cols, size_t ncols,
    const struct out_opts *o)
{
	struct table *t;
	size_t i;

	/* Column widths need the locale; only table output pays for it. */
	setlocale(LC_ALL, "");
	if ((t = malloc(sizeof(*t))) == NULL ||
	    (t->tb = scols_new_table()) == NULL)
		die(ENOMEM, NULL);
	scols_table_set_name(t->tb, name);
	scols_table_enable_json(t->tb, o->format == OUT_JSON);
	scols_table_enable_raw(t->tb, o->format == OUT_RAW);
	scols_table_enable_export(t->tb, o->format == OUT_PAIRS);
	scols_table_enable_noheadings(t->tb, o->noheadings);
	for (i = 0; i < ncols; i++) {
		struct libscols_column *cl;

		cl = scols_table_new_column(t->tb, cols[i].name, 0,
		    cols[i].right ? SCOLS_FL_RIGHT : 0);
		if (cl == NULL)
			die(ENOMEM, NULL);
		if (cols[i].type == COL_NUM)
			scols_column_set_json_type(cl, SCOLS_JSON_NUMBER);
	}
	return t;
}

struct libscols_line *
table_row(struct table *t)
{
	struct libscols_line *ln;

	if ((ln = scols_table_new_line(t->tb, NULL)) == NULL)
		die(ENOMEM, NULL);
	return ln;
}

/* A NULL value stays absent: blank in a table, null in JSON. */
void
table_set(struct table *t, struct libscols_line *ln, size_t col,
    const char *value)
{
	(void)t;
	if (value != NULL && scols_line_set_data(ln, col, value) != 0)
		die(ENOMEM, NULL);
}

void
table_setf(struct table *t, struct libscols_line *ln, size_t col,
    const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		die(ENOMEM, NULL);
	va_end(ap);
	if (scols_line_refer_data(ln, col, s) != 0)
		die(ENOMEM, NULL);
	(void)t;
}

void
table_print(struct table *t)
{
	scols_print_table(t->tb);
	scols_unref_table(t->tb);
	free(t);
}

void
fmt_mode(mode_t mode, char buf[8])
{
	snprintf(buf, 8, "%04o", (unsigned)(mode & 07777));
}

const char *
fmt_user(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		return pw->pw_name;
	snprintf(buf, len, "%lu", (unsigned long)uid);
	return buf;
}

const char *
fmt_group(gid_t gid, char *buf, size_t len)
{
	struct group *gr = getgrgid(gid);

	if (gr != NULL)
		return gr->gr_name;
	snprintf(buf, len, "%lu", (unsigned long)gid);
	return buf;
}
