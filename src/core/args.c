/*
 * One option loop for every verb. getopt_long runs in "return in order"
 * mode, so options may stand before or after NAME whatever POSIXLY_CORRECT
 * says, "--" ends them, and a verb that runs a COMMAND can stop at it.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

/*
 * getopt's tables from the verb's options: a letter for each that has
 * one, a long option for each, and -h, --help for every verb.
 */
void
args_init(struct args *a, int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	/* '-': operands in order; ':': tell a missing argument apart. */
	char *s = stpcpy(a->optstring, "-:h");
	const struct opt *o;
	size_t n = 0;

	for (o = verb->opts; o != NULL && o->name != NULL; o++, n++) {
		if (n == OPTS_MAX)
			errx(EX_SOFTWARE, "%s: more than %d options", verb->name,
			    OPTS_MAX);
		if (o->val < OPT_LONG_ONLY) {
			*s++ = o->val;
			if (o->arg != NULL)
				*s++ = ':';
		}
		a->longopts[n] = (struct option){ o->name,
		    o->arg != NULL ? required_argument : no_argument, NULL,
		    o->val };
	}
	*s = '\0';
	a->longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	a->longopts[n] = (struct option){ 0 };
	a->argc = argc;
	a->argv = argv;
	a->obj = obj;
	a->verb = verb;
	a->pos = 0;
	a->done = false;
	opterr = 0;
	optind = 1;
}

/*
 * The next option (its character, arg in *arg), an operand (1, the operand
 * in *arg, its index in a->pos), or -1 when all are read.
 */
int
args_next(struct args *a, const char **arg)
{
	int ch;

	if (a->done) {
		if (optind >= a->argc)
			return -1;
		a->pos = optind;
		*arg = a->argv[optind++];
		return 1;
	}
	ch = getopt_long(a->argc, a->argv, a->optstring, a->longopts, NULL);
	switch (ch) {
	case -1:
		a->done = true;
		return args_next(a, arg);
	case 1:
		a->pos = optind - 1;
		break;
	case 'h':
		print_help(a->obj, a->verb);
		exit(0);
	case ':':
	case '?':
		args_bad(a, ch);
	}
	*arg = optarg;
	return ch;
}

/*
 * What getopt found wrong, in getopt's words and one wording for short
 * and long options alike: "unknown option: -J", "unknown option:
 * --bytes". A long option is named without the "=VALUE" given to it.
 */
void
args_bad(struct args *a, int ch)
{
	const char *opt = a->argv[optind - 1];
	const struct option *lo, *match = NULL;
	size_t len, n = 0;

	if (ch == ':')
		usage_error(a->obj, a->verb, "option requires an argument: %s",
		    opt);
	if (strncmp(opt, "--", 2) != 0 || opt[2] == '\0')
		usage_error(a->obj, a->verb, "unknown option: -%c", optopt);
	/* An exact name, or a prefix of one or of several. */
	len = strcspn(opt + 2, "=");
	for (lo = a->longopts; lo->name != NULL; lo++) {
		if (strncmp(lo->name, opt + 2, len) != 0)
			continue;
		match = lo;
		if (lo->name[len] == '\0') {
			n = 1;
			break;
		}
		n++;
	}
	if (n == 1 && opt[2 + len] == '=')
		usage_error(a->obj, a->verb, "option takes no argument: --%s",
		    match->name);
	if (n > 1)
		usage_error(a->obj, a->verb, "ambiguous option: --%.*s",
		    (int)len, opt + 2);
	usage_error(a->obj, a->verb, "unknown option: --%.*s", (int)len,
	    opt + 2);
}

/* NAME in its canonical form into out; a bad one is a usage error. */
void
args_name(struct args *a, const char *arg, enum ipc_kind kind,
    char out[IPC_NAME_BUF])
{
	const char *errstr;
	const struct backend_row *r;

	if ((errstr = name_check(arg, kind, out)) != NULL)
		usage_error(a->obj, a->verb, "%s: %s", arg, errstr);
	r = backend_row(out);
	if (kind == IPC_SHM && !(r->can & CAN_SHM))
		die(error_set(E_UNAVAILABLE, "%s", r->no_shm), out);
}

void
verb_opts_init(struct verb_opts *v, int argc, char *argv[],
    const struct object *obj, const struct verb *verb)
{
	memset(v, 0, sizeof(*v));
	v->open = (struct open_opts)OPEN_OPTS_INIT;
	args_init(&v->args, argc, argv, obj, verb);
}

/*
 * An option or operand every verb that opens an object reads the same
 * way: -c, -x, -m, -t, and the first operand, NAME. False for one the
 * verb must handle itself (an operand after NAME among them).
 */
bool
verb_opt(struct verb_opts *v, int ch, const char *arg, enum ipc_kind kind)
{
	const char *errstr;

	if (open_opt(&v->args, ch, arg, &v->open))
		return true;
	switch (ch) {
	case 1:
		if (v->named)
			return false;
		args_name(&v->args, arg, kind, v->name);
		v->named = true;
		return true;
	case 't':
		if ((errstr = parse_duration(arg, &v->timeout)) != NULL)
			usage_error(v->args.obj, v->args.verb, "timeout %s: %s",
			    arg, errstr);
		v->timed = true;
		return true;
	}
	return false;
}

void
verb_need_name(struct verb_opts *v)
{
	if (!v->named)
		usage_error(v->args.obj, v->args.verb, "missing NAME");
	if (v->open.mode_set && !backend_can(v->name, CAN_MODE))
		usage_error(v->args.obj, v->args.verb, "%s: -m: %s", v->name,
		    backend_row(v->name)->no_mode);
}
