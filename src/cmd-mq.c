/*
 * ipcctl mq: message queues.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipcctl.h"
#include "local/local.h"

enum {
	OPT_MAXMSG = OPT_LONG_ONLY + 0x10, OPT_MSGSIZE, OPT_LINES
};

struct mq_opts {
	struct verb_opts	 v;
	struct mq_attr		 attr;		/* create: 0 = the default */
	long long		 prio, count;
	int			 delim;		/* -1: whole, '\n', '\0' */
	bool			 follow, print_prio, counted;
	struct out_opts		 out;
	char			**operands;	/* send: MESSAGE...; notify: COMMAND */
	int			 noperands;
};

/* What mo_parse accepts after NAME. */
enum {
	MO_MORE = 1,		/* operands: send's MESSAGEs */
	MO_STOP = 2,		/* an operand starts COMMAND: notify */
	MO_NONAME = 4		/* NAME is optional: create */
};

static void
mo_init(struct mq_opts *mo, int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	memset(mo, 0, sizeof(*mo));
	verb_opts_init(&mo->v, argc, argv, obj, verb);
	mo->count = 1;
	mo->delim = -1;
}

static long long
mo_int(struct mq_opts *mo, const char *what, const char *arg, long long min,
    long long max)
{
	const char *errstr;
	long long v;

	if ((errstr = parse_int(arg, min, max, &v)) != NULL)
		usage_error(mo->v.args.obj, mo->v.args.verb, "%s %s: %s", what, arg,
		    errstr);
	return v;
}

static uint64_t
mo_msgsize_opt(struct mq_opts *mo, const char *arg)
{
	const char *errstr;
	uint64_t size;

	if ((errstr = parse_size(arg, &size)) == NULL &&
	    (size == 0 || size > LONG_MAX))
		errstr = size == 0 ? "too small" : "too large";
	if (errstr != NULL)
		usage_error(mo->v.args.obj, mo->v.args.verb, "message size %s: %s",
		    arg, errstr);
	return size;
}

/* An option of any queue verb (getopt made sure the verb takes it). */
static void
mo_option(struct mq_opts *mo, int ch, const char *arg)
{
	struct args *a = &mo->v.args;

	if (output_opt(ch, &mo->out))
		return;
	switch (ch) {
	case '0':
		mo->delim = '\0';
		break;
	case 'f':
		mo->follow = true;
		break;
	case 'n':
		mo->count = mo_int(mo, "count", arg, 1, LLONG_MAX);
		mo->counted = true;
		break;
	case 'p':
		mo->prio = mo_int(mo, "priority", arg, 0,
		    sysconf(_SC_MQ_PRIO_MAX) - 1);
		break;
	case 'P':
		mo->print_prio = true;
		break;
	case OPT_LINES:
		mo->delim = '\n';
		break;
	case OPT_MAXMSG:
		mo->attr.mq_maxmsg = mo_int(mo, "max messages", arg, 1,
		    LONG_MAX);
		break;
	case OPT_MSGSIZE:
		mo->attr.mq_msgsize = mo_msgsize_opt(mo, arg);
		break;
	default:
		args_bad(a, '?');
	}
}

/* An operand after NAME, as flags allow; false: COMMAND starts here. */
static bool
mo_operand(struct mq_opts *mo, int flags, const char *arg)
{
	struct args *a = &mo->v.args;

	if (flags & MO_STOP) {
		mo->operands = &a->argv[a->pos];
		mo->noperands = a->argc - a->pos;
		return false;
	} else if (flags & MO_MORE)
		mo->operands[mo->noperands++] = a->argv[a->pos];
	else
		usage_error(a->obj, a->verb, "unexpected operand: %s", arg);
	return true;
}

/* Every option and operand of every verb; flags say what may follow NAME. */
static void
mo_parse(struct mq_opts *mo, int flags)
{
	struct args *a = &mo->v.args;
	const char *arg;
	int ch;

	if ((flags & MO_MORE) &&
	    (mo->operands = calloc(a->argc + 1, sizeof(char *))) == NULL)
		die(errno, NULL);
	while ((ch = args_next(a, &arg)) != -1) {
		if (verb_opt(&mo->v, ch, arg, IPC_MQ))
			continue;
		if (ch != 1)
			mo_option(mo, ch, arg);
		else if (!mo_operand(mo, flags, arg))
			return;
	}
	/* Where NAME is optional: checked if given (-m, by its backend). */
	if (!(flags & MO_NONAME) || mo->v.named)
		verb_need_name(&mo->v);
}

