#!/usr/bin/env bats
# Message queues kept in etcd: names written "etcd:NAME" (ipcctl(1),
# Objects across hosts; ipcctl-mq(1) for the verbs, which behave as on a
# local queue). The file starts an etcd of its own on two free loopback
# ports and stops it after its last test. Every test states the exact
# exit status and the exact output.

load helpers
load etcd
load mq-contract

# Thousands of messages go through the cluster in the last tests.
BATS_TEST_TIMEOUT=120

# ------------------------------------------------------------ the server

setup_file() {
	etcd_file single
}

# ----------------------------------------------------------------- helpers

# The etcd name of the test's own queue, and its keys (IPCCTL_ETCD_PREFIX,
# then "mq/" or "mqclaim/", then NAME without its slash): SIZES holds its
# sizes, MSGS/ its messages, CLAIMS/ the messages taken and not yet
# written out.
file_setup() {
	skip_if_skipped
	Q="etcd:$N"
	SIZES="/ipcctl/mq/${N#/}"
	MSGS="/ipcctl/mq/${N#/}/"
	CLAIMS="/ipcctl/mqclaim/${N#/}/"
}

# keys PREFIX: the keys under PREFIX, one a line, in key order.
keys() {
	ectl get --prefix "$1" --keys-only | grep -v '^$'
}

# no_claims: no claim of the test's queue is left.
no_claims() {
	[ -z "$(keys "$CLAIMS")" ]
}

# assert_no_claims
assert_no_claims() {
	assert_equal "$(keys "$CLAIMS")" "" "claims left"
}

# messages_are NAME COUNT: for wait_for.
messages_are() {
	[ "$(messages "$1")" = "$2" ]
}

