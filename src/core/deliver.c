/*
 * Delivering messages without loss: the engine behind mq receive.
 *
 * Messages taken from a queue are formatted into one output buffer and
 * written in large writes. Until a write has carried a message out whole,
 * its bytes and priority are kept; when a write fails, the messages it
 * did not carry go back on the queue, in order, through the backend's
 * put-back, and ipcctl exits 74 (or dies by the signal that ended the
 * write). The engine knows nothing of where messages come from.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

#define FLUSH_AT	65536

struct pending {
	unsigned	 prio;
	size_t		 raw;		/* its bytes start here in d->raw */
	size_t		 len;
	size_t		 end;		/* its output ends here in d->buf */
};

static void *
grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	while (*cap < need)
		*cap = *cap < 4096 ? 4096 : *cap * 2;
	if ((p = realloc(p, *cap * size)) == NULL)
		die(ENOMEM, NULL);
	return p;
}

/*
 * name: the queue, for diagnostics. acknowledge(ctx, n) is called once the
 * first n messages in hand are written; put_back(ctx, ...) when a write failed,
 * or it is NULL where nothing can go back, for the reason no_back. Each
 * returns 0 or an errno.
 */
void
delivery_init(struct delivery *d, const char *name,
    const struct delivery_fmt *fmt, int (*acknowledge)(void *, size_t),
    int (*put_back)(void *, const char *, size_t, unsigned), void *ctx,
    const char *no_back)
{
	memset(d, 0, sizeof(*d));
	d->name = name;
	d->fmt = *fmt;
	d->acknowledge = acknowledge;
	d->put_back = put_back;
	d->ctx = ctx;
	d->no_back = no_back;
}

void
delivery_free(struct delivery *d)
{
	free(d->buf);
	free(d->raw);
	free(d->p);
}

/*
 * stdout closed, or a pipe nobody reads: say so before anything is taken.
 * 0, or the errno to report.
 */
int
delivery_ready(void)
{
	struct pollfd p = { STDOUT_FILENO, POLLOUT, 0 };
	int fl = fcntl(STDOUT_FILENO, F_GETFL);

	if (fl == -1 || (fl & O_ACCMODE) == O_RDONLY)
		return EBADF;
	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLNVAL)))
		return EPIPE;
	return 0;
}

/*
 * The write failed after carried bytes: the messages it carried out whole
 * are acknowledged, and the others go back, in order, with their
 * priorities.
 */
static int
failed(struct delivery *d, size_t carried, int e)
{
	size_t i, out, back = 0;
	int pe = 0;

	for (out = 0; out < d->np && d->p[out].end <= carried; out++)
		continue;
	if (out > 0 && (pe = d->acknowledge(d->ctx, out)) != 0)
		warn_errno(pe, d->name);
	for (i = out; i < d->np; i++) {
		struct pending *p = &d->p[i];

		if (d->put_back == NULL || (pe = d->put_back(d->ctx,
		    d->raw + p->raw, p->len, p->prio)) != 0) {
			warnx("%s: %zu message%s could not be put back: %s",
			    d->name, d->np - i, d->np - i == 1 ? "" : "s",
			    d->put_back == NULL ? d->no_back :
			    error_reason(pe));
			break;
		}
		back++;
	}
	d->len = d->rawlen = d->np = 0;
	/* EINTR: a signal ended a write we waited on; it ends us. */
	if (e == EINTR)
		return EINTR;
	return error_set(E_OUTPUT, "stdout: %s%s", strerror(e),
	    back > 0 ? " (the messages not written were put back)" : "");
}

/*
 * Write out every message in hand. 0; E_OUTPUT where the write failed
 * (those not written went back, as told), EINTR where a noted signal
 * ended it, or the acknowledge's error code.
 */
int
delivery_flush(struct delivery *d)
{
	size_t done;
	int e;

	if ((e = io_write(STDOUT_FILENO, d->buf, d->len, -1, &done)) != 0)
		return failed(d, done, e);
	if (d->np > 0 && (e = d->acknowledge(d->ctx, d->np)) != 0)
		return e;
	d->len = d->rawlen = d->np = 0;
	return 0;
}

/* One message's output form at w; returns its end. */
static char *
format(const struct delivery_fmt *f, char *w, const char *msg, size_t len,
    unsigned prio)
{
	const unsigned char *u = (const unsigned char *)msg;
	bool utf8;

	if (f->json) {
		utf8 = utf8_valid(u, len);
		w += sprintf(w, "{\"priority\":%u,\"size\":%zu,\"%s\":\"", prio,
		    len, utf8 ? "data" : "data_base64");
		w += utf8 ? json_escape(u, len, w) : base64_encode(u, len, w);
		w += sprintf(w, "\"}");
	} else {
		if (f->prio)
			w += sprintf(w, "%u\t", prio);
		memcpy(w, msg, len);
		w += len;
	}
	*w++ = f->end;
	return w;
}

/*
 * A message taken: kept until written, written when enough are in hand.
 * 0, or delivery_flush's error.
 */
int
delivery_add(struct delivery *d, const char *msg, size_t len, unsigned prio)
{
	struct pending *p;

	/* Worst case: JSON escapes each byte in six. */
	d->buf = grow(d->buf, &d->cap, d->len + 6 * len + 96, 1);
	d->len = format(&d->fmt, d->buf + d->len, msg, len, prio) - d->buf;
	d->raw = grow(d->raw, &d->rawcap, d->rawlen + len, 1);
	memcpy(d->raw + d->rawlen, msg, len);
	d->p = grow(d->p, &d->pcap, d->np + 1, sizeof(*d->p));
	p = &d->p[d->np++];
	p->prio = prio;
	p->raw = d->rawlen;
	p->len = len;
	p->end = d->len;
	d->rawlen += len;
	return d->len >= FLUSH_AT ? delivery_flush(d) : 0;
}