/* Open (or create) queue name through its backend: 0 or an error code. */
static int
mo_open_name(struct mq_opts *mo, struct mqobj *m, const char *name,
    int access)
{
	const struct backend *b;
	int e;

	if ((e = backend_get(name, &b)) != 0)
		return e;
	m->ops = b->mq;
	/* A size not given (0): the backend's default. */
	return m->ops->open(m, name, &mo->v.open, access,
	    mo->attr.mq_maxmsg != 0 || mo->attr.mq_msgsize != 0 ? &mo->attr :
	    NULL);
}

/* Open the queue, O_RDONLY or O_WRONLY; die where it fails. */
static void
mo_open(struct mq_opts *mo, struct mqobj *m, int access)
{
	int e;

	if ((e = mo_open_name(mo, m, mo->v.name, access)) != 0)
		die(e, mo->v.name);
}

static long
mo_msgsize(struct mqobj *m)
{
	struct mq_attr attr;
	int e;

	if ((e = m->ops->attr(m, &attr)) != 0)
		die(e, m->name);
	return attr.mq_msgsize;
}

/* Remove queue name where its backend keeps it: 0, or -1 and errno. */
static int
mo_unlink(const char *name)
{
	const struct backend *b;

	if ((errno = backend_get(name, &b)) == 0)
		errno = b->mq->unlink(name);
	return errno == 0 ? 0 : -1;
}

static int
mo_try_create(const char *name, void *arg)
{
	struct mq_opts *mo = arg;
	struct mqobj m;
	int e;

	if ((e = mo_open_name(mo, &m, name, O_RDONLY)) == EEXIST) {
		errno = e;
		return -1;
	}
	if (e != 0)
		die(e, name);
	m.ops->close(&m);
	return 0;
}

static int
cmd_mq_create(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	struct mq_opts mo;
	int e;

	mo_init(&mo, argc, argv, obj, verb);
	mo_parse(&mo, MO_NONAME);
	mo.v.open.flags |= O_CREAT;
	if (mo.v.named) {
		if (mo_try_create(mo.v.name, &mo) == -1)
			die(errno, mo.v.name);
		return 0;
	}
	mo.v.open.flags |= O_EXCL;
	if ((e = name_fresh(mo.v.name, mo_try_create, mo_unlink, &mo)) != 0)
		die(e, e == E_OUTPUT ? NULL : mo.v.name);
	return 0;
}

static void __dead
too_long(struct mq_opts *mo, size_t len, long msgsize, long long sent)
{
	errx(EX_DATAERR, "%s: a message of %zu bytes is longer than the "
	    "queue's message size (%ld)%s", mo->v.name, len, msgsize,
	    sent > 0 ? "; the messages before it were sent" :
	    ": nothing sent");
}

/*
 * Send one message, waiting for room until the deadline; per message, so
 * a stream is never cut by a timeout that only bounds one wait.
 */
static void
send_one(struct mq_opts *mo, struct mqobj *m, const char *msg, size_t len,
    long msgsize, long long sent)
{
	struct deadline d;
	int e;

	if (len > (size_t)msgsize)
		too_long(mo, len, msgsize, sent);
	deadline_start(&d, mo->v.timed ? &mo->v.timeout : NULL);
	if ((e = m->ops->send(m, msg, len, mo->prio, &d)) == 0)
		return;
	if (sent > 0)
		warnx("%s: %lld messages sent before this one", mo->v.name,
		    sent);
	die(e, mo->v.name);
}

/*
 * A record of stdin is longer than the queue's message size, and len
 * bytes of it (no delimiter among them) are read: count the rest of it,
 * so that the diagnostic gives its real size, and stop.
 */
static void __dead
too_long_stdin(struct mq_opts *mo, size_t len, long msgsize,
    long long sent)
{
	char buf[65536];
	const char *end = NULL;
	size_t got;
	int e;

	while (end == NULL) {
		if ((e = io_read(STDIN_FILENO, buf, sizeof(buf), -1, &got))
		    != 0) {
			warn_errno(e, "stdin");
			exit(EX_IOERR);
		}
		if (got == 0)
			break;
		end = mo->delim == -1 ? NULL : memchr(buf, mo->delim, got);
		len += end != NULL ? (size_t)(end - buf) : got;
	}
	too_long(mo, len, msgsize, sent);
}

