/*
 * fault-proxy: an HTTP/1.1 proxy for the tests, between ipcctl and one
 * etcd member, that loses, cuts, delays or resets answers on request; or,
 * with no upstream, a fake server that gives hostile answers.
 *
 * usage: fault-proxy [-u HOST:PORT] [-r RULES] [-e RULE]... [-s SEED]
 *            [-l LOG] [-p PORTFILE] [-T SECONDS]
 *
 * It listens on 127.0.0.1 (a port of the kernel's choosing, written to
 * PORTFILE, else to stdout) and forwards each request to HOST:PORT over a
 * connection of its own, keeping the client's connection alive as the
 * client asks and relaying chunked answers (watches) as they come. It
 * ends after SECONDS (default 120), and with its parent's death.
 *
 * A rule is "PATH MATCH ACTION": the first rule whose PATH ("*": any) and
 * MATCH hold decides what happens to a request; none: it passes. RULES is
 * a file of rules, one a line ('#' comments), read again whenever it
 * changes, so a test can rewrite it while requests flow; -e adds one.
 * Counts start again when the file changes.
 *
 * MATCH:	*	every request to PATH
 *		n=K	the Kth request to PATH (from 1); n=K- from the Kth on;
 *			n=K-L from the Kth to the Lth
 *		p=F	each with probability F (a fraction), drawn from SEED
 *
 * ACTION:	pass		forward, answer as upstream does
 *		drop		forward, read the answer, close with none
 *		cut=B		forward, send the answer's head and the first
 *				B bytes of its body, close
 *		delay=MS	forward, hold the answer MS ms, then send it
 *		delayreset=MS	forward, hold the answer MS ms, then reset (RST)
 *		reset		reset (RST) before forwarding
 *		stall		forward nothing, answer nothing, hold on
 *		body=TEXT	answer 200 with TEXT (body=@FILE: the file's)
 *		status=CODE	answer CODE with {} as its body
 *		huge		answer 200, Content-Length: 5000000000, and
 *				send bytes until the client goes
 *		endless		answer 200 with a chunked body that never ends
 *		garbage		answer 200 with a stream of garbage lines
 *		events		answer a watch with an event at once, then hold
 *
 * With no upstream, a request no rule answers gets 404. LOG gets
 * "N PATH ACTION" a line for each request, N its number.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_RULES	64
#define HEAD_MAX	16384
#define BODY_MAX	(64 * 1024 * 1024)

struct rule {
	char		 path[256];
	char		 match;		/* '*', 'n', 'p' */
	long		 from, to;	/* n=: a range of counts */
	double		 p;
	char		 action[32];
	char		 arg[4096];
};

/* Shared by every connection's process: counts and a generation. */
struct shared {
	volatile int	 lock;
	unsigned long	 requests;
	unsigned long long gen;		/* the rules file's identity */
	unsigned long	 count[MAX_RULES];
};

struct conn {
	int		 fd;
	char		 buf[65536];
	size_t		 len, off;
};

