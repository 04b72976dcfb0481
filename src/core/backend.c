/*
 * Which backend keeps an object: the one table the verbs go through to
 * reach semaphores, queues and listings. A second backend is a row here
 * and its files; no verb changes.
 */
#include <string.h>

#include "core.h"

static const struct backend backends[] = {
	{ .scheme = "", .sem = &semops_local, .mq = &mqops_local,
	  .list = list_objects },
};

/* The backend of name, by its prefix (NULL: the local one). */
const struct backend *
backend_for(const char *name)
{
	size_t i;

	for (i = 1; name != NULL && i < sizeof(backends) / sizeof(*backends);
	    i++)
		if (strncmp(name, backends[i].scheme,
		    strlen(backends[i].scheme)) == 0)
			return &backends[i];
	return &backends[0];
}

const struct sem_ops *
semops_for(const char *name)
{
	return backend_for(name)->sem;
}

const struct mq_ops *
mqops_for(const char *name)
{
	return backend_for(name)->mq;
}
