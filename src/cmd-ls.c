/*
 * ipcctl ls: every semaphore, segment and queue this host shows, in one
 * table whose columns mean the same thing for every type.
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ipcctl.h"
#include "local/local.h"

enum {
	LS_TYPE, LS_NAME, LS_OWNER, LS_GROUP, LS_MODE, LS_SIZE, LS_VALUE,
	LS_MESSAGES, LS_MAX_MESSAGES, LS_MESSAGE_SIZE, LS_HOLDERS, LS_PROCS,
	LS_MTIME, LS_NOTE, LS_NCOLS
};

#define SEM	IPC_KIND_BIT(IPC_SEM)
#define SHM	IPC_KIND_BIT(IPC_SHM)
#define MQ	IPC_KIND_BIT(IPC_MQ)
#define ALL	0

/*
 * Every column; -o takes any of them for every type. Those of the
 * default and -l sets that apply to some types only (kinds) are left out
 * where -t lists none of those.
 */
static const struct {
	struct out_col	 col;
	const char	*help;
	unsigned	 kinds;		/* the types it applies to, or ALL */
} ls_cols[LS_NCOLS] = {
	{ { "TYPE",		COL_STR, false }, "sem, shm or mq", ALL },
	{ { "NAME",		COL_STR, false },
	  "name with its leading slash, control characters escaped", ALL },
	{ { "OWNER",		COL_STR, false }, "owner's user name, or uid",
	  ALL },
	{ { "GROUP",		COL_STR, false }, "group name, or gid", ALL },
	{ { "MODE",		COL_STR, false }, "permissions in octal", ALL },
	{ { "SIZE",		COL_BYTES, true },
	  "bytes: a segment's size, or what a queue's messages hold",
	  SHM | MQ },
	{ { "VALUE",		COL_NUM, true }, "a semaphore's value", SEM },
	{ { "MESSAGES",		COL_NUM, true }, "messages in a queue", MQ },
	{ { "MAX_MESSAGES",	COL_NUM, true }, "messages a queue can hold",
	  MQ },
	{ { "MESSAGE_SIZE",	COL_BYTES, true },
	  "bytes of a queue's largest message", MQ },
	{ { "HOLDERS",		COL_NUM, true },
	  "holders a semaphore's ledger records", SEM },
	{ { "PROCS",		COL_NUM, true },
	  "processes with it open or mapped; 3+: at least 3 (see ipcctl(1))",
	  ALL },
	{ { "MTIME",		COL_STR, false },
	  "last modification, ISO 8601", ALL },
	{ { "NOTE",		COL_STR, false },
	  "damaged (a sem.* file no semaphore can be) or denied (may "
	  "not be opened: values unknown)", ALL },
};

static const int default_cols[] = {
	LS_TYPE, LS_NAME, LS_OWNER, LS_MODE, LS_SIZE, LS_VALUE, LS_MESSAGES,
	LS_NOTE, -1
};
static const int long_cols[] = {
	LS_TYPE, LS_NAME, LS_OWNER, LS_GROUP, LS_MODE, LS_SIZE, LS_VALUE,
	LS_MESSAGES, LS_HOLDERS, LS_PROCS, LS_MTIME, LS_NOTE, -1
};

static const char *const type_names[] = { "sem", "shm", "mq" };
static const char *const note_names[] = { NULL, "damaged", "denied" };

#define MAX_COLS	64

enum { OPT_LIST_COLUMNS = OPT_LONG_ONLY + 0x10, OPT_UNUSED };

struct ls_opts {
	struct args	 args;
	struct out_opts	 out;
	unsigned	 kinds;		/* IPC_KIND_BIT mask; 0: all */
	bool		 longer;
	bool		 unused;	/* --unused: only what no process uses */
	bool		 procs;		/* count the processes: PROCS, --unused */
	bool		 partial;	/* the counts are lower bounds */
	const struct backend_row *row;	/* SCHEME given: its; else local */
	const struct backend *backend;
	const char	*output;	/* -o as given */
	int		 cols[MAX_COLS];
	size_t		 ncols;
};

/*
 * User and group names, looked up once each: a lookup may read all of
 * /etc/passwd, and 5000 objects usually have a handful of owners.
 */
#define ID_CACHE	16
struct id_cache {
	unsigned long	 id[ID_CACHE];
	char		*name[ID_CACHE];
	size_t		 n, next;
};

static const char *
id_name(struct id_cache *c, unsigned long id, bool group)
{
	char buf[32];
	const char *s;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->id[i] == id)
			return c->name[i];
	s = group ? fmt_group(id, buf, sizeof(buf)) :
	    fmt_user(id, buf, sizeof(buf));
	i = c->n < ID_CACHE ? c->n++ : c->next++ % ID_CACHE;
	free(c->name[i]);
	if ((c->name[i] = strdup(s)) == NULL)
		die(errno, NULL);
	c->id[i] = id;
	return c->name[i];
}

/* Whether the word of len bytes at p, in a comma-separated list, is s. */
static bool
word_is(const char *p, size_t len, const char *s, bool icase)
{
	return (icase ? strncasecmp(p, s, len) : strncmp(p, s, len)) == 0 &&
	    s[len] == '\0';
}

