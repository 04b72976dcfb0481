#!/usr/bin/env bats
# sem run --once-per and --once-key on a semaphore kept in etcd
# (ipcctl-sem(1), ONCE PER SCHEDULE; ipcctl(1), Objects across hosts):
# the tests of once.bats, from once.bash, with three "hosts" as
# processes (IPCCTL_ETCD_HOST). The file starts an etcd of its own.

load helpers
load etcd
load once

setup_file() {
	etcd_file single
	command -v jq >/dev/null 2>&1 || skip "jq is not installed"
}

file_setup() {
	skip_if_skipped
	O="etcd:$N"
}

# A host that dies mid-job: its run, guard and COMMAND killed at once;
# nobody revokes the lease (2 s, from the runner's --lease), so the key
# goes with it.
kill_runner() {
	local r
	r=$(run_of "$1")
	kill -KILL "$r" $(pgrep -P "$r" -x ipcctl-guard) "$2"
}

expect_host() {
	echo "$1"
}

@test "once: three hosts fired together: one run, all exit 0, silently" {
	once_three_together
}

@test "once: hosts 1 s apart, COMMAND of 0.2 s: one run" {
	once_one_apart
}

@test "once: the runner's host dies mid-job: a waiting host runs it in the same slot" {
	once_runner_dies --lease 2
}

@test "once: COMMAND exits 1: a waiting host runs it in the same slot" {
	once_command_fails
}

@test "once: -t runs out while the slot's run goes on: 0, silently" {
	once_in_hand
}

@test "once: --once-per 5s: the next slot runs again" {
	once_next_slot
}

@test "once: --once-key: one run per key" {
	once_per_key
}

@test "once: sem info and --json show the last run" {
	once_info
}

@test "once: usage errors: 64" {
	once_usage
}

@test "once: the record is at PREFIX semrun/NAME, outside the token range" {
	run -0 --separate-stderr ipcctl sem run "$O" -c --once-key k -- true
	run -0 --separate-stderr ectl get "/ipcctl/semrun/${N#/}" --print-value-only
	assert_equal "$(jq -r '[.once, .status] | @tsv' <<<"$output")" \
	    "key k	0"
	run -0 --separate-stderr ectl get --prefix "/ipcctl/sem/${N#/}/" --keys-only
	assert_equal "$output" ""
}

@test "once: unlink takes the record with it" {
	once_unlink
}
