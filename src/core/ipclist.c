/*
 * What a backend lists (ls, the completions): entries added as a listing
 * finds them, freed by the verb that printed them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

/*
 * A new entry at the end of l: of kind, named prefix and len bytes of
 * name, every number unknown (-1). *cap: the room l has.
 */
struct ipc_entry *
list_add(struct ipc_list *l, size_t *cap, enum ipc_kind kind,
    const char *prefix, const char *name, size_t len)
{
	struct ipc_entry *e;

	if (l->n == *cap) {
		*cap = *cap == 0 ? 64 : *cap * 2;
		if ((e = reallocarray(l->entries, *cap, sizeof(*e))) == NULL)
			die(ENOMEM, NULL);
		l->entries = e;
	}
	e = &l->entries[l->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	if (asprintf(&e->name, "%s%.*s", prefix, (int)len, name) == -1)
		die(ENOMEM, NULL);
	e->size = e->value = -1;
	e->messages = e->max_messages = e->message_size = -1;
	e->holders = e->procs = -1;
	return e;
}

void
list_free(struct ipc_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->entries[i].name);
	free(l->entries);
	l->entries = NULL;
	l->n = 0;
}
