/*
 * The seam between the verbs and the backends, as git's refs-internal.h
 * is between refs.c and its storage backends: what a backend implements
 * (sem_ops, mq_ops, a listing and limits) and the row that names it in
 * the one table (backend.c). Included by core.h, whose types it uses; a
 * verb reaches an object only through these.
 */
#ifndef IPCCTL_BACKEND_H
#define IPCCTL_BACKEND_H

#define IPC_KIND_BIT(k)	(1u << (k))

/*
 * A holder as every backend records it (ledger_slot_init, proc.c): who,
 * since when, doing what. The local backend keeps these in its ledger.
 */
struct ledger_slot {
	int32_t		 pid;		/* 0: a free slot */
	int32_t		 guard;		/* alive while it lives too, or 0 */
	uint64_t	 start;		/* the process's start, clock ticks */
	int64_t		 since;		/* when it took the token, epoch s */
	char		 command[208];
	int32_t		 cmd;		/* sem run's COMMAND, alive too; or 0 */
	int32_t		 waiting;	/* 1: sem run, recorded before its wait */
	uint64_t	 cmd_start;	/* its start, clock ticks */
	uint64_t	 guard_start;	/* the guard's start, clock ticks */
};
int	 ledger_slot_init(struct ledger_slot *, pid_t, uint64_t,
	    const char *);
bool	 holder_alive(const struct ledger_slot *);

/*
 * The seam between the sem verbs and where a semaphore is kept: the verbs
 * reach one only through its backend's sem_ops (local/sem.c for POSIX
 * semaphores). Each returns 0 or an error code.
 */
struct token {				/* a token taken; leased: asked */
	pid_t		 pid;		/* its recorded holder, or 0 */
	uint64_t	 start;		/* the holder's start time */
	uint64_t	 fence;		/* fencing number; 0: none */
	bool		 leased;	/* comes back by itself at its lease's end */
	const char	*id;		/* what names it (a key), or NULL */
	long long	 lease;		/* the lease it stands on; 0: none */
	long		 lease_ms;	/* asked: its lease's time; 0: default */
	long		 grace_ms;	/* lost: SIGTERM, SIGKILL after; 0: any */
};
/*
 * The last run of sem run --once-per or --once-key, kept beside the
 * semaphore: which slot or key, who ran it, and how it ended.
 */
#define RUN_ONCE_MAX	160
#define RUN_RUNNING	(-1)		/* status: not ended (yet) */
struct run_record {
	char		 once[RUN_ONCE_MAX];	/* "slot ...", or "key KEY" */
	char		 host[64];
	int32_t		 pid;
	int32_t		 status;	/* exit status, 128+N: signal N */
	uint64_t	 pid_start;	/* the runner's start, clock ticks */
	int64_t		 start, end;	/* epoch seconds; end 0: running */
	/* Filled by once_get, not kept: */
	bool		 alive;		/* running, and its runner holds */
	long long	 rev;		/* names this version (etcd); put sets */
};
struct sem_info {
	int		 value;
	long long	 capacity, held, waiting;	/* -1: not kept */
	bool		 has_stat;	/* a file: st holds mode and owner */
	struct stat	 st;
};
struct holder {				/* what "holders" lists */
	struct ledger_slot slot;	/* pid, start, since, command */
	char		 host[64];	/* another host's name, or "" */
	int		 alive;		/* 1, 0, -1: not this host's to judge */
	bool		 waiting;	/* awaits a token, holds none yet */
	long long	 lease;		/* seconds its lease has left; -1: none */
};
struct semobj;
struct sem_ops {
	int	(*open)(struct semobj *, const char *, const struct open_opts *,
		    long long, int);
	void	(*close)(struct semobj *);
	int	(*acquire)(struct semobj *, const struct deadline *,
		    const struct ledger_slot *, struct token *);
	int	(*release)(struct semobj *, long long, long long *);
	int	(*release_holder)(struct semobj *, pid_t, uint64_t, int, int *);
	int	(*release_token)(struct semobj *, const struct token *);
	int	(*recover)(struct semobj *, const char *,
		    void (*)(const struct ledger_slot *, void *), void *, int *);
	int	(*value)(struct semobj *, int *);
	int	(*info)(struct semobj *, struct sem_info *);
	int	(*holders)(struct semobj *, struct holder **, uint32_t *, bool *,
		    bool *);
	int	(*lost_fd)(struct semobj *, const struct token *);
	/*
	 * sem run --once-per and --once-key: the last run on record (ENOENT
	 * where none), and recording one while holding token t: only where
	 * the record on file is still seen (NULL: none was), else EAGAIN.
	 */
	int	(*once_get)(struct semobj *, struct run_record *);
	int	(*once_put)(struct semobj *, const struct token *,
		    struct run_record *, const struct run_record *);
	/* sem run, before COMMAND is executed: its guard and it; or NULL. */
	int	(*note_run)(struct semobj *, const struct token *, pid_t,
		    uint64_t, pid_t, uint64_t);
	int	(*unlink)(const char *);
};
struct semobj {
	const struct sem_ops *ops;
	const char	*name;
	void		*priv;		/* the backend's own */
};

