/*
 * The local backend: POSIX IPC on this host (sem_open, shm_open, mq_open)
 * and the files behind it in /dev/shm and /dev/mqueue. What its files
 * share; the verbs of shm, which only this backend has, and procs use it
 * too.
 */
#ifndef IPCCTL_LOCAL_H
#define IPCCTL_LOCAL_H

#include "core/core.h"

/* file.c: the files behind objects, opened and checked safely. */
struct stat;
int	 file_check(int, const char *, off_t, struct stat *);
int	 file_open_error(int, const char *);

/* ipc-sem.c: semaphores, mapped by ipcctl; a fault is an error. */
struct psem {
	sem_t		*sem;		/* the file's first bytes, mapped */
	int		 fd;		/* the file; the holders ledger's too */
};
int	 psem_file(const char *, int);
int	 psem_open(struct psem *, const char *, const struct open_opts *,
	    unsigned, int);
void	 psem_close(struct psem *);
int	 psem_wait(struct psem *, const struct deadline *);
int	 psem_post(struct psem *);
int	 psem_value(struct psem *, int *);


/* ledger.c: who holds a semaphore's tokens, beside it in its file. */
#define LEDGER_MAX_SLOTS	4096
int	 ledger_read(int, struct ledger_slot **, uint32_t *, bool *);
int	 ledger_count(int);
int	 ledger_add(int, const struct ledger_slot *, off_t *);
int	 ledger_took(int, off_t);
int	 ledger_note(int, pid_t, uint64_t, pid_t, uint64_t, pid_t, uint64_t);
struct run_record;
int	 ledger_once_get(int, struct run_record *);
int	 ledger_once_put(int, const struct run_record *,
	    const struct run_record *);
int	 ledger_remove(int, bool (*)(const struct ledger_slot *, void *),
	    void (*)(const struct ledger_slot *, void *), void *, int, int *);

/* ipc-shm.c: segments opened or created. */
int	 pshm_open(const char *, const struct open_opts *, int, int *,
	    bool *);

/* copy.c: bytes into and out of a segment; the side an error is on. */
enum copy_side { SIDE_SEGMENT = 1, SIDE_FILE };
int	 segment_to_fd(int, off_t, size_t, int, enum copy_side *);
int	 fd_to_segment(int, int, off_t, size_t, enum copy_side *);
int	 fd_to_segment_bounded(int, int, off_t, uint64_t, bool *,
	    enum copy_side *);

/* ipc-mq.c: queues, always non-blocking; waits are ppoll(2)s. */
long	 queue_sysctl(const char *);
mqd_t	 queue_open(const char *, const struct open_opts *, int,
	    struct mq_attr *);
int	 queue_create_error(int, const struct mq_attr *);
int	 queue_wait(mqd_t, short, const struct deadline *, const sigset_t *);

/* list.c: the objects /dev/shm and /dev/mqueue show (Linux-specific). */
#define SHM_DIR		"/dev/shm"
#define MQ_DIR		"/dev/mqueue"
#define MQ_MOUNT	"mount -t mqueue none " MQ_DIR
int	 list_objects(struct ipc_list *, unsigned);
bool	 queue_mounted(void);
long long queue_charge(const struct ipc_entry *);

/* procs.c: the processes that have an object open or mapped. */
#define PROC_FD			1	/* a descriptor */
#define PROC_MAP		2	/* a mapping */
#define PROC_COMMAND_MAX	4096	/* bytes of a command line shown */
struct proc_use {
	size_t		 obj;		/* which of the objects asked about */
	pid_t		 pid;
	unsigned	 how;		/* PROC_FD | PROC_MAP */
};
struct proc_scan {
	struct proc_use	*uses;
	size_t		 n, cap;
	bool		 partial;	/* some processes could not be read */
};
void	 procs_scan(const struct stat *, size_t, struct proc_scan *);
bool	 procs_count(struct ipc_list *);
void	 procs_free(struct proc_scan *);
int	 procs_print(const struct stat *, const struct out_opts *);

/* limits.c: this host's limits. */
int	 local_limits(struct limits *);

/* sem.c, mq.c: the local backend's operations. */
extern const struct sem_ops semops_local;
extern const struct mq_ops mqops_local;

#endif /* IPCCTL_LOCAL_H */
