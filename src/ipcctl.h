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

#endif /* IPCCTL_H */
