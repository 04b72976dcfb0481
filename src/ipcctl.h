/*
 * ipcctl: POSIX semaphores, shared memory and message queues for the
 * shell. The verbs' header: the object tables the dispatcher walks and
 * the object-less verbs, over the core (core/core.h).
 */
#ifndef IPCCTL_H
#define IPCCTL_H

#include "core/core.h"

extern const struct object object_sem;
extern const struct object object_shm;
extern const struct object object_mq;
int	 cmd_ls(int, char *[], const struct object *, const struct verb *);
int	 cmd_limits(int, char *[], const struct object *, const struct verb *);
extern const struct opt opts_ls[], opts_limits[];
const char *ls_column(size_t);

/* The objects and the object-less verbs, as the dispatcher finds them. */
extern const struct object *const objects[];
extern const struct object bare_object;
const struct object *find_object(const char *, bool);
const struct verb *find_verb(const struct object *, const char *);

/* complete.c: what the shell completions ask: --completion-helper. */
int	 complete_words(int, char *[]);

#endif /* IPCCTL_H */