static struct rule	 argv_rules[MAX_RULES], rules[MAX_RULES];
static size_t		 nargv_rules, nrules;
static const char	*rules_file, *log_file;
static unsigned long long seed = 1, loaded_gen;
static struct shared	*sh;
static struct sockaddr_in upstream;
static bool		 have_upstream;

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fault-proxy: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void
lock(void)
{
	while (__atomic_exchange_n(&sh->lock, 1, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void
unlock(void)
{
	__atomic_store_n(&sh->lock, 0, __ATOMIC_RELEASE);
}

static int
parse_rule(const char *line, struct rule *r)
{
	char match[64], action[4200];
	char *eq;

	memset(r, 0, sizeof(*r));
	if (sscanf(line, "%255s %63s %4199[^\n]", r->path, match, action) != 3)
		return -1;
	if (strcmp(match, "*") == 0)
		r->match = '*';
	else if (strncmp(match, "n=", 2) == 0) {
		r->match = 'n';
		r->from = r->to = strtol(match + 2, &eq, 10);
		if (*eq == '-')
			r->to = eq[1] == '\0' ? -1 : strtol(eq + 1, NULL, 10);
	} else if (strncmp(match, "p=", 2) == 0) {
		r->match = 'p';
		r->p = strtod(match + 2, NULL);
	} else
		return -1;
	if ((eq = strchr(action, '=')) != NULL) {
		*eq = '\0';
		snprintf(r->arg, sizeof(r->arg), "%s", eq + 1);
	}
	snprintf(r->action, sizeof(r->action), "%.31s", action);
	return 0;
}

/* The rules file's identity: changed, the rules are read again. */
static unsigned long long
file_gen(void)
{
	struct stat st;

	if (rules_file == NULL || stat(rules_file, &st) == -1)
		return 0;
	return (unsigned long long)st.st_mtim.tv_sec * 1000000000ULL +
	    st.st_mtim.tv_nsec + st.st_size * 7919ULL + st.st_ino * 104729ULL;
}

static void
load_rules(void)
{
	unsigned long long gen = file_gen();
	char line[4500];
	FILE *fp;

	if (gen == loaded_gen && nrules > 0)
		return;
	memcpy(rules, argv_rules, sizeof(rules[0]) * nargv_rules);
	nrules = nargv_rules;
	if (rules_file != NULL && (fp = fopen(rules_file, "r")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL && nrules <
		    MAX_RULES) {
			line[strcspn(line, "\r\n")] = '\0';
			if (line[strspn(line, " \t")] == '#' ||
			    line[strspn(line, " \t")] == '\0')
				continue;
			if (parse_rule(line, &rules[nrules]) == 0)
				nrules++;
			else
				fprintf(stderr, "fault-proxy: bad rule: %s\n",
				    line);
		}
		fclose(fp);
	}
	loaded_gen = gen;
	lock();
	if (sh->gen != gen) {
		sh->gen = gen;
		memset(sh->count, 0, sizeof(sh->count));
	}
	unlock();
}

static unsigned long long
mix(unsigned long long x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ x >> 30) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ x >> 27) * 0x94d049bb133111ebULL;
	return x ^ x >> 31;
}

/* The rule for a request to path (NULL: pass it), and its number. */
static const struct rule *
decide(const char *path, unsigned long *number)
{
	const struct rule *hit = NULL;
	unsigned long n;
	size_t i;

	load_rules();
	lock();
	*number = ++sh->requests;
	for (i = 0; i < nrules; i++) {
		const struct rule *r = &rules[i];

		if (strcmp(r->path, "*") != 0 && strcmp(r->path, path) != 0)
			continue;
		n = ++sh->count[i];
		if (hit != NULL)
			continue;
		if (r->match == '*' ||
		    (r->match == 'n' && (long)n >= r->from && (r->to == -1 ||
		    (long)n <= r->to)) ||
		    (r->match == 'p' && (mix(seed ^ (unsigned long long)i << 40 ^
		    n) >> 11) * 0x1.0p-53 < r->p))
			hit = r;
	}
	unlock();
	return hit;
}

static void
log_request(unsigned long n, const char *path, const struct rule *r)
{
	FILE *fp;

	if (log_file == NULL || (fp = fopen(log_file, "a")) == NULL)
		return;
	fprintf(fp, "%lu %s %s%s%s\n", n, path, r != NULL ? r->action : "pass",
	    r != NULL && r->arg[0] != '\0' && r->arg[0] != '{' ? "=" : "",
	    r != NULL && r->arg[0] != '{' ? r->arg : "");
	fclose(fp);
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *q = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, q, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		q += w;
		n -= w;
	}
	return 0;
}

static void
reset_close(int fd)
{
	struct linger l = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* More bytes into c's buffer: 0 at the end of the stream. */
static ssize_t
fill(struct conn *c)
{
	ssize_t n;

	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->len == sizeof(c->buf))
		return -1;
	do
		n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	while (n == -1 && errno == EINTR);
	if (n > 0)
		c->len += n;
	return n;
}

/* A head (through its empty line) into a new string: NULL at the end. */
static char *
read_head(struct conn *c)
{
	char *end, *head;
	size_t n;

	for (;;) {
		if ((end = memmem(c->buf + c->off, c->len - c->off, "\r\n\r\n",
		    4)) != NULL) {
			n = end + 4 - (c->buf + c->off);
			if ((head = malloc(n + 1)) == NULL)
				die("out of memory");
			memcpy(head, c->buf + c->off, n);
			head[n] = '\0';
			c->off += n;
			return head;
		}
		if (c->len - c->off > HEAD_MAX || fill(c) <= 0)
			return NULL;
	}
}