/* stdin, whole or cut into records, as messages. */
static long long
send_stdin(struct mq_opts *mo, struct mqobj *m, long msgsize)
{
	size_t cap = msgsize + 1 > 65536 ? (size_t)msgsize + 1 : 65536;
	size_t start = 0, end = 0;
	long long sent = 0;
	ssize_t n, rec;
	char *buf;

	/* Room for a whole record and a large read after it. */
	cap *= 2;
	if ((buf = malloc(cap)) == NULL)
		die(errno, NULL);
	for (;;) {
		if (mo->delim != -1)
			while ((rec = frame_next(buf + start, end - start,
			    mo->delim)) != -1) {
				send_one(mo, m, buf + start, rec, msgsize, sent);
				sent++;
				start += rec + 1;
			}
		if (end - start > (size_t)msgsize)
			too_long_stdin(mo, end - start, msgsize, sent);
		if (start > 0 && cap - end < cap / 2) {
			memmove(buf, buf + start, end - start);
			end -= start;
			start = 0;
		}
		if ((n = read(STDIN_FILENO, buf + end, cap - end)) == -1) {
			if (errno == EINTR)
				continue;
			err(EX_IOERR, "stdin");
		}
		if (n == 0)
			break;
		end += n;
	}
	/* What follows the last delimiter is a record too, unless empty. */
	if (mo->delim == -1 || end > start) {
		send_one(mo, m, buf + start, end - start, msgsize, sent);
		sent++;
	}
	free(buf);
	return sent;
}

static int
cmd_mq_send(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	struct mq_opts mo;
	struct mqobj m;
	long msgsize;
	int i;

	mo_init(&mo, argc, argv, obj, verb);
	mo_parse(&mo, MO_MORE);
	mo_open(&mo, &m, O_WRONLY);
	msgsize = mo_msgsize(&m);
	if (mo.noperands == 0) {
		free(mo.operands);
		send_stdin(&mo, &m, msgsize);
		m.ops->close(&m);
		return 0;
	}
	/* MESSAGE operands: all are checked before the first is sent. */
	for (i = 0; i < mo.noperands; i++)
		if (strlen(mo.operands[i]) > (size_t)msgsize)
			too_long(&mo, strlen(mo.operands[i]), msgsize, 0);
	for (i = 0; i < mo.noperands; i++)
		send_one(&mo, &m, mo.operands[i], strlen(mo.operands[i]),
		    msgsize, i);
	free(mo.operands);
	m.ops->close(&m);
	return 0;
}

/*
 * The delivery engine failed (what it could not write is back on the
 * queue, as it told): close the queue, which gives back what its backend
 * took and did not hand out, and end as the failure says.
 */
static __dead void
delivery_failed(struct mq_opts *mo, struct mqobj *m, int e)
{
	m->ops->close(m);
	if (e == EINTR)
		die_signal(signal_noted());
	die(e, e == E_OUTPUT ? NULL : mo->v.name);
}

/*
 * Take messages and hand them to the delivery engine until count are
 * taken (or forever with -f), the deadline passes or a noted signal came.
 * What is there is taken without waiting; before a wait, what was taken
 * goes out. Signals in stopset reach us only inside the wait, so none is
 * missed.
 */
static void
receive_loop(struct mq_opts *mo, struct mqobj *m, struct delivery *dl,
    const sigset_t *stopset)
{
	static const struct deadline now = { .once = true };
	struct deadline d;
	sigset_t waitmask;
	long long got = 0;
	long msgsize = mo_msgsize(m);
	unsigned prio;
	size_t n;
	char *msg;
	int e;

	if ((msg = malloc(msgsize)) == NULL)
		die(errno, NULL);
	deadline_start(&d, mo->v.timed ? &mo->v.timeout : NULL);
	while (!signal_noted() && (mo->follow || got < mo->count)) {
		m->want = mo->follow ? LLONG_MAX : mo->count - got;
		e = m->ops->take(m, msg, msgsize, &n, &prio, &now, NULL);
		if (e == EAGAIN && !d.once) {
			if ((e = delivery_flush(dl)) != 0)
				delivery_failed(mo, m, e);
			sigprocmask(SIG_BLOCK, stopset, &waitmask);
			e = signal_noted() ? EINTR : m->ops->take(m, msg,
			    msgsize, &n, &prio, &d, &waitmask);
			sigprocmask(SIG_SETMASK, &waitmask, NULL);
		}
		if (e == EINTR)
			continue;	/* a noted signal: the loop ends */
		if (e != 0) {
			int fe = delivery_flush(dl);

			delivery_failed(mo, m, fe != 0 ? fe : e);
		}
		if ((e = delivery_add(dl, msg, n, prio)) != 0)
			delivery_failed(mo, m, e);
		got++;
		deadline_start(&d, mo->v.timed ? &mo->v.timeout : NULL);
	}
	if ((e = delivery_flush(dl)) != 0)
		delivery_failed(mo, m, e);
	free(msg);
}

