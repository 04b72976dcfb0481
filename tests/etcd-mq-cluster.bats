#!/usr/bin/env bats
# Message queues in a three-member etcd cluster (ipcctl(1), Objects across
# hosts; ipcctl-mq(1), NO MESSAGE IS LOST): every message delivered once
# while the leader is killed and started again, and a receiver that keeps
# following across the change. The file starts its own members on free
# loopback ports and stops them after its last test.

load helpers
load etcd

# Thousands of messages, and an election or two.
BATS_TEST_TIMEOUT=180

setup_file() {
	etcd_file cluster
}

file_setup() {
	skip_if_skipped
	Q="etcd:$N"
}

# messages_left: the messages the queue holds ("" while out of reach).
messages_left() {
	"$IPCCTL" mq info "$Q" --json 2>/dev/null |
	    jq -r '.queues[0].messages'
}

# claims_left: the claims of messages taken and not yet acknowledged.
claims_left() {
	ectl get --prefix "/ipcctl/mqclaim/${N#/}/" --keys-only | grep -c .
}

# drain I: receive from the queue, 10 messages a process, into out.I,
# until a receive found nothing for 5 s, the queue is empty and no claim
# is left; a receive cut short (an election outlasting a request: 69) is
# noted and started again, and its claims, once its lease has ended, go
# back on the queue at a later receive (ipcctl-mq(1), NO MESSAGE IS
# LOST).
drain() {
	local st
	while :; do
		st=0
		"$IPCCTL" mq receive "$Q" -n 10 -t 5 >>"out.$1" 2>>errors ||
		    st=$?
		((st == 0)) && continue
		((st == 75)) && [ "$(messages_left)" = 0 ] &&
		    [ "$(claims_left)" = 0 ] && break
		((st == 75)) || echo "receiver $1: $st: $(tail -n 1 errors)" \
		    >>failures
	done
}

@test "3000 messages, 2 receivers, the leader killed and started again: each once" {
	local pids=() i
	"$IPCCTL" mq create "$Q" --max-messages 100000
	seq 3000 | "$IPCCTL" mq send "$Q" --lines
	for i in 1 2; do
		drain "$i" &
		pids+=($!)
		bg_track "$!"
	done
	sleep 1
	cat out.* | wc -l >killed.after
	kill_leader 0
	for i in "${pids[@]}"; do
		wait "$i"
	done
	[ -s killed ] || fail "no leader was killed"
	echo "# leader $(cat killed) killed after $(cat killed.after) of 3000 messages; receives cut short and started again: $(cat failures 2>/dev/null | wc -l)" >&3
	[ ! -s failures ] || sed 's/^/# /' failures >&3
	assert_equal "$(cat out.1 out.2 | wc -l)" 3000 "messages received"
	assert_equal "$(sort -n out.1 out.2 | uniq -d | head -5)" "" "duplicates"
	assert_equal "$(sort -n out.1 out.2)" "$(seq 3000)" "the messages"
	assert_equal "$(claims_left)" 0 "claims left"
	"$IPCCTL" mq unlink "$Q"
	etcd_healthy || fail "the cluster did not recover"
}

# send_until FIRST LAST: those numbers, one message each, each sent again
# until it is sent (an election: 69); a send is one transaction that makes
# its key once, whatever answers were lost.
send_until() {
	local i
	for ((i = $1; i <= $2; i++)); do
		until "$IPCCTL" mq send "$Q" "$i" 2>>errors; do
			sleep 0.2
		done
	done
}

@test "receive --follow keeps following while the leader is killed and started again" {
	local l pid st=0
	"$IPCCTL" mq create "$Q" --max-messages 1000
	"$IPCCTL" mq receive "$Q" --follow >out 2>err 3>&- &
	pid=$!
	bg_track "$pid"
	seq 100 | "$IPCCTL" mq send "$Q" --lines
	wait_secs 20 eval '[ "$(wc -l <out)" -eq 100 ]'

	l=$(leader)
	[ -n "$l" ] || fail "no leader found"
	etcd_stop "$l" KILL
	send_until 101 200
	restart "$l"
	send_until 201 300
	wait_secs 30 eval '[ "$(wc -l <out)" -eq 300 ]'
	kill -0 "$pid" || fail "receive ended: $(cat err)"
	kill -TERM "$pid"
	wait "$pid" || st=$?
	assert_equal "$st" 143 "receive's status (dies by SIGTERM)"
	assert_equal "$(cat err)" ""
	# One sender: its messages in the order sent, each once.
	assert_equal "$(cat out)" "$(seq 300)"
	"$IPCCTL" mq unlink "$Q"
}
