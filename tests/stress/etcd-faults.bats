#!/usr/bin/env bats
# Stress across hosts under random faults (issue 20): every request of the
# workers goes through the fault proxy (tests/fault-proxy.c), which
# drops, cuts, delays and resets answers at random, drawn from
# STRESS_SEED. Not part of "make check": "make stress" runs it, or
#
#	IPCCTL=$PWD/src/ipcctl IPCCTL_SRCDIR=$PWD bats --tap tests/stress/etcd-faults.bats
#
# One member; etcd-faults-cluster.bats does the same on three, the
# leader killed. Each test prints its counts as a TAP comment; the knobs
# are faults.bash's.

load ../helpers
load ../etcd
load faults
((BATS_TEST_TIMEOUT < 240)) && BATS_TEST_TIMEOUT=240

setup_file() {
	etcd_file single
}

file_setup() {
	skip_if_skipped
	faults_setup
}

# start_proxies: one proxy, in front of the member.
start_proxies() {
	proxy_start -s "$STRESS_SEED" -T 200
	WORKERS_URL=$PROXY_URL
}

DURING=()

@test "sem under random faults, capacity 1: no overlap, no token stranded" {
	sem_faults 1
}

@test "sem under random faults, capacity 2: no overlap, no token stranded" {
	sem_faults 2
}

@test "mq send under random faults: none lost, none put twice" {
	mq_faults
	assert_equal "$LOST" 0 "messages lost"
	# The receivers meet no fault: a duplicate is a send's, and only a
	# send in doubt (69, "the message may have been sent") sent again
	# may be one.
	((DUP <= DOUBT)) || fail "$DUP duplicates, $DOUBT sends in doubt"
}

@test "mq send and receive under random faults: none lost, duplicates counted" {
	mq_faults receivers-too
	assert_equal "$LOST" 0 "messages lost"
	# Duplicates only of the documented kinds: a send in doubt sent
	# again, or a receiver ended (here by a fault) between writing its
	# messages and deleting their claims -- a batch at most each.
	((DUP <= DOUBT + 64 * $(wc -l <restarts))) || fail "$DUP duplicates"
}
