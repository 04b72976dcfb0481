#!/usr/bin/env bats
# sem run --once-per and --once-key on a local semaphore (ipcctl-sem(1),
# ONCE PER SCHEDULE); the same tests run on an etcd name in
# etcd-once.bats, from once.bash.

load helpers
load once

setup_file() {
	command -v jq >/dev/null 2>&1 || skip "jq is not installed"
}

file_setup() {
	O=$N
}

# A runner killed by SIGKILL: its guard ends COMMAND and gives the token
# back; the record says the run never ended.
kill_runner() {
	kill -KILL "$(run_of "$1")"
}

# One host here: the record names it.
expect_host() {
	hostname
}

@test "once: three calls fired together: one run, all exit 0, silently" {
	once_three_together
}

@test "once: calls 1 s apart, COMMAND of 0.2 s: one run" {
	once_one_apart
}

@test "once: the runner killed mid-job: a waiting call runs it in the same slot" {
	once_runner_dies
}

@test "once: COMMAND exits 1: a waiting call runs it in the same slot" {
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

@test "once: unlink takes the record with it" {
	once_unlink
}