/* The delivery engine's steps, on the queue's backend. */
static int
acknowledge(void *m, size_t n)
{
	return ((struct mqobj *)m)->ops->acknowledge(m, n);
}

static int
put_back(void *m, const char *msg, size_t len, unsigned prio)
{
	return ((struct mqobj *)m)->ops->put_back(m, msg, len, prio);
}

static int
cmd_mq_receive(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	struct delivery_fmt fmt;
	struct delivery dl;
	struct mq_opts mo;
	struct mqobj m;
	sigset_t stopset;
	int e;

	mo_init(&mo, argc, argv, obj, verb);
	mo_parse(&mo, 0);
	if (mo.follow && mo.counted)
		usage_error(obj, verb, "-n and --follow exclude each other");
	/* Least access to receive; write access only to put messages back. */
	mo_open(&mo, &m, O_RDONLY);
	fmt = (struct delivery_fmt){ mo.out.format == OUT_JSON, mo.print_prio,
	    mo.delim == '\0' ? '\0' : '\n' };
	delivery_init(&dl, mo.v.name, &fmt, acknowledge,
	    m.ops->open_put_back(&m) == 0 ? put_back : NULL, &m,
	    "no write permission");
	if ((e = delivery_ready()) != 0)
		errx(EX_IOERR, "stdout: %s", strerror(e));
	/*
	 * A write to a closed pipe must fail with EPIPE so the message goes
	 * back; a signal that would end us is noted, and ends us only once
	 * what was taken is written or back on the queue. SIGKILL alone can
	 * lose a message.
	 */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stopset);
	signals_note(ending_signals, nending_signals, &stopset);
	receive_loop(&mo, &m, &dl, &stopset);
	m.ops->close(&m);
	if (signal_noted())
		die_signal(signal_noted());
	delivery_free(&dl);
	return 0;
}

/* info and procs: the queue's attributes and inode, then one or the other. */
static int
queue_look(int argc, char *argv[], const struct object *obj,
    const struct verb *verb, bool procs)
{
	struct mq_attr attr;
	struct mq_opts mo;
	struct mqobj m;
	struct stat st;
	int e;

	mo_init(&mo, argc, argv, obj, verb);
	mo_parse(&mo, 0);
	mo_open(&mo, &m, O_RDONLY);
	if ((e = m.ops->info(&m, &attr, &st)) != 0)
		die(e, mo.v.name);
	m.ops->close(&m);
	if (procs && !backend_can(mo.v.name, CAN_PROCS))
		die(error_set(E_UNAVAILABLE, "processes are per host"),
		    mo.v.name);
	if (procs)
		return procs_print(&st, &mo.out);
	info_print("queues", mo.v.name, st.st_mode != 0 ? &st : NULL,
	    (struct info_num[]){
	    { "MAX_MESSAGES", attr.mq_maxmsg },
	    { "MESSAGE_SIZE", attr.mq_msgsize },
	    { "MESSAGES", attr.mq_curmsgs } }, 3, true, NULL, 0, &mo.out);
	return 0;
}

static int
cmd_mq_info(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	return queue_look(argc, argv, obj, verb, false);
}

static int
cmd_mq_procs(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	return queue_look(argc, argv, obj, verb, true);
}

/* notify: wait, taking nothing, until the queue holds a message. */
static int
cmd_mq_notify(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	struct mq_opts mo;
	struct deadline d;
	struct mqobj m;
	int e;

	mo_init(&mo, argc, argv, obj, verb);
	mo_parse(&mo, MO_STOP);
	mo_open(&mo, &m, O_RDONLY);
	deadline_start(&d, mo.v.timed ? &mo.v.timeout : NULL);
	/* EBUSY: another process is registered: 75. */
	if ((e = m.ops->notify(&m, &d)) != 0)
		die(e, mo.v.name);
	m.ops->close(&m);
	if (mo.noperands == 0)
		return 0;
	signals_for_exec();
	execvp(mo.operands[0], mo.operands);
	warn_errno(errno, mo.operands[0]);
	return errno == ENOENT ? 127 : 126;
}

static int
cmd_mq_unlink(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	return unlink_names(argc, argv, obj, verb, IPC_MQ, mo_unlink);
}

#define OPT_MAXMSG_DEF(h) { .name = "max-messages", .val = OPT_MAXMSG, \
	.arg = "N", .help = (h) }
#define OPT_MSGSIZE_DEF(h) { .name = "message-size", .val = OPT_MSGSIZE, \
	.arg = "BYTES", .help = (h) }

