/*
 * The core of ipcctl: what every verb shares, and no verb-specific code.
 * The dispatch types (an object and its verbs, which diagnostics and
 * help name), then one section per core file: its types and functions.
 * Core functions return 0 or an error code (see status.c) unless their
 * comment says otherwise.
 */
#ifndef IPCCTL_CORE_H
#define IPCCTL_CORE_H

#include <sys/types.h>

#include <getopt.h>
#include <limits.h>
#include <mqueue.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sysexits.h>
#include <time.h>

#ifndef __dead
#define __dead __attribute__((__noreturn__))
#endif

/*
 * One option of a verb, written once: getopt's tables, --help and the
 * shell completions (--completion-helper) all come from it.
 */
enum complete {
	COMPLETE_NONE,		/* free text: nothing to offer */
	COMPLETE_MODE,		/* a few common modes */
	COMPLETE_PID,		/* running processes */
	COMPLETE_TYPES,		/* sem, shm, mq */
	COMPLETE_COLUMNS	/* ls's columns, a comma-separated list */
};
struct opt {
	const char	*name;		/* long name, without "--" */
	int		 val;		/* short letter, or OPT_LONG_ONLY on */
	const char	*arg;		/* its argument's name; NULL: none */
	const char	*help;		/* one line of --help */
	enum complete	 complete;	/* what completes its argument */
};
#define OPT_LONG_ONLY	0x100
#define OPTS_MAX	16		/* options a verb may have */

/* Dispatch: an object owns a table of verbs, ended by a NULL name. */
struct object;

struct verb {
	const char	*name;
	const char	*alias;		/* another name for it, or NULL */
	int		(*run)(int, char *[], const struct object *,
			    const struct verb *);
	const char	*summary;	/* what it does, a few words */
	const char	*usage;		/* operands and options, one line */
	const struct opt *opts;		/* ended by a NULL name; NULL: none */
	const char	*operands;	/* completed as: "name", "file", "-" */
					/* (nothing), "command"; "..." repeats */
	const char	*notes;		/* what --help prints after options */
};

struct object {
	const char		*name;		/* "sem"; "" for object-less verbs */
	const char		*link;		/* multi-call name ("ipcsem") */
	const char		*summary;
	int			 kind;		/* enum ipc_kind; -1: none */
	const struct verb	*verbs;
};

/*
 * status.c: the one errno -> exit status table, and diagnostics. Core
 * functions return 0 or an error code: an errno, or one of ipcctl's own
 * beyond them, whose words error_set gives.
 */
#define E_DAMAGED	4096	/* the object is damaged: 65, and what is wrong */
#define E_LIMIT		4097	/* a system limit was hit: 71, and which */
#define E_UNAVAILABLE	4098	/* a service is out of reach: 69, and why */
#define E_GUARD		4099	/* sem run's guard died: 71 */
#define E_OUTPUT	4100	/* our output could not be written: 74 */
#define E_UNRECORDED	4101	/* sem run: COMMAND could not be recorded: 75 */
int	 error_set(int, const char *, ...)
	    __attribute__((__format__(__printf__, 2, 3)));
const char *error_reason(int);
int	 exit_status(int);
void	 diag_init(const struct object *, const struct verb *);
__dead void die(int, const char *);
void	 warn_errno(int, const char *);
__dead void usage_error(const struct object *, const struct verb *,
	    const char *, ...) __attribute__((__format__(__printf__, 3, 4)));

/* help.c: usage and help texts from the dispatch table. */
void	 print_help(const struct object *, const struct verb *);
void	 print_usage(FILE *, const struct object *, const struct verb *);
void	 print_text(FILE *, const char *);

/* signals.c: signals noted, and dying by one. */
__dead void die_signal(int);
void	 signals_note(const int *, size_t, sigset_t *);
void	 signals_default(const sigset_t *);
int	 signal_noted(void);
void	 signals_init(void);
void	 signals_for_exec(void);
extern const int ending_signals[];
extern const size_t nending_signals;

/* name.c: canonical names, checked before any system call. */
enum ipc_kind { IPC_SEM, IPC_SHM, IPC_MQ };
#define SCHEME_MAX	16	/* a backend's scheme, its ':' included */
#define IPC_NAME_BUF	(SCHEME_MAX + NAME_MAX + 2)	/* scheme, '/', NUL */
const char *name_check(const char *, enum ipc_kind, char [IPC_NAME_BUF]);
void	 name_random(char [IPC_NAME_BUF]);
int	 name_fresh(char [IPC_NAME_BUF], int (*)(const char *, void *),
	    int (*)(const char *), void *);

/* unlink.c: "unlink NAME...", for every object. */
int	 unlink_names(int, char *[], const struct object *,
	    const struct verb *, enum ipc_kind, int (*)(const char *));
extern const struct opt opts_unlink[];	/* -f, --force */

