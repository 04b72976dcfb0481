/*
 * The etcd backend: objects named "etcd:NAME", kept in an etcd v3 cluster
 * and reached through its JSON gateway (libcurl, jansson). Linked into
 * ipcctl-etcd only; see core/backend.c.
 */
#ifndef IPCCTL_ETCD_H
#define IPCCTL_ETCD_H

#include <jansson.h>

#include "core/core.h"

#define ETCD_SCHEME	"etcd:"		/* its row's, in core/backend.c */

/* client.c: one connection to the cluster, from the environment. */
struct etcd;
int	 etcd_connect(struct etcd **);
int	 etcd_shared(struct etcd **);
long long etcd_max_request(const struct etcd *);
void	 etcd_disconnect(struct etcd *);
int	 etcd_call(struct etcd *, const char *, json_t *, json_t **);
int	 etcd_call_ms(struct etcd *, const char *, json_t *, json_t **,
	    long long);
int	 etcd_watch(struct etcd *, json_t *, long long);
bool	 etcd_reached(const struct etcd *);
long long etcd_slice_ms(long long, const struct deadline *);
int	 etcd_lease_grant(struct etcd *, long long, long long *);
const char *etcd_prefix(const struct etcd *);
const char *etcd_host(const struct etcd *);

/* keeper.c: keeping a run's lease alive, and saying when it is lost. */
struct keeper;
struct keeper *keeper_start(long long, long long, double, const char *);
int	 keeper_fd(const struct keeper *);
void	 keeper_stop(struct keeper *);

/* list-etcd.c: the backend's row in core/backend.c's table. */
extern const struct backend backend_etcd;

extern const struct sem_ops semops_etcd;

/* mq-etcd.c: queues. */
#define MQ_PRIO_TOP		32767	/* the kernel's MQ_PRIO_MAX - 1 */
#define MQ_MSG_DEFAULT		10	/* sizes of a queue made without */
#define MQ_MSGSIZE_DEFAULT	8192
extern const struct mq_ops mqops_etcd;
int	 mq_sizes_parse(const char *, long *, long *);
long	 mq_message_max(long long);

/* json.c: the gateway's encodings: base64 bytes, int64 as strings. */
json_t	*j_bytes(const void *, size_t);
json_t	*j_str(const char *);
json_t	*j_int(long long);
long long j_get_int(const json_t *, const char *);
char	*j_get_bytes(const json_t *, const char *, size_t *);
char	*range_end(const char *);
long long answer_revision(const json_t *);
json_t	*txn_range(const json_t *, size_t);
json_t	*txn_kvs(const json_t *, size_t);
long long txn_count(const json_t *, size_t);

#endif /* IPCCTL_ETCD_H */