# watchers: the watches the cluster serves now (its metrics): a receive,
# a send or a notify that waits does so in a watch.
watchers() {
	local hp=${IPCCTL_ETCD_ENDPOINTS#http://} fd n
	hp=${hp%%,*}
	exec {fd}<>"/dev/tcp/${hp%:*}/${hp##*:}" || return 1
	printf 'GET /metrics HTTP/1.0\r\n\r\n' >&"$fd"
	n=$(sed -n 's/^etcd_debugging_mvcc_watcher_total //p' <&"$fd")
	exec {fd}>&-
	printf '%s\n' "${n:-0}"
}

# watching_more BASE: more watches than BASE are served.
watching_more() {
	[ "$(watchers)" -gt "$1" ]
}

# wait_watching PID BASE: PID still runs, and waits in a watch.
wait_watching() {
	wait_for watching_more "$2"
	! gone "$1" || fail "process $1 ended: $(cat err 2>/dev/null)"
}

# The hooks of mq-contract.bash, whose tests run here on a queue in
# etcd (Q, which a test may point at another queue): no claim of Q is
# left; a waiter waits in a watch.
mq_settled() {
	assert_equal "$(keys "/ipcctl/mqclaim/${Q#etcd:/}/")" "" "claims left"
}
mq_holding() {
	[ -n "$(keys "/ipcctl/mqclaim/${Q#etcd:/}/")" ] ||
	    fail "no claim while the write blocks"
}
wait_mark() {
	WATCH_BASE=$(watchers)
}
wait_waiting() {
	wait_watching "$1" "$WATCH_BASE"
}

# whole_lines FILE...: the lines of each FILE that end with a newline
# (a receiver killed in a write may leave a last line cut short).
whole_lines() {
	local f
	for f in "$@"; do
		head -n "$(wc -l <"$f")" "$f"
	done
}

# ---------------------------------------------------------------- create

# ipcctl-mq(1), create; ipcctl(1), Objects across hosts: the sizes are one
# key; an existing queue is left as it is; -x makes that exit 73.
@test "create: the sizes at mq/NAME, 10 and 8192 by default; existing: kept; -x: 73" {
	run -0 --separate-stderr ipcctl mq create "$Q"
	assert_equal "$output$stderr" ""
	assert_equal "$(ectl get "$SIZES" --print-value-only)" \
	    "max_messages=10 message_size=8192" "sizes key"
	assert_equal "$(keys "$SIZES")" "$SIZES" "keys of the queue"

	run -0 --separate-stderr ipcctl mq create "$Q" --max-messages 3 \
	    --message-size 100
	assert_equal "$output$stderr" ""
	assert_equal "$(ectl get "$SIZES" --print-value-only)" \
	    "max_messages=10 message_size=8192" "sizes key"
	run -73 --separate-stderr ipcctl mq create "$Q" -x --max-messages 3
	assert_diag "ipcctl: mq create: $Q: File exists"
	assert_equal "$(ectl get "$SIZES" --print-value-only)" \
	    "max_messages=10 message_size=8192" "sizes key"

	# NAME with or without its slash; one alone of the sizes given.
	local s
	s="etcd:$(name s)"
	run -0 --separate-stderr ipcctl mq create "etcd:${PREFIX}s" -x \
	    --message-size 1K
	assert_equal "$output$stderr" ""
	assert_equal "$(ectl get "/ipcctl/mq/${PREFIX}s" --print-value-only)" \
	    "max_messages=10 message_size=1024" "sizes key"
	run -0 --separate-stderr ipcctl mq info "$s" -r
	assert_equal "${lines[1]}" "$s 10 1024 0"
	run -0 --separate-stderr ipcctl mq create "etcd:$(name m)" \
	    --max-messages 3
	assert_equal "$(ectl get "/ipcctl/mq/${PREFIX}m" --print-value-only)" \
	    "max_messages=3 message_size=8192" "sizes key"
}

# ipcctl(1), Objects across hosts: -m on an etcd name is a usage error.
@test "create -m with an etcd name: usage error 64, nothing created" {
	run -64 --separate-stderr ipcctl mq create "$Q" -m 0600
	assert_usage_error \
	    "ipcctl: mq create: $Q: -m: in etcd, its roles govern access" \
	    mq create
	assert_equal "$(keys "$SIZES")" "" "keys made"
	run -64 --separate-stderr ipcctl mq send "$Q" -c -m 0600 x
	assert_usage_error \
	    "ipcctl: mq send: $Q: -m: in etcd, its roles govern access" \
	    mq send
	assert_equal "$(keys "$SIZES")" "" "keys made"
	run -66 --separate-stderr ipcctl mq info "$Q"
	assert_diag "ipcctl: mq info: $Q: No such file or directory"
}

# ipcctl-mq(1), create and LIMITS: a size above what the cluster takes is
# 71, the limit named; a message must fit in a request, base64.
@test "create: a message size above the cluster's largest is exit 71" {
	# (1536K - 2048) / 4 * 3
	run -0 --separate-stderr ipcctl mq create "$Q" --message-size 1178112
	assert_equal "$output$stderr" ""
	local big
	big="etcd:$(name big)"
	run -71 --separate-stderr ipcctl mq create "$big" --message-size 1178113
	assert_diag "ipcctl: mq create: $big: message size 1178113: more than the cluster's largest, 1178112 (see limits etcd:)"
	run -71 --separate-stderr ipcctl mq send "$big" -c --message-size 2M x
	assert_diag "ipcctl: mq send: $big: message size 2097152: more than the cluster's largest, 1178112 (see limits etcd:)"
	# (100K - 2048) / 4 * 3
	IPCCTL_ETCD_MAX_REQUEST=100K \
	    run -71 --separate-stderr ipcctl mq create "$big" --message-size 100K
	assert_diag "ipcctl: mq create: $big: message size 102400: more than the cluster's largest, 75264 (see limits etcd:)"
	run -66 --separate-stderr ipcctl mq info "$big"
	assert_diag "ipcctl: mq info: $big: No such file or directory"
	assert_equal "$(keys "/ipcctl/mq/${PREFIX}big")" "" "keys made"
}

# ------------------------------------------------------ info, procs, 66

# ipcctl-mq(1), info; ipcctl(1), Objects across hosts: no file stands for
# the queue, so no MODE, OWNER or GROUP.
@test "info: NAME, MAX_MESSAGES, MESSAGE_SIZE, MESSAGES; --json, -r, --pairs" {
	ipcctl mq create "$Q"
	run -0 --separate-stderr ipcctl mq info "$Q"
	assert_equal "$stderr" ""
	assert_equal "$output" "$(mq_info_table "$Q" 10 8K 0)"
	run -0 --separate-stderr ipcctl mq info "$Q" -b
	assert_equal "$output" "$(mq_info_table "$Q" 10 8192 0)"
	run -0 --separate-stderr ipcctl mq info "$Q" --json
	assert_equal "$stderr" ""
	assert_equal "$output" "$(printf '{\n   "queues": [\n      {\n         "name": "%s",\n         "max_messages": 10,\n         "message_size": 8192,\n         "messages": 0\n      }\n   ]\n}' "$Q")"
	if command -v jq >/dev/null 2>&1; then
		assert_equal "$(jq -c . <<<"$output")" \
		    "{\"queues\":[{\"name\":\"$Q\",\"max_messages\":10,\"message_size\":8192,\"messages\":0}]}"
	fi

	ipcctl mq send "$Q" a b
	ipcctl mq send "$Q" -p 4 c
	run -0 --separate-stderr ipcctl mq info "$Q" -r
	assert_equal "$stderr" ""
	assert_equal "$output" \
	    "NAME MAX_MESSAGES MESSAGE_SIZE MESSAGES"$'\n'"$Q 10 8192 3"
	run -0 --separate-stderr ipcctl mq info "$Q" --pairs
	assert_equal "$stderr" ""
	assert_equal "$output" \
	    "NAME=\"$Q\" MAX_MESSAGES=\"10\" MESSAGE_SIZE=\"8192\" MESSAGES=\"3\""
	local NAME MAX_MESSAGES MESSAGE_SIZE MESSAGES
	eval "$output"
	assert_equal "$NAME:$MAX_MESSAGES:$MESSAGE_SIZE:$MESSAGES" "$Q:10:8192:3"
	run -0 --separate-stderr ipcctl mq info "$Q"
	assert_equal "$output" "$(mq_info_table "$Q" 10 8K 3)"
}

# ipcctl(1), Objects across hosts: processes are a host's.
@test "procs with an etcd name: exit 69, processes are per host" {
	ipcctl mq create "$Q"
	run -69 --separate-stderr ipcctl mq procs "$Q"
	assert_diag "ipcctl: mq procs: $Q: processes are per host"
	run -69 --separate-stderr ipcctl mq procs "$Q" --json
	assert_diag "ipcctl: mq procs: $Q: processes are per host"
}

# ipcctl-mq(1), EXIT STATUS: 66, no such queue.
@test "a missing queue: exit 66 for send, receive, info, notify, unlink" {
	mq_missing
	assert_equal "$(keys "$SIZES")" "" "keys made"
}

# ---------------------------------------------------------- send, receive

# ipcctl(1), Objects across hosts: one key per message under mq/NAME/,
# "<32767 - priority, 5 digits>/<sender>-<n>"; ipcctl-mq(1), receive:
# -P, --json, -0.
@test "send: one key per message, named by its priority; receive -P, --json, -0" {
	ipcctl mq create "$Q"
	run -0 --separate-stderr ipcctl mq send "$Q" -p 3 hi
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr ipcctl mq send "$Q" one two
	assert_equal "$output$stderr" ""
	run -0 keys "$MSGS"
	assert_equal "${#lines[@]}" 3 "message keys ($output)"
	[[ ${lines[0]} =~ ^"$MSGS"32764/[0-9a-f]+-[0-9a-f]+$ ]] ||
	    fail "key of a message of priority 3: ${lines[0]}"
	[[ ${lines[1]} =~ ^"$MSGS"32767/([0-9a-f]+)-[0-9a-f]+$ ]] ||
	    fail "key of a message of priority 0: ${lines[1]}"
	local sender=${BASH_REMATCH[1]}
	# One send, one sender: its two keys differ by their count only.
	[[ ${lines[2]} == "$MSGS"32767/"$sender"-* ]] ||
	    fail "not the same sender: ${lines[1]} ${lines[2]}"
	assert_equal "$(ectl get "${lines[0]}" --print-value-only)" hi "value"
	assert_messages "$Q" 3

	run -0 --separate-stderr ipcctl mq receive "$Q" -n 3 -P
	assert_equal "$output" $'3\thi\n0\tone\n0\ttwo'
	assert_equal "$stderr" ""
	assert_equal "$(keys "$MSGS")" "" "message keys"
	assert_no_claims

	ipcctl mq send "$Q" -p 2 'disk full'
	printf '\377\001' | ipcctl mq send "$Q"
	run -0 --separate-stderr ipcctl mq receive "$Q" -n 2 --json
	assert_equal "$output" '{"priority":2,"size":9,"data":"disk full"}
{"priority":0,"size":2,"data_base64":"/wE="}'
	assert_equal "$stderr" ""

	printf 'a\nb\0\0\377x' | ipcctl mq send "$Q" -0
	assert_messages "$Q" 3
	ipcctl mq receive "$Q" -n 3 -0 >out
	assert_equal "$(od -An -c out | tr -s ' ')" \
	    ' a \n b \0 \0 377 x \0'
	ipcctl mq send "$Q" x
	run -0 --separate-stderr ipcctl mq receive "$Q" --json
	assert_equal "$output" '{"priority":0,"size":1,"data":"x"}'
	assert_messages "$Q" 0
}

# ipcctl-mq(1), send: every message is checked against the message size
# before the first is sent: too long is 65, nothing sent, and nothing
# waited for, even on a full queue.
@test "send: a message longer than the message size is exit 65 at once, nothing sent" {
	mq_send_too_long
	assert_equal "$(keys "$MSGS")" "" "message keys"
}

# ipcctl-mq(1), send: a full queue with -t 0 is 75; the messages that
# fitted were sent, and stderr says how many.
@test "send -t 0 and -t 0.3 on a full queue: exit 75" {
	mq_send_full_timeout
}

# ipcctl-mq(1), send: when the queue is full, send waits for room.
@test "send waits on a full queue until a receive makes room" {
	mq_send_waits
}

# ipcctl-mq(1), receive: an empty queue with -t 0 is 75; what was
# received before is written first.
@test "receive on an empty queue: -t 0 and -t 0.3 exit 75; -n 3 with 2 writes them" {
	mq_receive_empty_timeout
	Q="etcd:$(name fewer)"
	mq_receive_fewer
}

# ipcctl-mq(1), receive: while the queue is empty, receive waits.
@test "receive waits until a message arrives" {
	mq_receive_waits
}

# ipcctl-mq(1), receive --follow and NO MESSAGE IS LOST: SIGTERM ends it
# once every message taken is written.
@test "receive -f ended by SIGTERM: every message taken was written, exit 143" {
	mq_follow_term 300 50 2
}

# ipcctl-mq(1), NO MESSAGE IS LOST: a signal that interrupts a write
# waiting for a slow reader lets the messages not yet written be put
# back; receive then ends by that signal, 128 plus its number.
@test "receive -f ended by SIGTERM in a write to a slow reader: 143, the rest put back" {
	mq_slow_reader_signal TERM 143
}

# ipcctl-mq(1), DESCRIPTION: highest priority first, and in the order
# they were sent within one priority; ipcctl(1), Objects across hosts:
# across all senders (each names its keys by a random id of its own).
@test "order: higher priority first, then the order of sending across senders" {
	ipcctl mq create "$Q" --max-messages 100
	mkfifo fa fb
	# two senders that stay, one per priority, fed a line at a time
	"$IPCCTL" mq send "$Q" --lines <fa >a.out 2>a.err 3>&- &
	local pa=$! pb wa wb i n=0 st
	bg_track "$pa"
	"$IPCCTL" mq send "$Q" -p 2 --lines <fb >b.out 2>b.err 3>&- &
	pb=$!
	bg_track "$pb"
	exec {wa}>fa {wb}>fb
	# put SENDER MESSAGE: send it, and wait until it is on the queue.
	put() {
		case $1 in
		A)	printf '%s\n' "$2" >&"$wa" ;;
		B)	printf '%s\n' "$2" >&"$wb" ;;
		0)	"$IPCCTL" mq send "$Q" "$2" ;;
		2)	"$IPCCTL" mq send "$Q" -p 2 "$2" ;;
		esac
		n=$((n + 1))
		wait_for messages_are "$Q" "$n"
	}
	for i in 1 2 3; do
		put A "a$i"
		put 2 "x$i"
		put 0 "c$i"
		put B "b$i"
		put 0 "d$i"
		put 2 "y$i"
	done
	exec {wa}>&- {wb}>&-
	for i in "$pa" "$pb"; do
		st=0
		wait "$i" || st=$?
		assert_equal "$st" 0 "a sender's status"
	done
	assert_equal "$(cat a.out a.err b.out b.err)" ""
	run -0 --separate-stderr ipcctl mq receive "$Q" -n 18 -P
	assert_equal "$stderr" ""
	assert_equal "$output" "2	x1
2	b1
2	y1
2	x2
2	b2
2	y2
2	x3
2	b3
2	y3
0	a1
0	c1
0	d1
0	a2
0	c2
0	d2
0	a3
0	c3
0	d3"
	assert_messages "$Q" 0
}