static void
parse_types(struct ls_opts *lo, const char *arg)
{
	size_t len;
	int k;

	for (;; arg += len + 1) {
		if ((len = strcspn(arg, ",")) == 0)
			usage_error(lo->args.obj, lo->args.verb,
			    "an empty type in -t");
		for (k = 0; k < 3 && !word_is(arg, len, type_names[k], false);
		    k++)
			;
		if (k == 3)
			usage_error(lo->args.obj, lo->args.verb,
			    "unknown type: %.*s (sem, shm or mq)", (int)len,
			    arg);
		lo->kinds |= IPC_KIND_BIT(k);
		if (arg[len] == '\0')
			break;
	}
}

static void
add_col(struct ls_opts *lo, int col)
{
	if (lo->ncols == MAX_COLS)
		usage_error(lo->args.obj, lo->args.verb, "too many columns");
	lo->cols[lo->ncols++] = col;
}

/*
 * The columns: -o's, after the default or -l's set if it starts with +;
 * of those sets, only what applies to the types listed.
 */
static void
choose_cols(struct ls_opts *lo)
{
	const int *set = lo->longer ? long_cols : default_cols;
	const char *spec = lo->output;
	size_t len;
	int c;

	if (spec == NULL || spec[0] == '+') {
		for (; *set != -1; set++)
			if (ls_cols[*set].kinds == ALL ||
			    (ls_cols[*set].kinds & lo->kinds) != 0)
				add_col(lo, *set);
		if (spec == NULL)
			return;
		spec++;
	}
	for (;; spec += len + 1) {
		if ((len = strcspn(spec, ",")) == 0)
			usage_error(lo->args.obj, lo->args.verb,
			    "an empty column in -o");
		for (c = 0; c < LS_NCOLS &&
		    !word_is(spec, len, ls_cols[c].col.name, true); c++)
			;
		if (c == LS_NCOLS)
			usage_error(lo->args.obj, lo->args.verb,
			    "unknown column: %.*s (see --list-columns)",
			    (int)len, spec);
		add_col(lo, c);
		if (spec[len] == '\0')
			break;
	}
}

static void
list_columns(void)
{
	size_t c;

	for (c = 0; c < LS_NCOLS; c++)
		printf("%12s  %s\n", ls_cols[c].col.name, ls_cols[c].help);
}

static void
set_num(struct table *t, struct libscols_line *ln, size_t i, long long v)
{
	if (v >= 0)
		table_setf(t, ln, i, "%lld", v);
}

/*
 * A count that is a lower bound: "3+" in a table; in JSON the number,
 * and procs_partial, the column after the last, true.
 */
static void
set_procs(struct table *t, const struct ls_opts *lo, struct libscols_line *ln,
    size_t i, int procs)
{
	if (procs < 0)
		return;			/* not counted: null */
	if (!lo->partial || lo->out.format == OUT_JSON)
		set_num(t, ln, i, procs);
	else
		table_setf(t, ln, i, "%d+", procs);
	if (lo->out.format == OUT_JSON)
		table_set(t, ln, lo->ncols, lo->partial ? "yes" : "no");
}

static void
fill_row(struct table *t, const struct ls_opts *lo, struct id_cache *users,
    struct id_cache *groups, const struct ipc_entry *e)
{
	struct libscols_line *ln = table_row(t);
	char buf[SAFE_NAME_BUF];
	size_t i;

	for (i = 0; i < lo->ncols; i++) {
		/* Kept elsewhere: no owner, group, mode or time to show. */
		if (e->remote && (lo->cols[i] == LS_OWNER || lo->cols[i] ==
		    LS_GROUP || lo->cols[i] == LS_MODE || lo->cols[i] == LS_MTIME))
			continue;
		switch (lo->cols[i]) {
		case LS_TYPE:
			table_set(t, ln, i, type_names[e->kind]);
			break;
		case LS_NAME:
			table_set(t, ln, i, fmt_name(e->name, buf));
			break;
		case LS_OWNER:
			table_set(t, ln, i, id_name(users, e->uid, false));
			break;
		case LS_GROUP:
			table_set(t, ln, i, id_name(groups, e->gid, true));
			break;
		case LS_MODE:
			fmt_mode(e->mode, buf);
			table_set(t, ln, i, buf);
			break;
		case LS_SIZE:
			set_num(t, ln, i, e->size);
			break;
		case LS_VALUE:
			set_num(t, ln, i, e->value);
			break;
		case LS_MESSAGES:
			set_num(t, ln, i, e->messages);
			break;
		case LS_MAX_MESSAGES:
			set_num(t, ln, i, e->max_messages);
			break;
		case LS_MESSAGE_SIZE:
			set_num(t, ln, i, e->message_size);
			break;
		case LS_HOLDERS:
			set_num(t, ln, i, e->holders);
			break;
		case LS_PROCS:
			set_procs(t, lo, ln, i, e->procs);
			break;
		case LS_MTIME:
			table_set(t, ln, i,
			    fmt_time(e->mtime.tv_sec, buf, sizeof(buf)));
			break;
		case LS_NOTE:
			table_set(t, ln, i, note_names[e->note]);
			break;
		}
	}
}

