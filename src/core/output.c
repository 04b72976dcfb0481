/*
 * Tables in the four forms users of lsipc and lsblk know: plain, JSON
 * (numbers as numbers, absent values as null), raw, and KEY="value" pairs.
 */
#include <sys/stat.h>

#include <dlfcn.h>
#include <err.h>
#include <errno.h>
#include <grp.h>
#include <libsmartcols.h>
#include <limits.h>
#include <locale.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"

struct table {
	struct libscols_table	*tb;
	enum out_format		 format;
	bool			 human;		/* sizes as 8K */
	bool			 noheadings;
	bool			 header_always;	/* even with no row */
	const struct out_col	*cols;		/* the caller's, as given */
	size_t			 ncols;
};

/*
 * libsmartcols is loaded when a table is first made, not at start-up:
 * linked, it cost every "sem value" and "sem run" 0.1 ms more (measured:
 * bench/README.md), and only info, ls, limits and holders print tables. A library that
 * cannot be loaded is exit 69, naming it. A static program (configure's
 * SMARTCOLS_LINKED) has it linked in: a static program's dlopen() would
 * load a second libc, whose stdout is never flushed.
 */
#define SCOLS_FUNCS \
	F(scols_column_set_json_type) \
	F(scols_line_refer_data) \
	F(scols_line_set_data) \
	F(scols_new_table) \
	F(scols_print_table) \
	F(scols_print_table_to_string) \
	F(scols_table_enable_export) \
	F(scols_table_enable_json) \
	F(scols_table_enable_noheadings) \
	F(scols_table_enable_raw) \
	F(scols_table_new_column) \
	F(scols_table_new_line) \
	F(scols_table_set_name) \
	F(scols_unref_table)

static struct {
#define F(f)	__typeof__(f) *f;
	SCOLS_FUNCS
#undef F
} sc;

#ifdef SMARTCOLS_LINKED
static void
scols_load(void)
{
#define F(f)	sc.f = f;
	SCOLS_FUNCS
#undef F
}
#else
static void
scols_load(void)
{
	void *h;

	if (sc.scols_new_table != NULL)
		return;
	h = lib_open(SMARTCOLS_SONAME);
#define F(f)	*(void **)&sc.f = lib_sym(h, #f);
	SCOLS_FUNCS
#undef F
}
#endif

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
	case 'b':
		o->bytes = true;
		break;
	default:
		return false;
	}
	return true;
}

/*
 * Sizes as lsipc shows them, for people: a plain table unless -b. The
 * forms scripts read (JSON, raw, pairs) keep bytes.
 */
bool
output_human(const struct out_opts *o)
{
	return o->format == OUT_PLAIN && !o->bytes;
}

/*
 * A size as util-linux's lsipc and lsblk print it: the largest binary
 * unit it holds once, one decimal rounded half up and dropped where it is
 * 0: "11B", "4K", "1.5M". Not libbsd's humanize_number, whose widths
 * give "4096B" and "1536K" for what lsipc shows as "4K" and "1.5M".
 */
const char *
fmt_size(uint64_t v, char buf[SIZE_BUF])
{
	static const char letters[] = "BKMGTPE";
	uint64_t whole, frac;
	int exp;

	for (exp = 0; exp < 60 && v >> (exp + 10) != 0; exp += 10)
		continue;
	whole = v >> exp;
	frac = exp == 0 ? 0 : v & ((1ULL << exp) - 1);
	/* Tenths, rounded half up; from 1000ths as util-linux does. */
	if (frac != 0) {
		frac = frac >= UINT64_MAX / 1000 ?
		    (frac >> 10) * 1000 >> (exp - 10) : frac * 1000 >> exp;
		frac = (frac + 50) / 100;
		if (frac == 10) {
			whole++;
			frac = 0;
		}
	}
	if (frac != 0)
		snprintf(buf, SIZE_BUF, "%ju%.4s%ju%c", (uintmax_t)whole,
		    localeconv()->decimal_point, (uintmax_t)frac,
		    letters[exp / 10]);
	else
		snprintf(buf, SIZE_BUF, "%ju%c", (uintmax_t)whole,
		    letters[exp / 10]);
	return buf;
}