/* opt.c: numbers, sizes, modes; each returns NULL or the reason it failed. */
const char *parse_int(const char *, long long, long long, long long *);
const char *parse_size(const char *, uint64_t *);
const char *parse_mode(const char *, mode_t *);

/* The options every verb that opens an object shares. */
struct open_opts {
	int		 flags;		/* 0, O_CREAT or O_CREAT|O_EXCL */
	mode_t		 mode;
	bool		 mode_set;	/* -m given */
};
#define OPEN_OPTS_INIT	{ 0, 0600, false }
#define OPT_CREATE(h)	{ .name = "create", .val = 'c', .help = (h) }
#define OPT_EXCLUSIVE(h) { .name = "exclusive", .val = 'x', .help = (h) }
#define OPT_MODE	{ .name = "mode", .val = 'm', .arg = "MODE", \
	.help = "permissions if created (default 0600)", \
	.complete = COMPLETE_MODE }
#define OPT_TIMEOUT(h)	{ .name = "timeout", .val = 't', .arg = "T", \
	.help = (h) }
struct args;
bool	 open_opt(struct args *, int, const char *, struct open_opts *);

/* deadline.c: timeouts on the monotonic clock. */
struct deadline {
	bool		 forever;	/* no -t: wait as long as it takes */
	bool		 once;		/* -t 0: try once, never block */
	struct timespec	 at;		/* CLOCK_MONOTONIC */
};
const char *parse_duration(const char *, struct timespec *);
void	 deadline_start(struct deadline *, const struct timespec *);
bool	 deadline_left(const struct deadline *, struct timespec *);
bool	 deadline_slice(const struct deadline *, time_t, struct timespec *);
long long mono_ms(void);

/* output.c: plain, JSON, raw and pairs tables through libsmartcols. */
enum out_format { OUT_PLAIN, OUT_JSON, OUT_RAW, OUT_PAIRS };
/* COL_BOOL: "yes", "no"; COL_BYTES: a number, "8K" in a plain table. */
enum out_type { COL_STR, COL_NUM, COL_BOOL, COL_BYTES };
struct out_col {
	const char	*name;
	enum out_type	 type;
	bool		 right;		/* right-aligned */
};
struct out_opts {
	enum out_format	 format;
	bool		 noheadings;
	bool		 bytes;		/* -b: a plain table's sizes in bytes */
};
/* -J: lsipc's short form of --json. */
#define OPT_JSON	'J'
enum { OPT_PAIRS = OPT_LONG_ONLY };
#define OPTS_OUTPUT \
	{ .name = "json", .val = OPT_JSON, .help = "one JSON document" }, \
	{ .name = "raw", .val = 'r', .help = "raw table" }, \
	{ .name = "pairs", .val = OPT_PAIRS, .help = "KEY=\"value\" pairs" }
/* -b: only where a table shows sizes. */
#define OPT_BYTES_DEF \
	{ .name = "bytes", .val = 'b', \
	  .help = "sizes in bytes, not 8K or 1.5M" }
bool	 output_opt(int, struct out_opts *);
bool	 output_human(const struct out_opts *);
#define SIZE_BUF	48
const char *fmt_size(uint64_t, char [SIZE_BUF]);
struct table;
/* The columns given to table_new are read until table_print. */
struct table *table_new(const char *, const struct out_col *, size_t,
	    const struct out_opts *);
void	 table_header_always(struct table *);
struct libscols_line *table_row(struct table *);
void	 table_set(struct table *, struct libscols_line *, size_t,
	    const char *);
void	 table_setf(struct table *, struct libscols_line *, size_t,
	    const char *, ...) __attribute__((__format__(__printf__, 4, 5)));
void	 table_print(struct table *);
struct info_num {
	const char	*column;	/* SIZE, MESSAGE_SIZE: bytes */
	long long	 value;
};
#define INFO_MAX_NUMS	4
struct info_more {				/* after the others */
	const char	*column;
	enum out_type	 type;
	const char	*value;		/* NULL: none */
};
#define INFO_MAX_MORE	6
void	 info_print(const char *, const char *, const struct stat *,
	    const struct info_num *, size_t, bool, const struct info_more *,
	    size_t, const struct out_opts *);
void	 fmt_mode(mode_t, char [8]);
const char *fmt_user(uid_t, char *, size_t);
const char *fmt_group(gid_t, char *, size_t);
const char *fmt_time(time_t, char *, size_t);
#define SAFE_NAME_BUF	(4 * IPC_NAME_BUF)	/* strvis(3) of a name */
const char *fmt_name(const char *, char [SAFE_NAME_BUF]);

