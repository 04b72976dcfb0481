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
