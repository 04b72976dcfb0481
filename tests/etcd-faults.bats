#!/usr/bin/env bats
# Objects in etcd across lost, cut, delayed and hostile answers (ipcctl(1),
# Objects across hosts; ipcctl-mq(1), NO MESSAGE IS LOST): each test puts
# the fault proxy (tests/fault-proxy.c) between ipcctl and the file's own
# etcd, or answers ipcctl with a fake server, and states the exact exit
# status and output it expects. Every proxy ends in teardown.

load helpers
load etcd

setup_file() {
	etcd_file single
}

file_setup() {
	skip_if_skipped
	E="etcd:$N"
	KEY="/ipcctl/sem/${N#/}"
	MQ="/ipcctl/mq/${N#/}"
}

# n_keys PREFIX: how many keys begin with PREFIX.
n_keys() {
	ectl get --prefix "$1" --keys-only | grep -c . || true
}

# keys_are N PREFIX: exactly N keys begin with PREFIX.
keys_are() {
	[ "$(n_keys "$2")" -eq "$1" ]
}

# keys_at_least N PREFIX: N keys or more begin with PREFIX (a count that
# grows may pass N between two looks on a slow machine).
keys_at_least() {
	[ "$(n_keys "$2")" -ge "$1" ]
}

# lease_less_keys N: exactly N token keys stand under no lease.
lease_less_keys() {
	[ "$(ectl get --prefix "$KEY/" -w json | jq '[.kvs[]? | select(.lease
	    == null or .lease == 0)] | length')" -eq "$1" ]
}

# token_keys: the semaphore's token keys, one a line.
token_keys() {
	ectl get --prefix "$KEY/" --keys-only | grep -v '^$' || true
}

# ------------------------------------------------------------ mq send

@test "send whose answer is reset after it applied: one message, exit 0" {
	ipcctl mq create "$E"
	proxy_start
	# The send's transaction (after open's) reaches etcd; its answer is
	# held 1.5 s, then the connection reset.
	rules '/v3/kv/txn n=2 delayreset=1500'
	proxied "$IPCCTL" mq send "$E" one >send.out 2>send.err &
	local pid=$!
	bg_track "$pid"
	# In etcd already: a receiver takes it before the sender hears.
	wait_for keys_are 1 "$MQ/"
	run -0 --separate-stderr ipcctl mq receive "$E"
	assert_equal "$output$stderr" "one"
	local rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc:$(cat send.out send.err)" "0:" "send's status:output"
	# Sent once: nothing more to receive.
	run -75 --separate-stderr ipcctl mq receive "$E" -t 0
	assert_diag "ipcctl: mq receive: $E: Resource temporarily unavailable"
}

@test "send whose answer is cut, with one endpoint: sent once, exit 0" {
	ipcctl mq create "$E"
	proxy_start
	rules '/v3/kv/txn n=2 cut=10'
	run -0 --separate-stderr proxied ipcctl mq send "$E" one
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr ipcctl mq receive "$E"
	assert_equal "$output$stderr" "one"
	run -75 --separate-stderr ipcctl mq receive "$E" -t 0
	assert_diag "ipcctl: mq receive: $E: Resource temporarily unavailable"
}

# ------------------------------------------------------ sem acquire, release

@test "acquire whose detach answer is cut once: the retry holds, exit 0" {
	ipcctl sem create "$E"
	proxy_start
	# The key's transaction, then the detach's.
	rules '/v3/kv/txn n=2 cut=10'
	run -0 --separate-stderr proxied ipcctl sem acquire "$E"
	assert_equal "$output$stderr" ""
	run -0 ipcctl sem value "$E"
	assert_equal "$output" 0
	# Held by no process, under no lease: a release returns it.
	assert_equal "$(ectl get "$(token_keys)" -w fields |
	    sed -n 's/^"Lease" : //p')" 0 "the key's lease"
	run -0 ipcctl sem release "$E"
	run -0 ipcctl sem value "$E"
	assert_equal "$output" 1
}