static const struct opt opts_create[] = {
	OPT_MAXMSG_DEF("queue capacity (default: msg_default)"),
	OPT_MSGSIZE_DEF("largest message (default: msgsize_default)"),
	OPT_EXCLUSIVE("fail (exit 73) if it exists"),
	OPT_MODE,
	OPT_CREATE("accepted: create already creates"),
	{ 0 }
};

static const struct opt opts_send[] = {
	{ .name = "priority", .val = 'p', .arg = "PRIO",
	  .help = "0 (default) to MQ_PRIO_MAX-1; higher first" },
	OPT_TIMEOUT("wait at most T for room, per message; exit 75"),
	{ .name = "lines", .val = OPT_LINES,
	  .help = "each line of stdin is a message" },
	{ .name = "null", .val = '0',
	  .help = "each NUL-terminated record is a message" },
	OPT_CREATE("create the queue if missing"),
	OPT_EXCLUSIVE("create it; exit 73 if it exists"),
	OPT_MODE,
	OPT_MAXMSG_DEF("queue capacity if created"),
	OPT_MSGSIZE_DEF("largest message if created"),
	{ 0 }
};

static const struct opt opts_receive[] = {
	OPT_TIMEOUT("wait at most T for each message; exit 75"),
	{ .name = "count", .val = 'n', .arg = "COUNT",
	  .help = "receive COUNT messages (default 1)" },
	{ .name = "follow", .val = 'f', .help = "receive until interrupted" },
	{ .name = "print-priority", .val = 'P',
	  .help = "prefix each message with PRIO and a tab" },
	{ .name = "null", .val = '0',
	  .help = "end each message with NUL, not newline" },
	{ .name = "json", .val = OPT_JSON, .help = "one JSON object a line" },
	{ 0 }
};

static const struct opt opts_output[] = { OPTS_OUTPUT, { 0 } };
static const struct opt opts_info[] = { OPT_BYTES_DEF, OPTS_OUTPUT, { 0 } };

static const struct opt opts_notify[] = {
	OPT_TIMEOUT("give up after T; exit 75"),
	{ 0 }
};

static const struct verb verbs_mq[] = {
	{ .name = "create", .run = cmd_mq_create,
	  .summary = "create a queue (no NAME: a random one, printed)",
	  .usage = "[NAME] [--max-messages N] [--message-size BYTES] [-x] "
	  "[-m MODE]",
	  .opts = opts_create, .operands = "name",
	  .notes = "With no NAME, a fresh random name is created and "
	  "printed.\n" },
	{ .name = "send", .run = cmd_mq_send,
	  .summary = "send messages",
	  .usage = "NAME [-p PRIO] [-t T] [--lines | -0] [MESSAGE...]",
	  .opts = opts_send, .operands = "name -...",
	  .notes = "Each MESSAGE is one message; with none, stdin is one "
	  "message.\n" },
	{ .name = "receive", .run = cmd_mq_receive,
	  .summary = "receive messages, waiting for one",
	  .usage = "NAME [-t T] [-n COUNT | -f] [-P] [-0] [--json]",
	  .opts = opts_receive, .operands = "name" },
	{ .name = "info", .run = cmd_mq_info,
	  .summary = "print name, mode, owner, group, sizes and messages",
	  .usage = "NAME [-b] [--json | -r | --pairs]",
	  .opts = opts_info, .operands = "name" },
	{ .name = "notify", .run = cmd_mq_notify,
	  .summary = "wait until a queue holds a message, then run a command",
	  .usage = "NAME [-t T] [[--] COMMAND [ARG...]]",
	  .opts = opts_notify, .operands = "name command",
	  .notes = "Waits, taking nothing, until the queue holds a message, "
	  "then runs\nCOMMAND or exits 0. Another process registered: exit "
	  "75.\n" },
	{ .name = "procs", .run = cmd_mq_procs,
	  .summary = "list the processes that have it open",
	  .usage = "NAME [--json | -r | --pairs]",
	  .opts = opts_output, .operands = "name",
	  .notes = "A row per process: PID, USER, COMMAND, HOW (fd).\n" },
	{ .name = "unlink", .run = cmd_mq_unlink, .usage = "[-f] NAME...",
	  .summary = "remove queues",
	  .opts = opts_unlink, .operands = "name...",
	  .notes = "Removes each NAME; exit 66 if one was missing, 0 with "
	  "-f.\n" },
	{ 0 }
};

const struct object object_mq = {
	.name = "mq", .link = "ipcmq", .summary = "message queues",
	.kind = IPC_MQ, .verbs = verbs_mq
};
