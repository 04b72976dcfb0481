/*
 * "ipcctl --completion-helper COMMAND WORD...": what the shell completions
 * ask, so that they hold no list of their own and cannot drift from the
 * code. COMMAND is the command's name as typed (ipcctl, ipcsem, ...), the
 * WORDs the words after it, the last one the word being completed
 * (perhaps empty). The answer is the candidates that
 * begin with it, one a line, a tab and a description after some; or one
 * line that asks the shell to complete by itself:
 *	@files		a file name
 *	@command N	a command line of its own, from word N (COMMAND is
 *			word 0)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipcctl.h"
#include "local/local.h"

struct cstate {
	const char		*cur;		/* the word being completed */
	const struct object	*obj;
	const struct verb	*verb;
	int			 nops;		/* operands before cur */
	const struct opt	*pending;	/* cur is this option's argument */
	bool			 endopts;	/* a "--" came */
};

/* A candidate, prefix and word, if it begins with the word completed. */
static void
offer(const struct cstate *c, const char *prefix, const char *word,
    const char *descr)
{
	char full[512];

	snprintf(full, sizeof(full), "%s%s", prefix, word);
	if (strncmp(full, c->cur, strlen(c->cur)) != 0 ||
	    strpbrk(full, "\t\n") != NULL)
		return;
	if (descr != NULL)
		printf("%s\t%s\n", full, descr);
	else
		puts(full);
}

static void
offer_verbs(const struct cstate *c, const struct object *obj)
{
	const struct verb *v;

	for (v = obj->verbs; v->name != NULL; v++) {
		offer(c, "", v->name, v->summary);
		if (v->alias != NULL)
			offer(c, "", v->alias, v->summary);
	}
}

static void
offer_objects(const struct cstate *c)
{
	const struct object *const *o;

	for (o = objects; *o != NULL; o++)
		offer(c, "", (*o)->name, (*o)->summary);
	offer_verbs(c, &bare_object);
}

/* Every option as "--name", the word being completed "--name=..." aside. */
static void
offer_opts(const struct cstate *c)
{
	const struct opt *o;
	char buf[64];

	for (o = c->verb->opts; o != NULL && o->name != NULL; o++) {
		snprintf(buf, sizeof(buf), "--%s", o->name);
		offer(c, "", buf, o->help);
	}
	offer(c, "", "--help", "print the usage and options");
}

/*
 * The objects of the kind that exist, by name; without the leading slash
 * where the word begun has none ("ipcctl sem value jo" for "/jobs").
 */
static void
offer_names(const struct cstate *c)
{
	bool slash = c->cur[0] == '\0' || c->cur[0] == '/';
	const struct backend *b;
	struct ipc_list l;
	size_t i;

	if (backend_get(NULL, &b) != 0)
		return;
	b->list(&l, IPC_KIND_BIT(c->obj->kind));
	for (i = 0; i < l.n; i++)
		if (l.entries[i].kind == (enum ipc_kind)c->obj->kind)
			offer(c, "", l.entries[i].name + !slash, NULL);
	list_free(&l);
}