# Tokens of no process are returned oldest first: a release may return
# the token of an acquire whose detach applied but whose answer is still
# on its way; that acquire holds the releaser's token now, and says 0.
@test "acquire whose detached key a release returned before the retry: 0, no token stranded" {
	ipcctl sem create "$E" -v 2
	proxy_start
	# The detach applies; its answer is held 1.5 s, then reset.
	rules '/v3/kv/txn n=2 delayreset=1500'
	proxied "$IPCCTL" sem acquire "$E" >acq.out 2>acq.err &
	local pid=$!
	bg_track "$pid"
	# Detached (under no lease): then a token taken and returned beside
	# it -- the oldest of no process goes, the detached one.
	wait_for lease_less_keys 1
	ipcctl sem acquire "$E"
	ipcctl sem release "$E"
	local rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc:$(cat acq.out acq.err)" "0:" "acquire's status:output"
	run -0 ipcctl sem value "$E"
	assert_equal "$output" 1
	run -0 ipcctl sem release "$E"
	run -0 ipcctl sem value "$E"
	assert_equal "$output" 2
	assert_equal "$(token_keys)" "" "token keys"
}

@test "acquire whose detach answers stay cut: 69, and no token stranded" {
	ipcctl sem create "$E"
	proxy_start
	rules '/v3/kv/txn n=2- cut=10'
	run -69 --separate-stderr proxied ipcctl sem acquire "$E"
	assert_equal "$output" ""
	[[ $stderr == "ipcctl: sem acquire: $E: no etcd endpoint answered ($PROXY_URL): transfer closed with "*" bytes remaining to read" ]] ||
	    fail "stderr: $stderr"
	assert_equal "$(token_keys)" "" "token keys"
	run -0 ipcctl sem value "$E"
	assert_equal "$output" 1
}

@test "release -n 1 whose answer is dropped returns one token, not two" {
	ipcctl sem create "$E" -v 2
	ipcctl sem acquire "$E"
	ipcctl sem acquire "$E"
	proxy_start
	# The read of the keys, then the delete.
	rules '/v3/kv/txn n=2 drop'
	run -0 --separate-stderr proxied ipcctl sem release "$E" -n 1
	assert_equal "$output$stderr" ""
	run -0 ipcctl sem value "$E"
	assert_equal "$output" 1
	assert_equal "$(token_keys | wc -l)" 1 "token keys"
}

# ------------------------------------------------------------- bounded

# fake_sem: a fake server whose answers to a waiter never show its key.
fake_sem() {
	cat >txn.json <<-'EOT'
	{"header":{"revision":"5"},"succeeded":true,"responses":[
	{"response_put":{"header":{"revision":"5"}}},
	{"response_range":{"kvs":[{"key":"eA==","create_revision":"3"}]}},
	{"response_range":{"kvs":[{"key":"eQ==","value":"MQ==","create_revision":"2"}]}},
	{"response_range":{"kvs":[{"key":"eg==","create_revision":"4"}]}}]}
	EOT
	proxy_start -n -e '/v3/kv/txn * body=@txn.json' \
	    -e '* * body={"header":{"revision":"5"},"ID":"1","TTL":"10"}'
}

@test "acquire -t 1 whose key never shows: 75 within the deadline, no spin" {
	fake_sem
	local t0=$(now_ms)
	run -75 --separate-stderr timeout -k 2 10 \
	    env IPCCTL_ETCD_ENDPOINTS="$PROXY_URL" "$IPCCTL" sem acquire "$E" -t 1
	assert_diag "ipcctl: sem acquire: $E: timed out"
	(($(now_ms) - t0 < 3000)) || fail "took $(($(now_ms) - t0)) ms"
	# A pause that grows between tries: a few requests, not thousands.
	(($(wc -l <proxy.log) < 40)) || fail "$(wc -l <proxy.log) requests"
}

@test "run -t 1 whose key never shows: 75 within the deadline" {
	fake_sem
	local t0=$(now_ms)
	run -75 --separate-stderr timeout -k 2 10 \
	    env IPCCTL_ETCD_ENDPOINTS="$PROXY_URL" "$IPCCTL" sem run "$E" -t 1 \
	    -- echo ran
	assert_diag "ipcctl: sem run: $E: timed out"
	(($(now_ms) - t0 < 3000)) || fail "took $(($(now_ms) - t0)) ms"
}