/* value as the table shows it: a size of a COL_BYTES column, humanly. */
static const char *
cell(const struct table *t, size_t col, const char *value,
    char buf[SIZE_BUF])
{
	long long v;

	if (value == NULL || !t->human || col >= t->ncols ||
	    t->cols[col].type != COL_BYTES)
		return value;
	if (parse_int(value, 0, LLONG_MAX, &v) != NULL)
		return value;		/* "unlimited" */
	return fmt_size(v, buf);
}

struct table *
table_new(const char *name, const struct out_col *cols, size_t ncols,
    const struct out_opts *o)
{
	struct table *t;
	size_t i;

	/* Column widths need the locale; only table output pays for it. */
	setlocale(LC_ALL, "");
	scols_load();
	if ((t = malloc(sizeof(*t))) == NULL ||
	    (t->tb = sc.scols_new_table()) == NULL)
		die(ENOMEM, NULL);
	t->format = o->format;
	t->human = output_human(o);
	t->noheadings = o->noheadings;
	t->header_always = false;
	t->cols = cols;
	t->ncols = ncols;
	sc.scols_table_set_name(t->tb, name);
	sc.scols_table_enable_json(t->tb, o->format == OUT_JSON);
	sc.scols_table_enable_raw(t->tb, o->format == OUT_RAW);
	sc.scols_table_enable_export(t->tb, o->format == OUT_PAIRS);
	sc.scols_table_enable_noheadings(t->tb, o->noheadings);
	for (i = 0; i < ncols; i++) {
		struct libscols_column *cl;

		cl = sc.scols_table_new_column(t->tb, cols[i].name, 0,
		    cols[i].right ? SCOLS_FL_RIGHT : 0);
		if (cl == NULL)
			die(ENOMEM, NULL);
		if (cols[i].type == COL_NUM || cols[i].type == COL_BYTES)
			sc.scols_column_set_json_type(cl, SCOLS_JSON_NUMBER);
		else if (cols[i].type == COL_BOOL)
			sc.scols_column_set_json_type(cl, SCOLS_JSON_BOOLEAN);
	}
	return t;
}

struct libscols_line *
table_row(struct table *t)
{
	struct libscols_line *ln;

	if ((ln = sc.scols_table_new_line(t->tb, NULL)) == NULL)
		die(ENOMEM, NULL);
	return ln;
}

/*
 * Print the header of a table with no row, as a list the user asked for
 * does; by default an empty table prints nothing, as lsipc's does.
 */
void
table_header_always(struct table *t)
{
	t->header_always = true;
}

/* A NULL value stays absent: blank in a table, null in JSON. */
void
table_set(struct table *t, struct libscols_line *ln, size_t col,
    const char *value)
{
	char buf[SIZE_BUF];

	value = cell(t, col, value, buf);
	if (value != NULL && sc.scols_line_set_data(ln, col, value) != 0)
		die(ENOMEM, NULL);
}

void
table_setf(struct table *t, struct libscols_line *ln, size_t col,
    const char *fmt, ...)
{
	char buf[SIZE_BUF];
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		die(ENOMEM, NULL);
	va_end(ap);
	if (cell(t, col, s, buf) != s) {
		table_set(t, ln, col, s);
		free(s);
	} else if (sc.scols_line_refer_data(ln, col, s) != 0)
		die(ENOMEM, NULL);
}

/*
 * Plain and raw rows end where their last value does: libsmartcols pads
 * an empty last cell (and raw separates it), and a row that ends in
 * blanks trips diff, grep 'x$' and every editor. Values hold no trailing
 * blank of their own: raw escapes blanks, plain cells are padded only.
 */