/* Header name's value in head (a pointer into it), or NULL. */
static const char *
header(const char *head, const char *name)
{
	const char *p = head;
	size_t n = strlen(name);

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			return p + n + 1 + strspn(p + n + 1, " \t");
	}
	return NULL;
}

/* Exactly n bytes from c into *out (appended at *len). */
static int
read_bytes(struct conn *c, size_t n, char **out, size_t *len)
{
	size_t k;

	while (n > 0) {
		if (c->off == c->len && fill(c) <= 0)
			return -1;
		k = c->len - c->off < n ? c->len - c->off : n;
		if ((*out = realloc(*out, *len + k + 1)) == NULL)
			die("out of memory");
		memcpy(*out + *len, c->buf + c->off, k);
		*len += k;
		c->off += k;
		n -= k;
	}
	return 0;
}

/* One line (CRLF included) from c, appended to *out. */
static int
read_line(struct conn *c, char **out, size_t *len)
{
	char *nl;

	for (;;) {
		if ((nl = memchr(c->buf + c->off, '\n', c->len - c->off)) !=
		    NULL)
			return read_bytes(c, nl + 1 - (c->buf + c->off), out,
			    len);
		if (c->len - c->off > HEAD_MAX || fill(c) <= 0)
			return -1;
	}
}

/*
 * One chunk of a chunked body from c appended to *out: 1, or 0 for the
 * last (trailers read too), -1 at a broken stream.
 */
static int
read_chunk(struct conn *c, char **out, size_t *len)
{
	size_t start = *len;
	unsigned long size;

	if (read_line(c, out, len) == -1)
		return -1;
	size = strtoul(*out + start, NULL, 16);
	if (size == 0) {
		do {
			start = *len;
			if (read_line(c, out, len) == -1)
				return -1;
		} while (*len - start > 2);
		return 0;
	}
	return read_bytes(c, size + 2, out, len) == -1 ? -1 : 1;
}

static int
connect_upstream(void)
{
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&upstream, sizeof(upstream)) ==
	    -1) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	return fd;
}

static void
answer(int fd, int status, const char *body, size_t len)
{
	char head[256];

	snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: "
	    "application/json\r\nContent-Length: %zu\r\n\r\n", status,
	    status == 200 ? "OK" : "Fault", len);
	if (write_all(fd, head, strlen(head)) == 0)
		write_all(fd, body, len);
}

/* Hold on until the client goes. */
static void
hold(int fd)
{
	char b[4096];

	while (read(fd, b, sizeof(b)) > 0)
		;
}

static void
stream_head(int fd)
{
	static const char h[] = "HTTP/1.1 200 OK\r\nContent-Type: "
	    "application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

	write_all(fd, h, sizeof(h) - 1);
}

static int
stream_chunk(int fd, const char *p, size_t n)
{
	char size[32];

	snprintf(size, sizeof(size), "%zx\r\n", n);
	return write_all(fd, size, strlen(size)) == -1 ||
	    write_all(fd, p, n) == -1 || write_all(fd, "\r\n", 2) == -1 ? -1 :
	    0;
}

/* The answers of the fake server: false where the action is no such. */
static bool
fake(int fd, const struct rule *r)
{
	static char block[65536];
	char *text = NULL;
	size_t len = 0;
	FILE *fp;
	int i;

	memset(block, 'a', sizeof(block));
	if (strcmp(r->action, "body") == 0) {
		if (r->arg[0] == '@') {
			if ((fp = fopen(r->arg + 1, "r")) == NULL)
				die("%s: %s", r->arg + 1, strerror(errno));
			text = malloc(BODY_MAX);
			len = fread(text, 1, BODY_MAX, fp);
			fclose(fp);
			answer(fd, 200, text, len);
			free(text);
		} else
			answer(fd, 200, r->arg, strlen(r->arg));
	} else if (strcmp(r->action, "status") == 0)
		answer(fd, atoi(r->arg), "{}", 2);
	else if (strcmp(r->action, "huge") == 0) {
		static const char h[] = "HTTP/1.1 200 OK\r\nContent-Type: "
		    "application/json\r\nContent-Length: 5000000000\r\n\r\n"
		    "{\"kvs\":\"";

		if (write_all(fd, h, sizeof(h) - 1) == 0)
			while (write_all(fd, block, sizeof(block)) == 0)
				;
		close(fd);
		exit(0);
	} else if (strcmp(r->action, "endless") == 0) {
		stream_head(fd);
		if (stream_chunk(fd, "{\"kvs\":\"", 8) == 0)
			while (stream_chunk(fd, block, sizeof(block)) == 0)
				;
		close(fd);
		exit(0);
	} else if (strcmp(r->action, "garbage") == 0) {
		stream_head(fd);
		for (i = 0; stream_chunk(fd, "}{garbage\x01\xff[[\n", 15) == 0;
		    i++)
			if (i % 64 == 63)
				sleep_ms(1);
		close(fd);
		exit(0);
	} else if (strcmp(r->action, "events") == 0) {
		static const char ev[] = "{\"result\":{\"header\":{\"revision\":"
		    "\"1\"},\"created\":true}}\n{\"result\":{\"header\":"
		    "{\"revision\":\"1\"},\"events\":[{\"type\":\"DELETE\","
		    "\"kv\":{\"key\":\"eA==\"}}]}}\n";

		stream_head(fd);
		stream_chunk(fd, ev, sizeof(ev) - 1);
		hold(fd);
		close(fd);
		exit(0);
	} else
		return false;
	return true;
}