@test "acquire whose key never shows ends on SIGTERM and on SIGINT" {
	fake_sem
	# Ended by the signal, as if killed by it (ipcctl-sem(1)); one that
	# ignored it would be killed 3 s later (137).
	run -143 --separate-stderr timeout --preserve-status -k 3 -s TERM 1 \
	    env IPCCTL_ETCD_ENDPOINTS="$PROXY_URL" "$IPCCTL" sem acquire "$E"
	assert_equal "$output$stderr" ""
	run -130 --separate-stderr timeout --preserve-status -k 3 -s INT 1 \
	    env IPCCTL_ETCD_ENDPOINTS="$PROXY_URL" "$IPCCTL" sem acquire "$E"
	assert_equal "$output$stderr" ""
}

# ------------------------------------------------------------ run's lease

@test "run --lease 3 whose key's answer came 2.2 s late: its lease counts from the grant" {
	ipcctl sem create "$E"
	proxy_start
	# The grant, then the key's transaction: its answer held 2.2 s.
	rules '/v3/kv/txn n=1 delay=2200'
	local t0=$(now_ms)
	run -75 --separate-stderr proxied ipcctl sem run "$E" --lease 3 -- \
	    sh -c 'echo started; sleep 5; echo done'
	# Past half the lease since the grant was sent: lost before COMMAND
	# starts, not 1.5 s after the keeper started, when the lease had
	# ended already.
	assert_equal "$output" ""
	assert_equal "$stderr" "ipcctl: sem run: $E: the token was lost before COMMAND started"
	(($(now_ms) - t0 < 3000)) || fail "took $(($(now_ms) - t0)) ms"
}

# ---------------------------------------------------- answers bounded

# Answers beyond IPCCTL_ETCD_MAX_REQUEST (1.5M) plus a quarter and 64K.
CAP=2031616

@test "an answer of 5000000000 bytes, or one that never ends: 71, memory bounded" {
	local how time=()
	# The peak memory, where GNU time is installed (Debian: time).
	[ -x /usr/bin/time ] && time=(/usr/bin/time -f %M -o rss)
	for how in huge endless; do
		rm -f proxy.port
		proxy_start -n -e "* * $how"
		run -71 --separate-stderr "${time[@]}" \
		    env IPCCTL_ETCD_ENDPOINTS="$PROXY_URL" "$IPCCTL" sem value "$E"
		assert_diag "ipcctl: sem value: $E: etcd answered kv/txn unexpectedly: more than $CAP bytes"
		# Megabytes: the cap and the program (with room for a
		# sanitizer's), not the gigabytes of the whole answer.
		[ ! -s rss ] || (($(tail -n 1 rss) < 200000)) ||
		    fail "$how: $(tail -n 1 rss) KB"
		kill "$PROXY_PID"
	done
}

@test "a watch that streams garbage: 71 at once, no spin" {
	ipcctl sem create "$E"
	ipcctl sem acquire "$E"
	proxy_start -e '/v3/watch * garbage'
	local t0=$(now_ms)
	run -71 --separate-stderr proxied ipcctl sem acquire "$E" -t 5
	assert_diag "ipcctl: sem acquire: $E: etcd answered watch unexpectedly: not a watch's messages"
	(($(now_ms) - t0 < 3000)) || fail "took $(($(now_ms) - t0)) ms"
	# The waiter's key went with its lease.
	assert_equal "$(token_keys | wc -l)" 1 "token keys"
}

@test "a watch that answers an event at once: 71, not a spin of requests" {
	ipcctl sem create "$E"
	ipcctl sem acquire "$E"
	proxy_start -e '/v3/watch * events'
	run -71 --separate-stderr proxied ipcctl sem acquire "$E" -t 3
	assert_diag "ipcctl: sem acquire: $E: etcd answered watch unexpectedly: not a watch's messages"
	run -0 grep -c /v3/watch proxy.log
	assert_equal "$output" 1
}

# ------------------------------------------------- words and statuses