/* Every option; --list-columns lists them and exits. */
static void
ls_parse(struct ls_opts *lo)
{
	const char *arg;
	int ch, e;

	while ((ch = args_next(&lo->args, &arg)) != -1) {
		if (output_opt(ch, &lo->out))
			continue;
		switch (ch) {
		case 1:
			/* SCHEME (etcd:): what that backend keeps. */
			if (lo->row == NULL &&
			    (lo->row = backend_scheme(arg)) != NULL)
				break;
			usage_error(lo->args.obj, lo->args.verb,
			    "unexpected operand: %s", arg);
		case 'l':
			lo->longer = true;
			break;
		case 'n':
			lo->out.noheadings = true;
			break;
		case 'o':
			lo->output = arg;
			break;
		case 't':
			parse_types(lo, arg);
			break;
		case OPT_LIST_COLUMNS:
			list_columns();
			exit(0);
		case OPT_UNUSED:
			lo->unused = true;
			break;
		default:
			args_bad(&lo->args, '?');
		}
	}
	if (lo->kinds == 0)
		lo->kinds = SEM | SHM | MQ;
	choose_cols(lo);
	if (lo->row == NULL)
		lo->row = backend_row(NULL);
	if (lo->unused && !(lo->row->can & CAN_PROCS))
		usage_error(lo->args.obj, lo->args.verb,
		    "--unused: processes are per host");
	if ((e = backend_get(lo->row->scheme, &lo->backend)) != 0)
		die(e, lo->row->scheme);
}

/*
 * A directory that could not be read: said on stderr; the status of the
 * first one, or 0. A /dev/mqueue that is not mounted is a note only.
 */
static int
ls_dir_errors(const struct ipc_list *list)
{
	int status = 0;

	if (list->shm_errno != 0) {
		warn_errno(list->shm_errno, SHM_DIR);
		status = exit_status(list->shm_errno);
	}
	if (list->mq_errno == ENOENT)
		warnx("%s is not mounted, so no queue is listed; to mount it: "
		    "%s", MQ_DIR, MQ_MOUNT);
	else if (list->mq_errno != 0) {
		warn_errno(list->mq_errno, MQ_DIR);
		if (status == 0)
			status = exit_status(list->mq_errno);
	}
	return status;
}

static int
ls_print(struct ls_opts *lo)
{
	struct out_col cols[MAX_COLS + 1];
	struct id_cache users = { 0 }, groups = { 0 };
	struct ipc_list list;
	struct table *t;
	size_t i, n;
	int e, status;

	/* Processes are a host's: none counted for objects kept elsewhere. */
	for (n = 0; n < lo->ncols; n++) {
		cols[n] = ls_cols[lo->cols[n]].col;
		if (lo->cols[n] == LS_PROCS && (lo->row->can & CAN_PROCS))
			lo->procs = true;
	}
	if (lo->procs && lo->out.format == OUT_JSON)
		cols[n++] = (struct out_col){ "PROCS_PARTIAL", COL_BOOL, false };
	/* First: it sets the locale that fmt_name escapes names for. */
	t = table_new("objects", cols, n, &lo->out);
	if ((e = lo->backend->list(&list, lo->kinds)) != 0)
		die(e, lo->row->scheme[0] != '\0' ? lo->row->scheme : NULL);
	status = ls_dir_errors(&list);
	if (lo->procs || lo->unused)
		lo->partial = procs_count(&list);
	for (i = 0; i < list.n; i++)
		if (!lo->unused || list.entries[i].procs == 0)
			fill_row(t, lo, &users, &groups, &list.entries[i]);
	table_print(t);
	list_free(&list);
	for (i = 0; i < users.n; i++)
		free(users.name[i]);
	for (i = 0; i < groups.n; i++)
		free(groups.name[i]);
	return status;
}

/* The name of column i, NULL past the last: what -o completes to. */
const char *
ls_column(size_t i)
{
	return i < LS_NCOLS ? ls_cols[i].col.name : NULL;
}

const struct opt opts_ls[] = {
	{ .name = "type", .val = 't', .arg = "TYPES",
	  .help = "only these types: sem, shm, mq",
	  .complete = COMPLETE_TYPES },
	{ .name = "long", .val = 'l', .help = "add group, mtime and holders" },
	{ .name = "output", .val = 'o', .arg = "COLS",
	  .help = "these columns; +COLS: these as well",
	  .complete = COMPLETE_COLUMNS },
	{ .name = "list-columns", .val = OPT_LIST_COLUMNS,
	  .help = "the columns -o takes" },
	{ .name = "unused", .val = OPT_UNUSED,
	  .help = "only objects no process has open or mapped" },
	{ .name = "noheadings", .val = 'n', .help = "no header line" },
	OPT_BYTES_DEF,
	OPTS_OUTPUT,
	{ 0 }
};

int
cmd_ls(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	struct ls_opts lo;

	memset(&lo, 0, sizeof(lo));
	args_init(&lo.args, argc, argv, obj, verb);
	ls_parse(&lo);
	return ls_print(&lo);
}