/*
 * Relay upstream's answer to the client as rule r says: 0 where the
 * client's connection goes on, -1 where it ended.
 */
static int
relay(struct conn *up, int cfd, const struct rule *r)
{
	const char *action = r != NULL ? r->action : "pass";
	long arg = r != NULL ? atol(r->arg) : 0;
	char *head, *got = NULL;
	const char *v;
	size_t len = 0, hlen, sent;
	bool chunked, stream, closing;
	int rc;

	if ((head = read_head(up)) == NULL)
		return -1;
	len = hlen = strlen(head);
	got = head;
	chunked = (v = header(head, "Transfer-Encoding")) != NULL &&
	    strncasecmp(v, "chunked", 7) == 0;
	closing = (v = header(head, "Connection")) != NULL &&
	    strncasecmp(v, "close", 5) == 0;
	/* A chunked answer may never end (a watch): its first chunk only. */
	stream = chunked;
	if (chunked)
		rc = read_chunk(up, &got, &len);
	else if ((v = header(head, "Content-Length")) != NULL)
		rc = read_bytes(up, strtoul(v, NULL, 10), &got, &len);
	else {
		closing = true;
		while (fill(up) > 0)
			;
		rc = read_bytes(up, up->len - up->off, &got, &len);
	}
	if (rc == -1 && len == 0) {
		free(got);
		return -1;
	}
	if (strcmp(action, "drop") == 0) {
		free(got);
		close(cfd);
		return -1;
	}
	if (strcmp(action, "delayreset") == 0) {
		sleep_ms(arg);
		free(got);
		reset_close(cfd);
		return -1;
	}
	if (strcmp(action, "cut") == 0) {
		write_all(cfd, got, hlen + arg < len ? hlen + arg : len);
		free(got);
		close(cfd);
		return -1;
	}
	if (strcmp(action, "delay") == 0)
		sleep_ms(arg);
	sent = len;
	rc = write_all(cfd, got, len) == -1 ? -1 : rc;
	free(got);
	/* The rest of a stream as it comes, chunk by chunk. */
	while (stream && rc == 1) {
		got = NULL;
		len = 0;
		rc = read_chunk(up, &got, &len);
		if (len > 0 && write_all(cfd, got, len) == -1)
			rc = -1;
		sent += len;
		free(got);
	}
	return rc == -1 || closing ? -1 : 0;
}