# ---------------------------------------------------------------- notify

# ipcctl-mq(1), notify: waits, taking nothing, until the queue holds a
# message, then runs COMMAND or exits 0.
@test "notify: at once on a message, taking nothing; waits for one; -t 0: 75" {
	mq_notify_timeout
	Q="etcd:$(name command)"
	mq_notify_command
}

# ---------------------------------------------------------------- unlink

# ipcctl-mq(1), unlink; ipcctl(1), Objects across hosts: the sizes, the
# messages and the claims go; a missing one is 66, the others removed.
@test "unlink: the sizes, the messages and the claims go; a missing one: 66" {
	ipcctl mq create "$Q"
	ipcctl mq send "$Q" m1 m2
	ipcctl mq send "$Q" -p 1 m3
	printf '%s32767/ffff-0000000000000000\0held' "$MSGS" |
	    ectl put "${CLAIMS}1234abcd/0000000000000000" >/dev/null
	local other
	other="etcd:$(name other)"
	ipcctl mq create "$other"
	[ "$(keys "$SIZES" | wc -l)" -eq 4 ] || fail "keys: $(keys "$SIZES")"
	run -66 --separate-stderr ipcctl mq unlink "$Q" "etcd:$(name missing)" \
	    "$other"
	assert_diag "ipcctl: mq unlink: etcd:/${PREFIX}missing: No such file or directory"
	assert_equal "$(keys "$SIZES")" "" "keys of the queue"
	assert_no_claims
	assert_equal "$(keys "/ipcctl/mq/${PREFIX}other")" "" "keys of the other"
	run -66 --separate-stderr ipcctl mq info "$Q"
	assert_diag "ipcctl: mq info: $Q: No such file or directory"
	run -66 --separate-stderr ipcctl mq unlink "$Q"
	assert_diag "ipcctl: mq unlink: $Q: No such file or directory"
	# made again, it is a new one: empty
	ipcctl mq create "$Q"
	assert_messages "$Q" 0
	run -75 --separate-stderr ipcctl mq receive "$Q" -t 0
	assert_diag "ipcctl: mq receive: $Q: Resource temporarily unavailable"
}

