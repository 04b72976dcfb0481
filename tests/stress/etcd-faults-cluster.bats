#!/usr/bin/env bats
# Stress across hosts under random faults on three members (issue 20): a
# fault proxy in front of each member, the workers given the three
# proxies as their endpoints, and the leader killed by SIGKILL while they
# work (started again 3 s later). Not part of "make check": "make
# stress" runs it. Each test prints its counts as a TAP comment; the
# knobs are faults.bash's.

load ../helpers
load ../etcd
load faults
((BATS_TEST_TIMEOUT < 300)) && BATS_TEST_TIMEOUT=300

setup_file() {
	etcd_file cluster
}

file_setup() {
	skip_if_skipped
	faults_setup
	# A member a failed test left stopped.
	local m
	for m in m0 m1 m2; do
		is_etcd "$(member_pid "$m")" || restart "$m"
	done
	etcd_healthy || fail "the cluster is not healthy"
}

# start_proxies: a proxy in front of each member, sharing the rules and
# the log; WORKERS_URL lists the three.
start_proxies() {
	local m cp urls=
	for m in m0 m1 m2; do
		read -r _ cp _ < <(grep "^$m " "$BATS_FILE_TMPDIR/ports")
		proxy_start -s "$STRESS_SEED" -T 250 -u "127.0.0.1:$cp"
		urls+=${urls:+,}$PROXY_URL
	done
	WORKERS_URL=$urls
}

# The leader killed 2 s into the work, started again 3 s later.
DURING=(kill_leader 2)

@test "sem on three members, leader killed, random faults: no overlap, no token stranded" {
	sem_faults 1
	echo "# leader $(cat killed) killed" >&3
}

@test "mq on three members, leader killed, random faults on all: none lost, duplicates counted" {
	mq_faults receivers-too
	echo "# leader $(cat killed) killed" >&3
	assert_equal "$LOST" 0 "messages lost"
	((DUP <= DOUBT + 64 * $(wc -l <restarts))) || fail "$DUP duplicates"
}