/*
 * The seam between the mq verbs and where a queue is kept: the verbs
 * reach one only through its backend's mq_ops (local/mq.c for POSIX
 * queues). Receiving is take, then acknowledge once the messages are
 * written, or put back when the write failed. Each returns 0 or an error
 * code.
 */
struct mqobj;
struct mq_ops {
	int	(*open)(struct mqobj *, const char *, const struct open_opts *,
		    int, struct mq_attr *);
	int	(*open_put_back)(struct mqobj *);
	void	(*close)(struct mqobj *);
	int	(*attr)(struct mqobj *, struct mq_attr *);
	/* st_mode 0: no file stands for the queue (not on this host). */
	int	(*info)(struct mqobj *, struct mq_attr *, struct stat *);
	int	(*send)(struct mqobj *, const char *, size_t, unsigned,
		    const struct deadline *);
	int	(*take)(struct mqobj *, char *, size_t, size_t *, unsigned *,
		    const struct deadline *, const sigset_t *);
	int	(*acknowledge)(struct mqobj *, size_t);
	int	(*put_back)(struct mqobj *, const char *, size_t, unsigned);
	int	(*notify)(struct mqobj *, const struct deadline *);
	int	(*unlink)(const char *);
};
struct mqobj {
	const struct mq_ops *ops;
	const char	*name;
	void		*priv;		/* the backend's own */
	long long	 want;		/* receive: messages still wanted */
};
extern const struct backend backend_local;

/*
 * backend.c: the one table of backends, by the scheme a name starts with
 * ("SCHEME:NAME"; any other name is local). A row says what its backend
 * can do, known before its code is loaded: the verbs ask the row, never
 * a scheme. Each backend has its semaphores, its queues, its listing and
 * its limits.
 */
struct ipc_list;
struct limits;
struct backend {
	const struct sem_ops	*sem;
	const struct mq_ops	*mq;
	/* Each 0 or an error code, as every operation. */
	int			(*list)(struct ipc_list *, unsigned);
	int			(*limits)(struct limits *);
};
enum {
	CAN_SHM		= 1 << 0,	/* shared memory */
	CAN_MODE	= 1 << 1,	/* permissions of its own (-m) */
	CAN_PROCS	= 1 << 2,	/* processes using an object (procs) */
	CAN_LEASE	= 1 << 3,	/* tokens under a lease (--lease) */
	CAN_HOSTS	= 1 << 4,	/* other hosts (recover --host) */
};
struct backend_row {
	const char		*scheme;	/* "etcd:"; "" local */
	const char		*helper;	/* the program it is in; NULL: us */
	const char		*what;		/* ls and limits SCHEME: what */
	const char		*no_mode;	/* why -m is refused */
	const char		*no_shm;	/* why there is no shared memory */
	unsigned		 can;
	bool			 built;		/* its helper, where it has one */
	const struct backend	*impl;		/* NULL: in the helper */
};
const struct backend_row *backend_row(const char *);
const struct backend_row *backend_scheme(const char *);
const struct backend_row *backend_rows(size_t *);
bool	 backend_can(const char *, unsigned);
int	 backend_get(const char *, const struct backend **);
extern char **backend_argv;		/* main's argv: a helper's */

/* What a backend lists (ls) and its limits (limits). */
enum ipc_note {
	NOTE_NONE,
	NOTE_DAMAGED,		/* a sem.* file no semaphore can be */
	NOTE_DENIED		/* the caller may not open it to look */
};
struct ipc_entry {
	enum ipc_kind	 kind;
	enum ipc_note	 note;
	char		*name;		/* "/NAME", raw bytes from the directory */
	uid_t		 uid;
	gid_t		 gid;
	mode_t		 mode;
	struct timespec	 mtime;
	/* -1 where unknown or not of this kind: */
	long long	 size;		/* segment length; bytes a queue holds */
	long long	 value;		/* semaphore value */
	long		 messages, max_messages, message_size;	/* queue */
	int		 holders;	/* semaphore with a holders ledger */
	int		 procs;		/* processes using it (procs_count) */
	bool		 remote;	/* kept elsewhere: no owner, mode, time */
	dev_t		 dev;		/* what names it for procs.c */
	ino_t		 ino;
};
/* One row of limits: a typed column each (cmd-limits.c prints it). */
struct limits {
	const struct out_col *cols;
	size_t		 n;
	char		**v;		/* each as text, NULL where unknown */
	bool		*unlimited;	/* v is "unlimited", JSON's null */
};
struct ipc_list {
	struct ipc_entry *entries;
	size_t		 n;
	int		 shm_errno;	/* why SHM_DIR was not read, or 0 */
	int		 mq_errno;	/* ENOENT: MQ_DIR missing or unmounted */
};
/* ipclist.c */
struct ipc_entry *list_add(struct ipc_list *, size_t *, enum ipc_kind,
	    const char *, const char *, size_t);
void	 list_free(struct ipc_list *);

#endif /* IPCCTL_BACKEND_H */
