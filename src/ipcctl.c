/*
 * ipcctl: the multi-call entry point. argv[0] (ipcsem, ipcshm, ipcmq) or
 * the first operand picks the object, the next one the verb, from one table.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipcctl.h"

/* The object-less verbs: "ipcctl ls", "ipcctl limits". */
static const struct verb bare_verbs[] = {
	{ .name = "limits", .run = cmd_limits,
	  .summary = "print what this platform supports and its limits",
	  .usage = "[SCHEME:] [-b] [--json | -r | --pairs]",
	  .opts = opts_limits, .operands = "cluster",
	  .notes = "What this platform supports and its limits; with SCHEME:, "
	  "those of\nwhat keeps such names.\n" },
	{ .name = "ls", .alias = "list", .run = cmd_ls,
	  .summary = "list every semaphore, segment and queue",
	  .usage = "[SCHEME:] [-t sem,shm,mq] [-l] [-o COLUMNS] [-n] "
	  "[--unused] [-b] [--json | -r | --pairs]",
	  .opts = opts_ls, .operands = "cluster",
	  .notes = "Every POSIX IPC object this host shows; with SCHEME:, "
	  "every\nsemaphore and queue that what keeps such names keeps.\n" },
	{ 0 }
};

const struct object bare_object = {
	.name = "", .summary = "object-less verbs", .kind = -1,
	.verbs = bare_verbs
};

const struct object *const objects[] = {
	&object_sem,
	&object_shm,
	&object_mq,
	NULL
};

static void
top_usage(FILE *fp)
{
	fputs("usage: ipcctl [--help] [--version] OBJECT VERB [OPTIONS] "
	    "[NAME] [ARGS]\n       ipcctl help [OBJECT [VERB]]\n", fp);
}

/* The usage, a line per object and object-less verb: --help, or none. */
static void
top_help(FILE *fp)
{
	const struct object *const *o;
	const struct verb *v;

	top_usage(fp);
	fputs("\nPOSIX semaphores, shared memory and message queues for the "
	    "shell.\n\nobjects:\n", fp);
	for (o = objects; *o != NULL; o++)
		fprintf(fp, "  %-9s %s\n", (*o)->name, (*o)->summary);
	fputs("\nverbs without an object:\n", fp);
	for (v = bare_verbs; v->name != NULL; v++) {
		fprintf(fp, "  %-9s ", v->name);
		print_text(fp, v->usage);
		fputc('\n', fp);
	}
	fputs("\n'ipcctl OBJECT --help' lists an object's verbs; "
	    "see ipcctl(1)\n", fp);
}

const struct object *
find_object(const char *name, bool by_link)
{
	const struct object *const *o;

	for (o = objects; *o != NULL; o++)
		if (strcmp(name, by_link ? (*o)->link : (*o)->name) == 0)
			return *o;
	return NULL;
}

const struct verb *
find_verb(const struct object *obj, const char *name)
{
	const struct verb *v;

	for (v = obj->verbs; v->name != NULL; v++)
		if (strcmp(name, v->name) == 0 ||
		    (v->alias != NULL && strcmp(name, v->alias) == 0))
			return v;
	return NULL;
}

/* An operand echoed is made safe, as in every diagnostic. */
static void __dead
top_error(const char *what, const char *arg)
{
	char buf[4 * 256 + 1];

	fprintf(stderr, "ipcctl: %s%s\n", what,
	    safe_text(buf, arg, strnlen(arg, 256)));
	top_usage(stderr);
	exit(EX_USAGE);
}

/* "ipcctl help [OBJECT [VERB]]" */
static int
help(int argc, char *argv[])
{
	const struct object *obj;
	const struct verb *verb;

	if (argc < 1) {
		top_help(stdout);
		return 0;
	}
	if ((verb = find_verb(&bare_object, argv[0])) != NULL) {
		print_help(&bare_object, verb);
		return 0;
	}
	if ((obj = find_object(argv[0], false)) == NULL)
		top_error("unknown object: ", argv[0]);
	diag_init(obj, NULL);
	if (argc < 2) {
		print_help(obj, NULL);
		return 0;
	}
	if ((verb = find_verb(obj, argv[1])) == NULL)
		usage_error(obj, NULL, "unknown verb: %s", argv[1]);
	print_help(obj, verb);
	return 0;
}

/*
 * Write errors on stdout are errors: "ipcctl sem value /x >/dev/full" must
 * not exit 0. A reader that went away (EPIPE) is not ours to report.
 */
static void
close_stdout(void)
{
	int failed = ferror(stdout);

	if (fclose(stdout) != 0)
		failed = 1;
	if (failed && errno != EPIPE) {
		warn("write error");
		_exit(EX_IOERR);
	}
}

/*
 * A closed stdin, stdout or stderr would be taken by the next descriptor
 * we open -- a segment, a queue -- and data would go where it must not.
 * /dev/null opened the wrong way round holds the place, so reading stdin
 * or writing stdout still fails, with EBADF. One poll(2) looks at all three.
 */
static void
hold_std_fds(void)
{
	struct pollfd p[3] = {
		{ 0, 0, 0 }, { 1, 0, 0 }, { 2, 0, 0 }
	};
	int i;

	if (poll(p, 3, 0) <= 0)
		return;
	for (i = 0; i < 3; i++)
		if ((p[i].revents & POLLNVAL) &&
		    open("/dev/null", i == 0 ? O_WRONLY : O_RDONLY) != i)
			_exit(EX_OSERR);
}

int
main(int argc, char *argv[])
{
	const struct object *obj;
	const struct verb *verb;
	const char *base;
	int i = 1;

	hold_std_fds();
	backend_argv = argv;
	signals_init();
	atexit(close_stdout);
	base = strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 :
	    argv[0];
	if (argc > 1 && strcmp(argv[1], "--completion-helper") == 0)
		return complete_words(argc - 2, argv + 2);
	if ((obj = find_object(base, true)) == NULL) {
		if (argc < 2) {
			top_help(stderr);
			return EX_USAGE;
		}
		if (strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0) {
			top_help(stdout);
			return 0;
		}
		if (strcmp(argv[1], "--version") == 0 ||
		    strcmp(argv[1], "-V") == 0) {
			puts(PACKAGE_STRING);
			return 0;
		}
		if (strcmp(argv[1], "help") == 0)
			return help(argc - 2, argv + 2);
		if ((verb = find_verb(&bare_object, argv[1])) != NULL) {
			diag_init(&bare_object, verb);
			return verb->run(argc - 1, argv + 1, &bare_object,
			    verb);
		}
		if ((obj = find_object(argv[1], false)) == NULL)
			top_error(argv[1][0] == '-' ? "unknown option: " :
			    "unknown object: ", argv[1]);
		i = 2;
	}
	diag_init(obj, NULL);
	if (i >= argc)
		usage_error(obj, NULL, "missing VERB");
	if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
		print_help(obj, NULL);
		return 0;
	}
	if ((verb = find_verb(obj, argv[i])) == NULL)
		usage_error(obj, NULL, "unknown %s: %s", argv[i][0] == '-' ?
		    "option" : "verb", argv[i]);
	diag_init(obj, verb);
	return verb->run(argc - i, argv + i, obj, verb);
}