/* args.c: one getopt loop shape for every verb. */
struct args {
	int		 argc;
	char		**argv;
	char		 optstring[4 + 2 * OPTS_MAX];
	struct option	 longopts[OPTS_MAX + 2];	/* and --help, { 0 } */
	const struct object *obj;
	const struct verb *verb;
	int		 pos;		/* argv index of the last operand */
	bool		 done;		/* options ended: only operands left */
};
void	 args_init(struct args *, int, char *[], const struct object *,
	    const struct verb *);
int	 args_next(struct args *, const char **);
__dead void args_bad(struct args *, int);
void	 args_name(struct args *, const char *, enum ipc_kind,
	    char [IPC_NAME_BUF]);

/*
 * What every verb that opens an object reads the same way: -c, -x, -m,
 * -t and NAME. Each object's options begin with it.
 */
struct verb_opts {
	struct args	 args;
	struct open_opts open;
	char		 name[IPC_NAME_BUF];
	bool		 named;
	struct timespec	 timeout;	/* -t */
	bool		 timed;
};
void	 verb_opts_init(struct verb_opts *, int, char *[],
	    const struct object *, const struct verb *);
bool	 verb_opt(struct verb_opts *, int, const char *, enum ipc_kind);
void	 verb_need_name(struct verb_opts *);

/* xio.c: the one write loop and the one read loop. */
int	 io_write(int, const void *, size_t, off_t, size_t *);
int	 io_read(int, void *, size_t, off_t, size_t *);
int	 io_retry(int, int, short);
void	 close_range_from(int, int);

/* proc.c: processes as /proc shows them. */
uint64_t proc_start(pid_t);
bool	 is_pid(const char *, long *);
bool	 proc_alive(pid_t, uint64_t);
void	 command_line(char *const [], char *, size_t);

/* run.c: running a command while a token is held. */
struct runner {
	pid_t		 guard;		/* COMMAND's parent, a subreaper */
	pid_t		 cmd;		/* COMMAND, once the guard says */
	int		 fd;		/* the socket to the guard */
	int		 sigfd;		/* the signals run_wait passes on */
	bool		 lost;		/* the backend said the token is lost */
	long		 grace_ms;	/* lost: SIGTERM, then SIGKILL after it */
	struct token	*t;		/* the token; in the guard, once run
					   has died: its holder at least */
	/* In COMMAND's process before exec: its guard and itself; 0, or
	   an error code and COMMAND is not executed. */
	int		(*note)(void *, pid_t, uint64_t, pid_t, uint64_t);
	void		*note_arg;
	/* In the guard, where ipcctl died: give the token back (taken:
	   ipcctl said it holds it). */
	void		(*release)(void *, bool);
	void		*release_arg;
};
int	 run_start(struct runner *, char *const []);
int	 run_wait(struct runner *, const sigset_t *, int, int *);
void	 run_finish(struct runner *);

/* deliver.c: messages written out without loss. */
struct delivery_fmt {
	bool		 json;		/* one JSON object a line */
	bool		 prio;		/* PRIO<TAB> before each message */
	char		 end;		/* after each: '\n' or '\0' */
};
struct pending;
struct delivery {
	struct delivery_fmt fmt;
	char		*buf, *raw;	/* output; the messages' own bytes */
	size_t		 len, cap, rawlen, rawcap;
	struct pending	*p;		/* the messages in hand */
	size_t		 np, pcap;
	int		(*acknowledge)(void *, size_t);
	int		(*put_back)(void *, const char *, size_t, unsigned);
	void		*ctx;
	const char	*name, *no_back;
};
void	 delivery_init(struct delivery *, const char *,
	    const struct delivery_fmt *, int (*)(void *, size_t),
	    int (*)(void *, const char *, size_t, unsigned), void *,
	    const char *);
int	 delivery_ready(void);
int	 delivery_add(struct delivery *, const char *, size_t, unsigned);
int	 delivery_flush(struct delivery *);
void	 delivery_free(struct delivery *);

/* lib.c: libraries loaded when first needed; bsd.c: libbsd's, so. */
void	*lib_open(const char *);
void	*lib_sym(void *, const char *);
uint32_t bsd_arc4random_uniform(uint32_t);
mode_t	 bsd_getmode(const void *, mode_t);
void	*bsd_setmode(const char *);
char	*bsd_vis(char *, int, int, int);

/* text.c: UTF-8, and text from outside made safe to print. */
size_t	 utf8_len(const unsigned char *, size_t, unsigned *);
bool	 utf8_valid(const unsigned char *, size_t);
size_t	 utf8_cut(const char *, size_t);
char	*safe_text(char *, const char *, size_t);

/* msg.c: message framing. */
ssize_t	 frame_next(const char *, size_t, int);
size_t	 json_escape(const unsigned char *, size_t, char *);
size_t	 base64_encode(const unsigned char *, size_t, char *);

/* The seam between the verbs and the backends. */
#include "core/backend.h"

#endif /* IPCCTL_CORE_H */