static void
offer_pids(const struct cstate *c, const char *prefix)
{
	struct dirent *de;
	long pid;
	DIR *d;

	if ((d = opendir("/proc")) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (is_pid(de->d_name, &pid))
			offer(c, prefix, de->d_name, NULL);
	closedir(d);
}

/*
 * The argument of option o; prefix is what stands before it in the word
 * ("--type=", or nothing). A list of types or columns is completed after
 * its last comma, and -o's after a leading "+".
 */
static void
offer_arg(const struct cstate *c, const struct opt *o, const char *prefix)
{
	static const char *const modes[] = { "0600", "0640", "0644", "0660",
	    "0666", NULL };
	static const char *const types[] = { "sem", "shm", "mq", NULL };
	const char *const *list = NULL, *word = c->cur + strlen(prefix);
	const char *comma = strrchr(word, ',');
	int keep = comma != NULL ? comma + 1 - word : 0;
	char head[512];
	size_t i;

	if (comma == NULL && o->complete == COMPLETE_COLUMNS && *word == '+')
		keep = 1;
	snprintf(head, sizeof(head), "%s%.*s", prefix, keep, word);
	switch (o->complete) {
	case COMPLETE_MODE:
		list = modes;
		break;
	case COMPLETE_PID:
		offer_pids(c, prefix);
		return;
	case COMPLETE_TYPES:
		list = types;
		break;
	case COMPLETE_COLUMNS:
		for (i = 0; ls_column(i) != NULL; i++)
			offer(c, head, ls_column(i), NULL);
		return;
	case COMPLETE_NONE:
		return;
	}
	for (; *list != NULL; list++)
		offer(c, o->complete == COMPLETE_MODE ? prefix : head, *list,
		    NULL);
}

static const struct opt *
find_opt(const struct verb *verb, const char *word, size_t len)
{
	const struct opt *o;

	for (o = verb->opts; o != NULL && o->name != NULL; o++)
		if (len == 0 ? word[0] == o->val && o->val < OPT_LONG_ONLY :
		    strlen(o->name) == len && strncmp(word, o->name, len) == 0)
			return o;
	return NULL;
}

/*
 * An option word before the one being completed: note whether the next
 * word is its argument ("-m" "0600", "--mode" "0600", "-cm" "0600").
 */
static void
scan_opt(struct cstate *c, const char *w)
{
	const struct opt *o;

	if (w[1] == '-') {
		if (strchr(w, '=') == NULL &&
		    (o = find_opt(c->verb, w + 2, strlen(w + 2))) != NULL &&
		    o->arg != NULL)
			c->pending = o;
		return;
	}
	for (w++; *w != '\0'; w++)
		if ((o = find_opt(c->verb, w, 0)) != NULL && o->arg != NULL) {
			if (w[1] == '\0')
				c->pending = o;
			return;
		}
}

/* The schemes whose backends list what they keep (ls and limits). */
static void
offer_schemes(const struct cstate *c)
{
	const struct backend_row *r;
	size_t i, n;

	r = backend_rows(&n);
	for (i = 0; i < n; i++)
		if (r[i].what != NULL)
			offer(c, "", r[i].scheme, r[i].what);
}

/*
 * The kind of operand number i in the verb's list ("name", "file", "-",
 * "command", "cluster"; one that ends in "..." stands for all that
 * follow), into
 * buf; false past the last.
 */
static bool
operand_kind(const struct verb *verb, int i, char *buf, size_t len)
{
	const char *p = verb->operands != NULL ? verb->operands : "";
	size_t n;

	for (; *p != '\0'; p += n + (p[n] == ' ')) {
		n = strcspn(p, " ");
		if (n > 3 && strncmp(p + n - 3, "...", 3) == 0) {
			snprintf(buf, len, "%.*s", (int)n - 3, p);
			return true;
		}
		if (i-- == 0) {
			snprintf(buf, len, "%.*s", (int)n, p);
			return true;
		}
	}
	return false;
}

static void
complete_operand(const struct cstate *c, int at)
{
	char kind[16];

	if (!operand_kind(c->verb, c->nops, kind, sizeof(kind)))
		return;
	if (strcmp(kind, "name") == 0)
		offer_names(c);
	else if (strcmp(kind, "file") == 0)
		puts("@files");
	else if (strcmp(kind, "command") == 0)
		printf("@command %d\n", at);
	else if (strcmp(kind, "cluster") == 0)
		offer_schemes(c);
}

/* The words after the verb (w[first] on, the last one being completed). */
static void
complete_args(struct cstate *c, int n, char *w[], int first)
{
	char kind[16];
	const char *eq;
	int i;

	for (i = first; i < n - 1; i++) {
		if (c->pending != NULL) {
			c->pending = NULL;
		} else if (!c->endopts && strcmp(w[i], "--") == 0) {
			c->endopts = true;
		} else if (!c->endopts && w[i][0] == '-' && w[i][1] != '\0') {
			scan_opt(c, w[i]);
		} else {
			if (operand_kind(c->verb, c->nops, kind,
			    sizeof(kind)) && strcmp(kind, "command") == 0) {
				printf("@command %d\n", i);
				return;
			}
			c->nops++;
		}
	}
	if (c->pending != NULL)
		offer_arg(c, c->pending, "");
	else if (!c->endopts && c->cur[0] == '-' && c->cur[1] == '-' &&
	    (eq = strchr(c->cur, '=')) != NULL) {
		char prefix[64];
		const struct opt *o;

		if ((o = find_opt(c->verb, c->cur + 2, eq - c->cur - 2)) !=
		    NULL && o->arg != NULL && eq - c->cur < 62) {
			snprintf(prefix, sizeof(prefix), "%.*s",
			    (int)(eq + 1 - c->cur), c->cur);
			offer_arg(c, o, prefix);
		}
	} else if (!c->endopts && c->cur[0] == '-')
		offer_opts(c);
	else
		complete_operand(c, n - 1);
}

/* w[0]: the command's name as typed; w[1] to w[n-1]: the words after it. */
int
complete_words(int n, char *w[])
{
	struct cstate c = { .cur = n > 1 ? w[n - 1] : "" };
	const char *base;
	int i = 1;

	if (n < 2)
		return 0;
	base = strrchr(w[0], '/') != NULL ? strrchr(w[0], '/') + 1 : w[0];
	if ((c.obj = find_object(base, true)) == NULL) {
		if (n == 2) {
			if (c.cur[0] == '-') {
				offer(&c, "", "--help", "print the usage");
				offer(&c, "", "--version", "print the version");
			} else {
				offer(&c, "", "help", "describe an object or a "
				    "verb");
				offer_objects(&c);
			}
			return 0;
		}
		if (strcmp(w[1], "help") == 0) {
			if (n == 3)
				offer_objects(&c);
			else if (n == 4 && (c.obj = find_object(w[2], false)))
				offer_verbs(&c, c.obj);
			return 0;
		}
		if ((c.verb = find_verb(&bare_object, w[1])) != NULL)
			c.obj = &bare_object;
		else if ((c.obj = find_object(w[1], false)) == NULL)
			return 0;
		i = 2;
	}
	if (c.verb == NULL) {
		if (n - 1 == i) {
			offer_verbs(&c, c.obj);
			return 0;
		}
		if ((c.verb = find_verb(c.obj, w[i++])) == NULL)
			return 0;
	}
	complete_args(&c, n, w, i);
	return 0;
}