void
table_print(struct table *t)
{
	char *s = NULL, *p, *e;
	size_t i, len;

	if (t->format == OUT_JSON || t->format == OUT_PAIRS)
		sc.scols_print_table(t->tb);
	else {
		if (sc.scols_print_table_to_string(t->tb, &s) != 0)
			die(ENOMEM, NULL);
		/* No row: libsmartcols prints nothing, not even the header. */
		if ((s == NULL || s[0] == '\0') && t->header_always &&
		    !t->noheadings)
			for (i = 0; i < t->ncols; i++)
				printf("%s%s", t->cols[i].name,
				    i + 1 < t->ncols ? " " : "\n");
		for (p = s; p != NULL && *p != '\0'; p = e + (*e == '\n')) {
			e = p + strcspn(p, "\n");
			for (len = e - p; len > 0 && p[len - 1] == ' '; len--)
				continue;
			/* The string's last row has no newline of its own. */
			fwrite(p, 1, len, stdout);
			putchar('\n');
		}
		free(s);
	}
	sc.scols_unref_table(t->tb);
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

/* ISO 8601 in local time, as util-linux prints times; NULL if it fails. */
const char *
fmt_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", &tm) == 0)
		return NULL;
	return buf;
}

/*
 * A name read from a directory anyone may write to, made safe to print
 * in every form (safe_text). Call after table_new, which sets the locale.
 */
const char *
fmt_name(const char *name, char buf[SAFE_NAME_BUF])
{
	/* Names longer than any directory holds are cut, not overrun. */
	return safe_text(buf, name, strnlen(name, IPC_NAME_BUF - 1));
}

/* An info number's type: the sizes are named alike in every table. */
static enum out_type
info_type(const char *column)
{
	return strcmp(column, "SIZE") == 0 ||
	    strcmp(column, "MESSAGE_SIZE") == 0 ? COL_BYTES : COL_NUM;
}

/*
 * The table every "info" verb prints: NAME, the object's numbers, then
 * MODE, OWNER and GROUP from st -- or the numbers last (numbers_last), in
 * the order the contract lists a queue's. No st (an object kept in etcd,
 * whose roles govern access): no MODE, OWNER and GROUP.
 */
void
info_print(const char *table, const char *name, const struct stat *st,
    const struct info_num *nums, size_t n, bool numbers_last,
    const struct info_more *more, size_t nmore, const struct out_opts *o)
{
	struct out_col cols[4 + INFO_MAX_NUMS + INFO_MAX_MORE];
	struct libscols_line *ln;
	struct table *t;
	char buf[32], mode[8];
	size_t i, c = 0, first = numbers_last ? 4 : 1, last;

	cols[c++] = (struct out_col){ "NAME", COL_STR, false };
	for (i = 0; !numbers_last && i < n; i++)
		cols[c++] = (struct out_col){ nums[i].column,
		    info_type(nums[i].column), true };
	if (st != NULL) {
		cols[c++] = (struct out_col){ "MODE", COL_STR, false };
		cols[c++] = (struct out_col){ "OWNER", COL_STR, false };
		cols[c++] = (struct out_col){ "GROUP", COL_STR, false };
	} else
		first = 1;
	for (i = 0; numbers_last && i < n; i++)
		cols[c++] = (struct out_col){ nums[i].column,
		    info_type(nums[i].column), true };
	last = c;
	for (i = 0; i < nmore && i < INFO_MAX_MORE; i++)
		cols[c++] = (struct out_col){ more[i].column, more[i].type,
		    more[i].type == COL_NUM };

	t = table_new(table, cols, c, o);
	ln = table_row(t);
	table_set(t, ln, 0, name);
	for (i = 0; i < n; i++)
		table_setf(t, ln, first + i, "%lld", nums[i].value);
	for (i = 0; i < nmore && i < INFO_MAX_MORE; i++)
		if (more[i].value != NULL)
			table_set(t, ln, last + i, more[i].value);
	c = numbers_last ? 1 : 1 + n;
	if (st != NULL) {
		fmt_mode(st->st_mode, mode);
		table_set(t, ln, c, mode);
		table_set(t, ln, c + 1, fmt_user(st->st_uid, buf,
		    sizeof(buf)));
		table_set(t, ln, c + 2, fmt_group(st->st_gid, buf,
		    sizeof(buf)));
	}
	table_print(t);
}