@test "an empty 200 answer is 71, never 66, and never 0 with nothing" {
	proxy_start -n -e '* * body='
	local c path
	for c in "sem create" "sem info" "sem run:lease/grant" "mq send" \
	    "mq receive" "mq notify" "sem unlink:kv/range" "mq unlink:kv/range"; do
		path=kv/txn
		[[ $c == *:* ]] && path=${c#*:} c=${c%:*}
		# shellcheck disable=SC2086 # the verb is two words
		run -71 --separate-stderr proxied ipcctl $c "$E" \
		    $([[ $c == "sem run" ]] && echo -- true)
		assert_diag "ipcctl: $c: $E: etcd answered $path unexpectedly: an empty body"
	done
	run -71 --separate-stderr proxied ipcctl ls etcd:
	assert_diag "ipcctl: ls: etcd:: etcd answered kv/range unexpectedly: an empty body"
	run -71 --separate-stderr proxied ipcctl limits etcd:
	assert_diag "ipcctl: limits: etcd:: etcd answered maintenance/status unexpectedly: an empty body"
}

@test "answers that are not JSON, or JSON of the wrong shape: 71" {
	proxy_start -n
	local body why
	for body in 'not json:not JSON' '{"x":1}:no header' '[1]:no header' \
	    '{"header":"x"}:no header'; do
		why=${body##*:} body=${body%:*}
		rules "* * body=$body"
		run -71 --separate-stderr proxied ipcctl sem value "$E"
		assert_diag "ipcctl: sem value: $E: etcd answered kv/txn unexpectedly: $why"
	done
}

@test "a capacity out of range, written by another client: 65" {
	ectl put "$KEY" 3000000000 >/dev/null
	run -65 --separate-stderr ipcctl sem value "$E"
	assert_diag "ipcctl: sem value: $E: capacity key $KEY holds \"3000000000\": not a capacity from 1 to 2147483647"
	ectl put "$KEY" 0 >/dev/null
	run -65 --separate-stderr ipcctl sem acquire "$E" -t 0
	assert_diag "ipcctl: sem acquire: $E: capacity key $KEY holds \"0\": not a capacity from 1 to 2147483647"
	ectl del "$KEY" >/dev/null
}

@test "no endpoint answers: 69 names each endpoint and its last failure" {
	local p1 p2
	p1=$(free_port) && p2=$(free_port "$p1")
	IPCCTL_ETCD_ENDPOINTS=http://127.0.0.1:$p1,http://127.0.0.1:$p2 \
	    run -69 --separate-stderr ipcctl sem value "$E"
	assert_equal "$output" ""
	# libcurl's words, with the milliseconds each try took.
	[[ $stderr == "ipcctl: sem value: $E: no etcd endpoint answered (http://127.0.0.1:$p1, http://127.0.0.1:$p2): http://127.0.0.1:$p1: Failed to connect to 127.0.0.1 port $p1 after "*" ms: Couldn't connect to server; http://127.0.0.1:$p2: Failed to connect to 127.0.0.1 port $p2 after "*" ms: Couldn't connect to server" ]] ||
	    fail "stderr: $stderr"
}

# -------------------------------------------------------- queue identity

@test "a queue unlinked while a send goes on: 66, and the name made again starts empty" {
	ipcctl mq create "$E" --max-messages 100
	proxy_start
	# Every transaction of the sender held 100 ms: time to unlink.
	rules '/v3/kv/txn * delay=100'
	proxied "$IPCCTL" mq send "$E" $(seq 1 40) >send.out 2>send.err &
	local pid=$! rc=0
	bg_track "$pid"
	wait_for keys_at_least 3 "$MQ/"
	ipcctl mq unlink "$E"
	wait "$pid" || rc=$?
	assert_equal "$rc" 66 "send's status"
	assert_equal "$(cat send.out)" ""
	[[ $(sed -n 1p send.err) == "ipcctl: mq send: $E: "[0-9]*" messages sent before this one" ]] ||
	    fail "stderr: $(cat send.err)"
	assert_equal "$(sed -n 2p send.err)" "ipcctl: mq send: $E: the queue was removed"
	assert_equal "$(n_keys "$MQ")" 0 "keys left under the name"
	ipcctl mq create "$E"
	run -0 --separate-stderr ipcctl mq info "$E" --pairs
	assert_equal "$output" "NAME=\"$E\" MAX_MESSAGES=\"10\" MESSAGE_SIZE=\"8192\" MESSAGES=\"0\""
}

@test "create starts empty: keys left under the name go in its transaction" {
	ectl put "$MQ/32767/stray-0" left >/dev/null
	ectl put "/ipcctl/mqclaim/${N#/}/1/0" claim >/dev/null
	run -0 --separate-stderr ipcctl mq create "$E"
	assert_equal "$output$stderr" ""
	run -75 --separate-stderr ipcctl mq receive "$E" -t 0
	assert_diag "ipcctl: mq receive: $E: Resource temporarily unavailable"
	assert_equal "$(n_keys "$MQ/")" 0 "messages"
	assert_equal "$(n_keys "/ipcctl/mqclaim/${N#/}/")" 0 "claims"
}

@test "a queue unlinked and made again under a waiting receiver: 66" {
	ipcctl mq create "$E"
	# Through the proxy, whose log says when the receiver watches.
	proxy_start
	proxied "$IPCCTL" mq receive "$E" -t 5 >recv.out 2>recv.err &
	local pid=$! rc=0
	bg_track "$pid"
	# The receiver waits in a watch; the queue goes and comes back.
	wait_for grep -qs /v3/watch proxy.log
	ipcctl mq unlink "$E"
	ipcctl mq create "$E"
	ipcctl mq send "$E" new
	wait "$pid" || rc=$?
	assert_equal "$rc:$(cat recv.out recv.err)" "66:ipcctl: mq receive: $E: the queue was removed"
	run -0 ipcctl mq receive "$E" -t 0
	assert_equal "$output" new
}

@test "run whose keeper cannot authenticate: the token is lost at once" {
	# A member of its own with authentication on, behind the proxy.
	local cp pp
	cp=$(free_port) && pp=$(free_port "$cp") || fail "no free port"
	etcd_member auth "http://127.0.0.1:$cp" "http://127.0.0.1:$pp" \
	    "auth=http://127.0.0.1:$pp" new
	export IPCCTL_ETCD_ENDPOINTS=http://127.0.0.1:$cp
	etcd_healthy || fail "the member did not start"
	echo rootpw >pw
	ectl user add root --interactive=false <pw >/dev/null
	ectl user grant-role root root >/dev/null
	ectl auth enable >/dev/null
	export IPCCTL_ETCD_USER=root IPCCTL_ETCD_PASSWORD_FILE=$PWD/pw
	ipcctl sem create "$E"
	proxy_start
	# run's own authentication passes; its keeper's is reset.
	rules '/v3/auth/authenticate n=2 reset'
	local t0=$(now_ms)
	run -75 --separate-stderr proxied ipcctl sem run "$E" -- \
	    sh -c 'echo started; sleep 5; echo done'
	# Lost from the keeper's first failure: COMMAND never starts.
	assert_equal "$output" ""
	assert_equal "${stderr_lines[0]}" "ipcctl: sem run: etcd lease keeper: no etcd endpoint answered ($PROXY_URL): Recv failure: Connection reset by peer"
	assert_equal "${stderr_lines[1]}" "ipcctl: sem run: $E: the token was lost before COMMAND started"
	(($(now_ms) - t0 < 3000)) || fail "took $(($(now_ms) - t0)) ms"
	etcd_stop auth
}

# ------------------------------------------------------------- unlink

@test "unlink whose answer is dropped after it applied: exit 0, all gone" {
	ipcctl sem create "$E"
	ipcctl mq create "$E"
	proxy_start
	local verb
	for verb in sem mq; do
		# The first removal's answer lost: the client asks again.
		rules '/v3/kv/txn n=1 drop' '/v3/kv/deleterange n=1 drop'
		: >proxy.log
		run -0 --separate-stderr proxied ipcctl "$verb" unlink "$E"
		assert_equal "$output$stderr" "" "$verb unlink's output"
		grep -q ' drop$' proxy.log || fail "$verb: no answer dropped"
	done
	assert_equal "$(n_keys "$KEY")$(n_keys "$MQ")" 00 "keys left"
}
