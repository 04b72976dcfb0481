#!/usr/bin/env bats
# Semaphores in a three-member etcd cluster (ipcctl(1), Objects across
# hosts): mutual exclusion under load, with processes posing as hosts,
# and while the leader is killed and started again. The file starts its
# own members on free loopback ports and stops them after its last test.

load helpers
load etcd

# Each test runs hundreds of commands under a lock.
BATS_TEST_TIMEOUT=300

setup_file() {
	etcd_file cluster
}

file_setup() {
	skip_if_skipped
	E="etcd:$N"
}

# worker I RUNS: RUNS commands under the semaphore, posing as host I. A
# command enters a critical section (a directory only one may make), notes
# its fencing number, and leaves it; a run that fails (the cluster in an
# election: 69, or a token lost: 75) is noted and tried again.
worker() {
	local done=0 st
	while ((done < $2)); do
		st=0
		IPCCTL_ETCD_HOST="host$1" "$IPCCTL" sem run "$E" -t 60 -- sh -c '
			mkdir crit 2>/dev/null || echo overlap >>overlaps
			echo "$IPCCTL_FENCE" >>fences
			sleep 0.002
			rmdir crit 2>/dev/null' 2>>errors || st=$?
		if ((st == 0)); then
			done=$((done + 1))
		else
			echo "host$1: $st" >>failures
		fi
	done
}

# excluded WORKERS RUNS: run them all and check no two commands ever held
# the semaphore at once, and each came after the one before (fencing
# numbers grow).
excluded() {
	local i pids=()
	: >overlaps
	: >fences
	for ((i = 0; i < $1; i++)); do
		worker "$i" "$2" &
		pids+=($!)
		bg_track "$!"
	done
	"${EXTRA[@]}"
	for i in "${pids[@]}"; do
		wait "$i"
	done
	assert_equal "$(wc -l <fences)" $(($1 * $2)) "commands run"
	assert_equal "$(cat overlaps)" "" "overlapping commands"
	sort -n -c -u fences || fail "fencing numbers out of order"
	run -0 --separate-stderr "$IPCCTL" sem value "$E"
	assert_equal "$output" 1
}

EXTRA=(:)

@test "8 hosts x 50 runs: never two at once, fencing numbers grow" {
	"$IPCCTL" sem create "$E"
	excluded 8 50
	assert_equal "$(cat failures 2>/dev/null)" "" "failed runs"
	"$IPCCTL" sem unlink "$E"
}

@test "the same while the leader is killed and started again" {
	"$IPCCTL" sem create "$E"
	EXTRA=(kill_leader)
	excluded 8 50
	[ -s killed ] || fail "no leader was killed"
	echo "# leader $(cat killed) killed; runs that failed and were tried again: $(cat failures 2>/dev/null | wc -l)" >&3
	"$IPCCTL" sem unlink "$E"
	etcd_healthy || fail "the cluster did not recover; $(cat killed)'s log:" \
	    "$(tail -n 20 "$BATS_FILE_TMPDIR/etcd-$(cat killed).log")"
}

# ipcctl(1), Objects across hosts: a holder cut off from the whole cluster
# (every member stopped by SIGSTOP) ends COMMAND before its lease can end
# there and exits 75; a waiter on another host gets the token after
# SIGCONT, never while that COMMAND runs; the cluster goes on.
@test "every member stopped while a run holds: COMMAND ends first; 75; no overlap" {
	local i st=0 t0 took members=()
	"$IPCCTL" sem create "$E"
	run_holding --lease 3
	# The waiter's COMMAND notes whether the holder's is still there.
	IPCCTL_ETCD_HOST=other "$IPCCTL" sem run "$E" -t 60 -- \
	    sh -c 'if kill -0 "$1" 2>/dev/null; then echo overlap; else
		echo alone; fi >waiter' sh "$CHILD" 2>waiter.err 3>&- &
	local waiter=$!
	bg_track "$waiter"
	wait_secs 5 waiting_is 1

	for i in 0 1 2; do
		members+=("$(member_pid "m$i")")
	done
	t0=$(now_ms)
	kill -STOP "${members[@]}"
	wait_for gone "$CHILD"
	took=$(($(now_ms) - t0))
	kill -CONT "${members[@]}"
	wait "$RUN_PID" || st=$?
	assert_equal "$st" 75 "run's status"
	assert_equal "$(cat err)" \
	    "ipcctl: sem run: $E: the token was lost: COMMAND was ended"
	((took < 3000)) || fail "COMMAND ended ${took} ms after the stop"

	st=0
	wait "$waiter" || st=$?
	assert_equal "$st" 0 "the waiter's status ($(cat waiter.err))"
	assert_equal "$(cat waiter)" alone
	wait_secs 10 value_is 1
	etcd_healthy || fail "the cluster did not go on"
	"$IPCCTL" sem unlink "$E"
}