# ------------------------------------------------- no message is lost

# ipcctl-mq(1), NO MESSAGE IS LOST: the messages not written go back, to
# the end of their priority's line.
@test "receive >/dev/full: exit 74, the messages back at the end of their priority" {
	mq_put_back_order
	Q="etcd:$(name several)"
	mq_receive_dev_full
}

# ipcctl-mq(1), NO MESSAGE IS LOST: a closed stdout, or a pipe nobody
# reads, is 74 before anything is taken.
@test "receive with stdout closed or its pipe unread: exit 74, nothing taken" {
	mq_stdout_closed
	Q="etcd:$(name pipe)"
	mq_reader_gone_before
}

# ipcctl(1), Objects across hosts: the messages taken are claims, at
# mqclaim/NAME/<receiver's lease, hex>/<n>, the message's key, a NUL, its
# bytes, until written out; ipcctl-mq(1), NO MESSAGE IS LOST: the reader
# gone, those not written go back.
@test "claims while a write blocks; the reader gone: the rest put back, exit 74" {
	ipcctl mq create "$Q" --message-size 40000
	local i pid reader st=0 lease
	for i in 1 2 3; do
		head -c 30000 /dev/zero | tr '\0' "$i" >"m$i"
		ipcctl mq send "$Q" <"m$i"
	done
	mkfifo fifo
	sleep 60 <fifo 3>&- &
	reader=$!
	bg_track "$reader"
	# 90003 bytes into a pipe that holds 65536 and is never read
	"$IPCCTL" mq receive "$Q" -n 3 >fifo 2>err 3>&- &
	pid=$!
	bg_track "$pid"
	wait_for eval '[ "$(keys "$CLAIMS" | wc -l)" -eq 3 ]'
	assert_equal "$(keys "$MSGS")" "" "message keys"
	assert_messages "$Q" 0
	run -0 keys "$CLAIMS"
	[[ ${lines[0]} =~ ^"$CLAIMS"([0-9a-f]+)/0*0$ ]] ||
	    fail "claim key: ${lines[0]}"
	lease=${BASH_REMATCH[1]}
	[[ ${lines[1]} == "$CLAIMS$lease"/*1 && ${lines[2]} == "$CLAIMS$lease"/*2 ]] ||
	    fail "claim keys: $output"
	# (etcdctl writes lease ids zero-padded to 16 digits)
	ectl lease list | grep -qxE "0*$lease" ||
	    fail "no lease $lease: $(ectl lease list)"
	# the value: the message's key, a NUL, the message
	ectl get "${lines[2]}" --print-value-only >claim
	[[ $(tr '\0' '\n' <claim | head -n 1) =~ ^"$MSGS"32767/[0-9a-f]+-[0-9a-f]+$ ]] ||
	    fail "claim value: $(head -c 100 claim)"
	tr '\0' '\n' <claim | sed -n 2p | head -c 30000 | cmp - m3

	kill "$reader"
	wait "$pid" || st=$?
	assert_equal "$st" 74 "receive's status"
	assert_equal "$(cat err)" "ipcctl: mq receive: stdout: Broken pipe (the messages not written were put back)"
	assert_no_claims
	# the two the pipe took count as delivered; the third is back whole
	assert_messages "$Q" 1
	ipcctl mq receive "$Q" -t 0 >got
	head -c 30000 got | cmp - m3
}

# ipcctl(1), Objects across hosts: claims whose receiver's lease has ended
# are put back on the queue by the next receive.
@test "a claim of a receiver whose lease is gone: the next receive delivers it" {
	ipcctl mq create "$Q"
	ipcctl mq send "$Q" first
	# a claim of lease 1234abcd, which was never granted
	printf '%s32767/ffff-0000000000000000\0lost' "$MSGS" |
	    ectl put "${CLAIMS}1234abcd/0000000000000000" >/dev/null
	assert_equal "$(keys "$CLAIMS")" "${CLAIMS}1234abcd/0000000000000000"
	assert_messages "$Q" 1
	run -0 --separate-stderr ipcctl mq receive "$Q" -n 2 -t 5
	assert_equal "$output" $'first\nlost'
	assert_equal "$stderr" ""
	assert_no_claims
	assert_messages "$Q" 0

	# on an empty queue, a receive that waits gets it too
	printf '%s32767/ffff-0000000000000001\0lost too' "$MSGS" |
	    ectl put "${CLAIMS}1234abcd/0000000000000001" >/dev/null
	run -0 --separate-stderr ipcctl mq receive "$Q" -t 5
	assert_equal "$output" "lost too"
	assert_equal "$stderr" ""
	assert_no_claims
	assert_messages "$Q" 0
}

# ipcctl-mq(1), receive: -t 0 is 75 only where the queue is empty; the
# message a receive itself put back from a dead receiver's claim is there.
@test "receive -t 0 with only a dead receiver's claim: delivers it, not 75" {
	ipcctl mq create "$Q"
	printf '%s32767/ffff-0000000000000000\0lost' "$MSGS" |
	    ectl put "${CLAIMS}1234abcd/0000000000000000" >/dev/null
	run -0 --separate-stderr ipcctl mq receive "$Q" -t 0
	assert_equal "$output" lost
	assert_equal "$stderr" ""
	assert_no_claims
	assert_messages "$Q" 0
}

# ------------------------------------------------------- several at once

# ipcctl(1), Objects across hosts: taking is one transaction per batch;
# every message is delivered once.
@test "3 receivers in parallel: 3000 messages, each exactly once" {
	local i pids=() st
	ipcctl mq create "$Q" --max-messages 100000
	seq 3000 | ipcctl mq send "$Q" --lines
	assert_messages "$Q" 3000
	for i in 1 2 3; do
		"$IPCCTL" mq receive "$Q" -n 1000 -t 20 >"out$i" 2>"err$i" 3>&- &
		pids+=($!)
		bg_track "$!"
	done
	for i in 1 2 3; do
		st=0
		wait "${pids[i - 1]}" || st=$?
		assert_equal "$st" 0 "receiver $i's status ($(cat "err$i"))"
		assert_equal "$(cat "err$i")" "" "receiver $i's stderr"
		assert_equal "$(wc -l <"out$i")" 1000 "lines of receiver $i"
	done
	assert_equal "$(cat out1 out2 out3 | sort -n | uniq -d)" "" "duplicates"
	assert_equal "$(cat out1 out2 out3 | wc -l)" 3000 "messages received"
	cat out1 out2 out3 | sort -n | cmp - <(seq 3000)
	assert_messages "$Q" 0
	assert_equal "$(keys "$MSGS")" "" "message keys"
	assert_no_claims
}

# ipcctl-mq(1), NO MESSAGE IS LOST: only SIGKILL can lose a message taken
# and not written; ipcctl(1), Objects across hosts: in etcd its claim
# stays, and goes back once its receiver's lease has ended. Duplicates
# are only messages written and not acknowledged, at most a batch (64)
# per kill.
@test "receivers killed by SIGKILL at random: no message lost, few twice" {
	local total=2000 i k kills=0 spid st gen=0 dups left
	local -a rpid
	ipcctl mq create "$Q" --max-messages 100000
	seq "$total" >all
	"$IPCCTL" mq send "$Q" --lines <all >send.out 2>send.err 3>&- &
	spid=$!
	bg_track "$spid"
	# start I: receiver I again, into a file of its own
	start() {
		gen=$((gen + 1))
		"$IPCCTL" mq receive "$Q" -f >"out.$gen" 2>"err.$gen" 3>&- &
		rpid[$1]=$!
		bg_track "$!"
	}
	for i in 0 1 2; do
		start "$i"
	done
	# while the sender runs, and a few kills at least
	while ! gone "$spid" || ((kills < 8)); do
		sleep "0.$((RANDOM % 3 + 1))$((RANDOM % 10))"
		i=$((RANDOM % 3))
		kill -KILL "${rpid[i]}"
		st=0
		wait "${rpid[i]}" || st=$?
		assert_equal "$st" 137 "a killed receiver's status"
		kills=$((kills + 1))
		start "$i"
		((kills < 100)) || break
	done
	st=0
	wait "$spid" || st=$?
	assert_equal "$st" 0 "send's status"
	assert_equal "$(cat send.out send.err)" ""
	wait_secs 20 messages_are "$Q" 0
	for i in 0 1 2; do
		kill -TERM "${rpid[i]}"
		st=0
		wait "${rpid[i]}" || st=$?
		assert_equal "$st" 143 "a receiver's status"
	done
	# The claims of the killed go back once their leases end (10 s),
	# taken by a receive that starts after.
	left=$(keys "$CLAIMS" | wc -l)
	k=0
	while ! no_claims || ! messages_are "$Q" 0; do
		((k++ < 100)) || fail "claims left: $(keys "$CLAIMS")" || return 1
		gen=$((gen + 1))
		"$IPCCTL" mq receive "$Q" -f -t 0 >"out.$gen" 2>"err.$gen" ||
		    true
		sleep 0.3
	done
	for ((i = 1; i <= gen; i++)); do
		[ ! -s "err.$i" ] ||
		    [ "$(cat "err.$i")" = "ipcctl: mq receive: $Q: Resource temporarily unavailable" ] ||
		    fail "receiver $i said: $(cat "err.$i")"
	done
	whole_lines out.* >got
	sort -n -u got | cmp - all
	dups=$(($(wc -l <got) - total))
	echo "# $kills kills, $left claims left by them, $gen receives," \
	    "$dups messages received twice" >&3
	((dups <= kills * 64)) || fail "$dups duplicates for $kills kills"
	assert_messages "$Q" 0
	assert_equal "$(keys "$MSGS")" "" "message keys"
}

# ipcctl-mq(1), create: a size not given is the backend's default, never
# this host's: in an IPC namespace whose msgsize_default is 1024, a queue
# in etcd still gets 8192 (and a local one 1024).
@test "create: a size not given is the backend's default, not this host's" {
	unshare -i true 2>/dev/null ||
	    skip "unshare -i (an IPC namespace) needs privileges"
	local ns
	printf -v ns 'echo 1024 >/proc/sys/fs/mqueue/msgsize_default && %q mq create %q --max-messages 5 && %q mq info %q -r && %q mq create %q --max-messages 5 && %q mq info %q -r && %q mq unlink %q' \
	    "$IPCCTL" "$Q" "$IPCCTL" "$Q" "$IPCCTL" "$N" "$IPCCTL" "$N" \
	    "$IPCCTL" "$N"
	run -0 --separate-stderr unshare -i sh -c "$ns"
	assert_equal "$stderr" ""
	assert_equal "${lines[1]}" "$Q 5 8192 0"
	assert_equal "${lines[3]}" "$N 0600 root root 5 1024 0"
}