/* One client connection, request after request. */
static void
serve(int cfd)
{
	struct conn cl = { .fd = cfd }, up = { .fd = -1 };
	const struct rule *r;
	unsigned long number;
	char *head, *body, path[512], *out;
	const char *v, *expect;
	size_t blen, hlen;

	for (;;) {
		if ((head = read_head(&cl)) == NULL)
			break;
		path[0] = '\0';
		sscanf(head, "%*s %511s", path);
		path[strcspn(path, "?")] = '\0';
		body = NULL;
		blen = 0;
		if ((v = header(head, "Content-Length")) != NULL &&
		    read_bytes(&cl, strtoul(v, NULL, 10), &body, &blen) == -1)
			break;
		r = decide(path, &number);
		log_request(number, path, r);
		if (r != NULL && strcmp(r->action, "reset") == 0) {
			reset_close(cfd);
			_exit(0);
		}
		if (r != NULL && strcmp(r->action, "stall") == 0) {
			hold(cfd);
			_exit(0);
		}
		if (r != NULL && fake(cfd, r)) {
			free(head);
			free(body);
			continue;
		}
		if (!have_upstream) {
			answer(cfd, 404, "{}", 2);
			free(head);
			free(body);
			continue;
		}
		/* "Expect: 100-continue" answered here, not forwarded. */
		if ((expect = header(head, "Expect")) != NULL) {
			write_all(cfd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
			hlen = expect - head;
			while (hlen > 0 && head[hlen - 1] != '\n')
				hlen--;
			memmove(head + hlen, strstr(head + hlen, "\r\n") + 2,
			    strlen(strstr(head + hlen, "\r\n") + 2) + 1);
		}
		hlen = strlen(head);
		if ((out = malloc(hlen + blen)) == NULL)
			die("out of memory");
		memcpy(out, head, hlen);
		if (blen > 0)
			memcpy(out + hlen, body, blen);
		free(head);
		free(body);
		if (up.fd == -1 || write_all(up.fd, out, hlen + blen) == -1) {
			if (up.fd != -1)
				close(up.fd);
			up.len = up.off = 0;
			if ((up.fd = connect_upstream()) == -1 ||
			    write_all(up.fd, out, hlen + blen) == -1) {
				free(out);
				break;
			}
		}
		free(out);
		if (relay(&up, cfd, r) == -1)
			_exit(0);
	}
	close(cfd);
	_exit(0);
}

static void
add_rule(const char *text)
{
	if (nargv_rules == MAX_RULES ||
	    parse_rule(text, &argv_rules[nargv_rules]) == -1)
		die("bad rule: %s", text);
	nargv_rules++;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	const char *portfile = NULL;
	char host[256], *colon;
	long lifetime = 120;
	pid_t parent = getppid();
	FILE *fp;
	int ch, lfd, cfd;

	while ((ch = getopt(argc, argv, "e:l:p:r:s:T:u:")) != -1) {
		switch (ch) {
		case 'e':
			add_rule(optarg);
			break;
		case 'l':
			log_file = optarg;
			break;
		case 'p':
			portfile = optarg;
			break;
		case 'r':
			rules_file = optarg;
			break;
		case 's':
			seed = strtoull(optarg, NULL, 10);
			break;
		case 'T':
			lifetime = atol(optarg);
			break;
		case 'u':
			snprintf(host, sizeof(host), "%s", optarg);
			if ((colon = strrchr(host, ':')) == NULL)
				die("-u HOST:PORT");
			*colon = '\0';
			upstream.sin_family = AF_INET;
			upstream.sin_port = htons(atoi(colon + 1));
			if (inet_pton(AF_INET, host, &upstream.sin_addr) != 1)
				die("-u %s: an IPv4 address, please", optarg);
			have_upstream = true;
			break;
		default:
			fprintf(stderr, "usage: fault-proxy [-u HOST:PORT] "
			    "[-r RULES] [-e RULE]... [-s SEED] [-l LOG] "
			    "[-p PORTFILE] [-T SECONDS]\n");
			return 64;
		}
	}
	if ((sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	load_rules();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN);	/* no zombies */
	/* Bounded: it ends after its lifetime, or with its parent. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		return 0;
	alarm(lifetime);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    listen(lfd, 128) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) == -1)
		die("listen: %s", strerror(errno));
	if (portfile != NULL) {
		char tmp[4096];

		/* Written whole or not at all: a test polls for it. */
		snprintf(tmp, sizeof(tmp), "%s.tmp", portfile);
		if ((fp = fopen(tmp, "w")) == NULL)
			die("%s: %s", tmp, strerror(errno));
		fprintf(fp, "%d\n", ntohs(a.sin_port));
		fclose(fp);
		rename(tmp, portfile);
	} else {
		printf("%d\n", ntohs(a.sin_port));
		fflush(stdout);
	}
	for (;;) {
		if ((cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
			continue;
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 },
		    sizeof(int));
		switch (fork()) {
		case -1:
			close(cfd);
			break;
		case 0:
			close(lfd);
			/* A connection's process ends with the proxy. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			serve(cfd);
			break;
		default:
			close(cfd);
		}
	}
}
