#!/usr/bin/env bats
# ipcctl mq (ipcctl-mq(1), and ipcctl(1): names, opening and creating,
# timeouts, output, exit status). Every test states the exact exit status
# and the exact output.

load helpers
load mq-contract

MQ_PRIO_MAX=32768

# --------------------------------------------------------------- helpers

# The hooks of mq-contract.bash, whose tests run here on a local queue.
file_setup() {
	Q=$N
}

# Nothing is held between taking a message and writing it.
mq_settled() {
	:
}

# The messages taken are in the receiving process only.
mq_holding() {
	:
}

# A waiter is seen asleep in its system call.
wait_mark() {
	:
}
wait_waiting() {
	case $2 in
	notify)	wait_notifying "$1" ;;
	*)	wait_polling "$1" ;;
	esac
}

# info_field NAME COLUMN: one value of "info --pairs".
info_field() {
	local line
	line=$("$IPCCTL" mq info "$1" --pairs) || return 1
	[[ $line =~ (^| )$2=\"([^\"]*)\" ]] || return 1
	printf '%s\n' "${BASH_REMATCH[2]}"
}

sysctl_mq() {
	cat "/proc/sys/fs/mqueue/$1"
}

# ---------------------------------------------------------------- create

@test "create NAME: silent, mode 0600, the system's default sizes" {
	[ -r /proc/sys/fs/mqueue/msg_default ] &&
	    [ -r /proc/sys/fs/mqueue/msgsize_default ] ||
	    skip "no /proc/sys/fs/mqueue/msg_default (Linux 3.5 and later)"
	run -0 --separate-stderr ipcctl mq create "$N"
	assert_equal "$output" ""
	assert_equal "$stderr" ""
	run -0 --separate-stderr ipcctl mq info "$N" -r
	assert_equal "$output" "NAME MODE OWNER GROUP MAX_MESSAGES MESSAGE_SIZE MESSAGES
$N 0600 $(id -un) $(id -gn) $(sysctl_mq msg_default) $(sysctl_mq msgsize_default) 0"
	assert_equal "$stderr" ""
	# "jobs" and "/jobs" are one queue; output shows the slash
	run -0 --separate-stderr ipcctl mq info "${N#/}" -r
	assert_equal "${lines[1]%% *}" "$N"
	run -0 --separate-stderr ipcctl mq create "${N#/}"
	assert_equal "$output$stderr" ""
}

@test "create --max-messages and --message-size; one alone takes the other's default" {
	run -0 --separate-stderr ipcctl mq create "$N" --max-messages 3 \
	    --message-size 100
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr ipcctl mq info "$N" --json
	run -0 jq -c '.queues[0] | [.max_messages, .message_size, .messages]' \
	    <<<"$output"
	assert_equal "$output" "[3,100,0]"

	run -0 --separate-stderr ipcctl mq create "$(name m)" --max-messages 2
	assert_equal "$(info_field "$(name m)" MAX_MESSAGES)" 2
	assert_equal "$(info_field "$(name m)" MESSAGE_SIZE)" \
	    "$(sysctl_mq msgsize_default)"

	run -0 --separate-stderr ipcctl mq create "$(name s)" --message-size 1K
	assert_equal "$(info_field "$(name s)" MAX_MESSAGES)" \
	    "$(sysctl_mq msg_default)"
	assert_equal "$(info_field "$(name s)" MESSAGE_SIZE)" 1024
}

@test "create with no NAME prints a fresh name that exists" {
	run -0 --separate-stderr ipcctl mq create
	track "$output"
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 1
	[[ "$output" =~ ^/[^/]+$ ]] || fail "not a name: '$output'"
	local first=$output
	assert_messages "$first" 0

	run -0 --separate-stderr ipcctl mq create --max-messages 4 \
	    --message-size 64 -m 0640
	track "$output"
	[[ "$output" =~ ^/[^/]+$ ]] || fail "not a name: '$output'"
	[ "$output" != "$first" ] || fail "the same name twice: $output"
	run -0 --separate-stderr ipcctl mq info "$output" -r
	assert_equal "${lines[1]}" \
	    "${lines[1]%% *} 0640 $(id -un) $(id -gn) 4 64 0"
}

@test "create on an existing queue: exit 0, its sizes, mode and messages kept" {
	ipcctl mq create "$N" --max-messages 3 --message-size 50
	ipcctl mq send "$N" kept
	run -0 --separate-stderr ipcctl mq create "$N" --max-messages 5 \
	    --message-size 99 -m 0666
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr ipcctl mq info "$N" -r
	assert_equal "${lines[1]}" "$N 0600 $(id -un) $(id -gn) 3 50 1"
	run -0 --separate-stderr ipcctl mq create "$N" -c
	assert_equal "$output$stderr" ""
	assert_messages "$N" 1
}

@test "create -x on an existing queue: exit 73, queue untouched" {
	ipcctl mq create "$N" --max-messages 3
	ipcctl mq send "$N" kept
	run -73 --separate-stderr ipcctl mq create "$N" -x
	assert_diag "ipcctl: mq create: $N: File exists"
	run -73 --separate-stderr ipcctl mq create --exclusive --max-messages 5 \
	    "$N"
	assert_diag "ipcctl: mq create: $N: File exists"
	assert_equal "$(info_field "$N" MAX_MESSAGES)" 3
	assert_messages "$N" 1
	# a new queue: -x creates it
	run -0 --separate-stderr ipcctl mq create "$(name new)" -x
	assert_equal "$output$stderr" ""
	assert_messages "$(name new)" 0
}

@test "create -m: exactly MODE under umask 077 (info)" {
	umask 077
	run -0 --separate-stderr ipcctl mq create "$N" -m 0666
	assert_equal "$output$stderr" ""
	assert_equal "$(info_field "$N" MODE)" 0666
	run -0 --separate-stderr ipcctl mq create "$(name sym)" \
	    --mode u=rw,g=rw,o=r
	assert_equal "$(info_field "$(name sym)" MODE)" 0664
	run -0 --separate-stderr ipcctl mq create "$(name dflt)"
	assert_equal "$(info_field "$(name dflt)" MODE)" 0600
	run -0 --separate-stderr ipcctl mq send "$(name send)" -c -m 0642 hi
	assert_equal "$(info_field "$(name send)" MODE)" 0642
}

@test "create -m: the file in /dev/mqueue has exactly MODE" {
	need_mqueue
	umask 077
	run -0 --separate-stderr ipcctl mq create "$N" -m 0666
	assert_equal "$(with_mq stat -c %a "/dev/mqueue/${N#/}")" 666 "mode"
	run -0 --separate-stderr ipcctl mq create "$(name g)" -m 0620
	assert_equal "$(with_mq stat -c %a "/dev/mqueue/${PREFIX}g")" 620 "mode"
	run -0 --separate-stderr ipcctl mq create "$(name d)"
	assert_equal "$(with_mq stat -c %a "/dev/mqueue/${PREFIX}d")" 600 "mode"
	assert_equal "$(with_mq stat -c %u:%g "/dev/mqueue/${N#/}")" \
	    "$(id -u):$(id -g)" "owner"
}

@test "sizes over the system's limits: exit 71, the message names the limit" {
	local max size
	max=$(sysctl_mq msg_max) size=$(sysctl_mq msgsize_max)
	# above the kernel's hard limits (65536, 16 MiB): refused even to root
	run -71 --separate-stderr ipcctl mq create "$N" --max-messages 70000
	assert_diag "ipcctl: mq create: $N: 70000 messages is more than the system allows ($max, /proc/sys/fs/mqueue/msg_max)"
	run -71 --separate-stderr ipcctl mq create "$N" --message-size 20M
	assert_diag "ipcctl: mq create: $N: a message size of 20971520 bytes is more than the system allows ($size, /proc/sys/fs/mqueue/msgsize_max)"
	run -71 --separate-stderr bash -c \
	    'ulimit -q 1000 && exec "$IPCCTL" mq create "$1"' _ "$N"
	assert_diag "ipcctl: mq create: $N: the queue would pass this user's RLIMIT_MSGQUEUE (1000 bytes for all queues, ulimit -q)"
	run -71 --separate-stderr bash -c \
	    'ulimit -q 1000 && exec "$IPCCTL" mq create' _
	[[ $stderr == "ipcctl: mq create: /"*": the queue would pass this user's RLIMIT_MSGQUEUE (1000 bytes for all queues, ulimit -q)" ]] ||
	    fail "stderr: $stderr"
	assert_equal "$output" ""
	assert_no_objects
	run -66 --separate-stderr ipcctl mq info "$N"
}

@test "sizes over msg_max and msgsize_max for an unprivileged user: exit 71" {
	need_unprivileged
	local max size
	max=$(sysctl_mq msg_max) size=$(sysctl_mq msgsize_max)
	run -71 --separate-stderr as_nobody "$IPCCTL" mq create "$N" \
	    --max-messages $((max + 1))
	assert_diag "ipcctl: mq create: $N: $((max + 1)) messages is more than the system allows ($max, /proc/sys/fs/mqueue/msg_max)"
	run -71 --separate-stderr as_nobody "$IPCCTL" mq create "$N" \
	    --message-size $((size + 1))
	assert_diag "ipcctl: mq create: $N: a message size of $((size + 1)) bytes is more than the system allows ($size, /proc/sys/fs/mqueue/msgsize_max)"
	run -66 --separate-stderr ipcctl mq info "$N"
}

# ---------------------------------------------------------------- send

@test "send: several operands are several messages, in order" {
	ipcctl mq create "$N"
	run -0 --separate-stderr ipcctl mq send "$N" one "two words" "" three
	assert_equal "$output$stderr" ""
	assert_messages "$N" 4
	run -0 --separate-stderr ipcctl mq receive "$N" -n 4
	assert_equal "$output" $'one\ntwo words\n\nthree'
	assert_equal "$stderr" ""
	assert_messages "$N" 0
}

@test "send: options after NAME and between messages; '--' then -x is a message" {
	ipcctl mq create "$N"
	run -0 --separate-stderr ipcctl mq send "$N" a -p 3 b
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr ipcctl mq send "$N" -- -x --lines -p
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr ipcctl mq receive "$N" -n 5 -P
	assert_equal "$output" $'3\ta\n3\tb\n0\t-x\n0\t--lines\n0\t-p'
}

@test "send -x on an existing queue: exit 73, nothing sent" {
	ipcctl mq create "$N"
	run -73 --separate-stderr ipcctl mq send "$N" -x hello
	assert_diag "ipcctl: mq send: $N: File exists"
	assert_messages "$N" 0
	run -0 --separate-stderr ipcctl mq send "$(name c)" -c \
	    --max-messages 3 --message-size 64 hello
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr ipcctl mq info "$(name c)" -r
	assert_equal "${lines[1]}" "$(name c) 0600 $(id -un) $(id -gn) 3 64 1"
}

@test "send with no MESSAGE: stdin whole is one message, bytes exact" {
	ipcctl mq create "$N"
	printf 'one\ntwo\n' >in
	run -0 --separate-stderr ipcctl mq send "$N" <in
	assert_equal "$output$stderr" ""
	assert_messages "$N" 1
	run -0 --separate-stderr bash -c '"$IPCCTL" mq receive "$1" >out' _ "$N"
	printf 'one\ntwo\n\n' >want
	cmp want out
	# from a pipe, and empty stdin is one empty message
	run -0 --separate-stderr bash -c 'printf "a b\n" | "$IPCCTL" mq send "$1"' \
	    _ "$N"
	run -0 --separate-stderr ipcctl mq send "$N" </dev/null
	run -0 --separate-stderr ipcctl mq receive "$N" -n 2 --json
	assert_equal "$output" '{"priority":0,"size":4,"data":"a b\n"}
{"priority":0,"size":0,"data":""}'
}

@test "send: binary stdin of exactly the message size round-trips" {
	ipcctl mq create "$N" --message-size 8K
	head -c 8192 /dev/urandom >data
	run -0 --separate-stderr ipcctl mq send "$N" <data
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr bash -c '"$IPCCTL" mq receive "$1" >out' _ "$N"
	{ cat data; printf '\n'; } >want
	cmp want out
}

@test "send --lines: each line a message, empty lines too, last line without newline" {
	ipcctl mq create "$N"
	run -0 --separate-stderr bash -c \
	    'printf "a\n\nb c\n\n\nlast" | "$IPCCTL" mq send "$1" --lines' _ "$N"
	assert_equal "$output$stderr" ""
	assert_messages "$N" 6
	run -0 --separate-stderr ipcctl mq receive "$N" -n 6 --json
	assert_equal "$output" '{"priority":0,"size":1,"data":"a"}
{"priority":0,"size":0,"data":""}
{"priority":0,"size":3,"data":"b c"}
{"priority":0,"size":0,"data":""}
{"priority":0,"size":0,"data":""}
{"priority":0,"size":4,"data":"last"}'
	# a final newline ends the last line: no empty message after it
	run -0 --separate-stderr bash -c \
	    'printf "x\ny\n" | "$IPCCTL" mq send "$1" --lines' _ "$N"
	assert_messages "$N" 2
	# empty stdin: no line, no message
	run -0 --separate-stderr ipcctl mq send "$N" --lines </dev/null
	assert_equal "$output$stderr" ""
	assert_messages "$N" 2
	run -0 --separate-stderr ipcctl mq receive "$N" -n 2
	assert_equal "$output" $'x\ny'
}

@test "send --lines: many lines through a small queue, in order" {
	ipcctl mq create "$N" --max-messages 4 --message-size 16
	seq 1 5000 >all
	"$IPCCTL" mq send "$N" --lines <all 2>err 3>&- &
	local pid=$!
	bg_track "$pid"
	run -0 --separate-stderr bash -c '"$IPCCTL" mq receive "$1" -n 5000 >out' \
	    _ "$N"
	assert_equal "$output$stderr" ""
	local st=0
	wait "$pid" || st=$?
	assert_equal "$st" 0 "send's status"
	cmp all out
	assert_messages "$N" 0
}

@test "send -0/--null and receive -0: a binary round-trip" {
	ipcctl mq create "$N" --message-size 64
	# records with newlines, high bytes, an empty one, and a last one
	# without its NUL
	printf 'a\nb\0\377\001\376\0\0last' >in
	run -0 --separate-stderr ipcctl mq send "$N" -0 <in
	assert_equal "$output$stderr" ""
	assert_messages "$N" 4
	run -0 --separate-stderr bash -c '"$IPCCTL" mq receive "$1" -n 4 -0 >out' \
	    _ "$N"
	assert_equal "$output$stderr" ""
	printf 'a\nb\0\377\001\376\0\0last\0' >want
	cmp want out
	od -An -c out >got
	od -An -c want >wantc
	cmp wantc got

	# --null, and 64 random bytes without NUL as one record
	head -c 4096 /dev/urandom | tr -d '\0' | head -c 64 >rand
	[ "$(stat -c %s rand)" -eq 64 ]
	run -0 --separate-stderr bash -c \
	    '{ cat rand; printf "\0x\0"; } | "$IPCCTL" mq send "$1" --null' _ "$N"
	run -0 --separate-stderr bash -c \
	    '"$IPCCTL" mq receive "$1" -n 2 --null >out2' _ "$N"
	{ cat rand; printf '\0x\0'; } >want2
	cmp want2 out2
}

@test "send -p: highest priority first, FIFO within one" {
	ipcctl mq create "$N"
	run -0 --separate-stderr ipcctl mq send "$N" -p 1 a1
	run -0 --separate-stderr ipcctl mq send "$N" --priority 5 b5 c5
	run -0 --separate-stderr ipcctl mq send "$N" a0
	run -0 --separate-stderr ipcctl mq send "$N" -p 1 d1
	run -0 --separate-stderr ipcctl mq send "$N" -p $((MQ_PRIO_MAX - 1)) top
	run -0 --separate-stderr ipcctl mq send "$N" -p 5 e5
	run -0 --separate-stderr ipcctl mq receive "$N" -n 7 -P
	assert_equal "$output" "$((MQ_PRIO_MAX - 1))	top
5	b5
5	c5
5	e5
1	a1
1	d1
0	a0"
	assert_equal "$stderr" ""
}

@test "send -p out of range: exit 64, nothing sent" {
	ipcctl mq create "$N"
	run -64 --separate-stderr ipcctl mq send "$N" -p "$MQ_PRIO_MAX" x
	assert_usage_error "ipcctl: mq send: priority $MQ_PRIO_MAX: too large" \
	    mq send
	run -64 --separate-stderr ipcctl mq send "$N" -p -1 x
	assert_usage_error "ipcctl: mq send: priority -1: too small" mq send
	run -64 --separate-stderr ipcctl mq send "$N" --priority x x
	assert_usage_error "ipcctl: mq send: priority x: not a number" mq send
	run -64 --separate-stderr ipcctl mq send "$N" -p 1.5 x
	assert_usage_error "ipcctl: mq send: priority 1.5: not a number" mq send
	assert_messages "$N" 0
}

@test "send: a message longer than the message size is exit 65, nothing sent" {
	mq_send_too_long
}

@test "send --lines stops at a line too long, having sent the lines before it" {
	ipcctl mq create "$N" --message-size 4
	run -65 --separate-stderr bash -c \
	    'printf "ab\ncd\ntoolong\nef\n" | "$IPCCTL" mq send "$1" --lines' _ "$N"
	assert_diag "ipcctl: mq send: $N: a message of 7 bytes is longer than the queue's message size (4); the messages before it were sent"
	run -0 --separate-stderr ipcctl mq receive "$N" -n 2 -t 0
	assert_equal "$output" $'ab\ncd'
	assert_messages "$N" 0
	# the first line too long: nothing sent
	run -65 --separate-stderr bash -c \
	    'printf "toolong\nef\n" | "$IPCCTL" mq send "$1" --lines' _ "$N"
	assert_diag "ipcctl: mq send: $N: a message of 7 bytes is longer than the queue's message size (4): nothing sent"
	assert_messages "$N" 0
}

@test "send with stdin closed: exit 74, nothing sent" {
	ipcctl mq create "$N"
	run -74 --separate-stderr bash -c '"$IPCCTL" mq send "$1" <&-' _ "$N"
	assert_diag "ipcctl: mq send: stdin: Bad file descriptor"
	assert_messages "$N" 0
}

@test "send -t 0 and -t 0.3 on a full queue: exit 75" {
	mq_send_full_timeout
}

@test "send blocks on a full queue until there is room" {
	mq_send_waits -t 1m
}

# ---------------------------------------------------------------- receive

@test "receive: one message by default, -n COUNT that many" {
	ipcctl mq create "$N"
	ipcctl mq send "$N" m1 m2 m3 m4 m5
	run -0 --separate-stderr ipcctl mq receive "$N"
	assert_equal "$output" m1
	assert_equal "$stderr" ""
	assert_messages "$N" 4
	run -0 --separate-stderr ipcctl mq receive "$N" -n 3
	assert_equal "$output" $'m2\nm3\nm4'
	assert_messages "$N" 1
	run -0 --separate-stderr ipcctl mq receive --count 1 "$N"
	assert_equal "$output" m5
	assert_messages "$N" 0
}

@test "receive -n COUNT with fewer messages and -t 0: writes them, then exit 75" {
	mq_receive_fewer
}

@test "receive -P: PRIO, a tab, the message" {
	ipcctl mq create "$N"
	ipcctl mq send "$N" -p 7 $'tab\there'
	ipcctl mq send "$N" plain
	run -0 --separate-stderr ipcctl mq receive "$N" -n 2 --print-priority
	assert_equal "$output" $'7\ttab\there\n0\tplain'
	assert_equal "$stderr" ""
}

@test "receive --json: one object a line, data or data_base64, valid JSON" {
	ipcctl mq create "$N"
	ipcctl mq send "$N" -p 3 hello
	printf 'h\303\251\360\237\230\200 "q" \\ \t\r\n\001\177\000end' >utf8
	ipcctl mq send "$N" <utf8
	printf '\377\376\000a' >bin
	ipcctl mq send "$N" -p 1 <bin
	printf 'ok\355\240\200' >surrogate
	ipcctl mq send "$N" <surrogate
	ipcctl mq send "$N" ""
	run -0 --separate-stderr ipcctl mq receive "$N" -n 5 --json
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 5
	assert_equal "${lines[0]}" '{"priority":3,"size":5,"data":"hello"}'
	assert_equal "${lines[1]}" '{"priority":1,"size":4,"data_base64":"//4AYQ=="}'
	assert_equal "${lines[2]}" '{"priority":0,"size":23,"data":"hé😀 \"q\" \\ \t\u000d\n\u0001\u007f\u0000end"}'
	assert_equal "${lines[3]}" '{"priority":0,"size":5,"data_base64":"b2vtoIA="}'
	assert_equal "${lines[4]}" '{"priority":0,"size":0,"data":""}'
	local i
	for i in 0 1 2 3 4; do
		jq -e 'type == "object" and (.priority | type == "number") and
		    (.size | type == "number") and
		    ((has("data") and (has("data_base64") | not)) or
		    (has("data_base64") and (has("data") | not)))' \
		    <<<"${lines[i]}" >/dev/null || fail "line $i: ${lines[i]}"
	done
	# the data decodes to the bytes sent
	jq -j .data <<<"${lines[2]}" >got
	cmp utf8 got
	jq -r .data_base64 <<<"${lines[1]}" | base64 -d >got
	cmp bin got
	jq -r .data_base64 <<<"${lines[3]}" | base64 -d >got
	cmp surrogate got
}

@test "receive -t 0 and -t 0.3 on an empty queue: exit 75" {
	mq_receive_empty_timeout
}

@test "receive -t applies to each wait, not to the whole call" {
	ipcctl mq create "$N"
	# three messages 0.3 s apart: 0.9 s in all, each wait under 0.8 s
	(for m in a b c; do
		sleep 0.3
		"$IPCCTL" mq send "$N" "$m"
	done) 3>&- &
	bg_track $!
	local t0 t1
	t0=$(now_ms)
	run -0 --separate-stderr ipcctl mq receive "$N" -n 3 -t 0.8
	t1=$(now_ms)
	assert_equal "$output" $'a\nb\nc'
	assert_equal "$stderr" ""
	((t1 - t0 >= 800)) || fail "took only $((t1 - t0)) ms: proves nothing"
}

@test "receive blocks until a message arrives" {
	mq_receive_waits
}

@test "receive: -n and --follow exclude each other; bad counts: exit 64" {
	ipcctl mq create "$N"
	ipcctl mq send "$N" kept
	run -64 --separate-stderr ipcctl mq receive "$N" -n 2 -f
	assert_usage_error "ipcctl: mq receive: -n and --follow exclude each other" \
	    mq receive
	run -64 --separate-stderr ipcctl mq receive "$N" --follow --count 2
	assert_usage_error "ipcctl: mq receive: -n and --follow exclude each other" \
	    mq receive
	run -64 --separate-stderr ipcctl mq receive "$N" -n 0
	assert_usage_error "ipcctl: mq receive: count 0: too small" mq receive
	run -64 --separate-stderr ipcctl mq receive "$N" -n -1
	assert_usage_error "ipcctl: mq receive: count -1: too small" mq receive
	run -64 --separate-stderr ipcctl mq receive "$N" -n x
	assert_usage_error "ipcctl: mq receive: count x: not a number" mq receive
	run -64 --separate-stderr ipcctl mq receive "$N" -n 99999999999999999999
	assert_usage_error "ipcctl: mq receive: count 99999999999999999999: too large" \
	    mq receive
	run -64 --separate-stderr ipcctl mq receive "$N" extra
	assert_usage_error "ipcctl: mq receive: unexpected operand: extra" \
	    mq receive
	run -64 --separate-stderr ipcctl mq receive "$N" -c
	assert_usage_error "ipcctl: mq receive: unknown option: -c" mq receive
	assert_messages "$N" 1
}

@test "receive --follow, ended by SIGTERM: every message taken was written, exit 143" {
	mq_follow_term 3000 500 0.5
}

@test "receive --follow: SIGINT and SIGHUP end it too, after writing what it took" {
	env --default-signal=INT true 2>/dev/null ||
	    skip "env --default-signal (coreutils 8.31) is needed"
	ipcctl mq create "$N"
	local sig st pid want
	for sig in INT:130 HUP:129; do
		want=${sig#*:} sig=${sig%:*}
		# A background job starts with INT ignored, and ipcctl keeps an
		# ignored signal ignored: give it a terminal job's defaults.
		env --default-signal "$IPCCTL" mq receive "$N" -f >out 2>err 3>&- &
		pid=$!
		bg_track "$pid"
		ipcctl mq send "$N" one two
		wait_for has_lines out 2
		wait_polling "$pid"
		kill -"$sig" "$pid"
		st=0
		wait "$pid" || st=$?
		assert_equal "$st" "$want" "status after SIG$sig"
		assert_equal "$(cat out)" $'one\ntwo'
		assert_equal "$(cat err)" ""
		assert_messages "$N" 0
	done
}

@test "a signal ends a blocked receive: 143, nothing taken" {
	ipcctl mq create "$N"
	"$IPCCTL" mq receive "$N" >out 2>err 3>&- &
	local pid=$!
	bg_track "$pid"
	wait_polling "$pid"
	kill -TERM "$pid"
	local st=0
	wait "$pid" || st=$?
	assert_equal "$st" 143 "receive's status"
	assert_equal "$(cat out err)" ""
	ipcctl mq send "$N" later
	assert_messages "$N" 1

	# -n 2 with one message: it is written, then the wait is ended
	"$IPCCTL" mq receive "$N" -n 2 >out 2>err 3>&- &
	pid=$!
	bg_track "$pid"
	wait_for test -s out
	wait_polling "$pid"
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	assert_equal "$st" 143 "receive's status"
	assert_equal "$(cat out)" later
	assert_equal "$(cat err)" ""
	assert_messages "$N" 0
}

@test "receive >/dev/full: exit 74, the message is back on the queue" {
	mq_receive_dev_full
}

@test "a message put back goes to the end of its priority's FIFO" {
	mq_put_back_order
}

@test "receive with stdout closed: exit 74, nothing taken" {
	mq_stdout_closed
}

@test "receive into a pipe whose reader is gone: exit 74, nothing taken" {
	mq_reader_gone_before
}

@test "receive: the reader goes away while it waits: the messages are put back, exit 74" {
	ipcctl mq create "$N"
	mkfifo fifo
	sleep 60 <fifo 3>&- &
	local reader=$!
	bg_track "$reader"
	"$IPCCTL" mq receive "$N" -n 3 >fifo 2>err 3>&- &
	local pid=$!
	bg_track "$pid"
	# stdout was checked with the reader there; now it waits
	wait_polling "$pid"
	kill "$reader"
	wait "$reader" || true
	ipcctl mq send "$N" m1 m2 m3
	local st=0
	wait "$pid" || st=$?
	assert_equal "$st" 74 "receive's status"
	assert_equal "$(cat err)" "ipcctl: mq receive: stdout: Broken pipe (the messages not written were put back)"
	assert_messages "$N" 3
	run -0 --separate-stderr ipcctl mq receive "$N" -n 3
	assert_equal "$(sort <<<"$output")" $'m1\nm2\nm3'
}

@test "receive | a reader that exits at once: no message is lost" {
	ipcctl mq create "$N"
	local i got=0 lost
	for i in 1 2 3 4 5; do
		ipcctl mq send "$N" "m$i"
	done
	# Whatever the race: each message is on the queue, or was written
	# into the pipe before the reader went (it then counts as delivered).
	run --separate-stderr bash -c 'set -o pipefail
	    "$IPCCTL" mq receive "$1" -n 5 | { head -c 0; exit 0; }' _ "$N"
	case $status in
	0)	assert_messages "$N" 0 ;;
	74)	assert_messages "$N" 5 ;;
	*)	fail "status $status: $stderr" ;;
	esac
}

@test "receive by a reader who may not write the queue: what it cannot write is lost, and it says so" {
	need_unprivileged
	[ -w /dev/full ] || skip "no /dev/full"
	ipcctl mq create "$N" -m 0644
	ipcctl mq send "$N" m1 m2
	# Putting a message back is a send: a reader without write permission
	# cannot, and ipcctl says how many messages it lost (ipcctl-mq(1)).
	run -74 --separate-stderr as_nobody bash -c \
	    '"$IPCCTL" mq receive "$1" >/dev/full' _ "$N"
	assert_equal "$output" ""
	assert_equal "$stderr" "ipcctl: mq receive: $N: 1 message could not be put back: no write permission
ipcctl: mq receive: stdout: No space left on device"
	assert_messages "$N" 1
}

# ---------------------------------------------------------------- notify

@test "notify: returns at once when a message is there, and takes nothing" {
	ipcctl mq create "$N"
	ipcctl mq send "$N" waiting
	local t0 t1
	t0=$(now_ms)
	run -0 --separate-stderr ipcctl mq notify "$N"
	t1=$(now_ms)
	assert_equal "$output$stderr" ""
	((t1 - t0 < 1000)) || fail "took $((t1 - t0)) ms"
	run -0 --separate-stderr ipcctl mq notify "$N" -t 0
	assert_equal "$output$stderr" ""
	assert_messages "$N" 1
	run -0 --separate-stderr ipcctl mq receive "$N"
	assert_equal "$output" waiting
}

@test "notify: waits, then returns 0 when a message arrives" {
	ipcctl mq create "$N"
	"$IPCCTL" mq notify "$N" >out 2>err 3>&- &
	local pid=$!
	bg_track "$pid"
	wait_notifying "$pid"
	kill -0 "$pid"
	ipcctl mq send "$N" arrived
	local st=0
	wait "$pid" || st=$?
	assert_equal "$st" 0 "notify's status"
	assert_equal "$(cat out err)" ""
	assert_messages "$N" 1
}

@test "notify: a SIGUSR1 from kill(1) is not a message" {
	ipcctl mq create "$N"
	"$IPCCTL" mq notify "$N" -t 1m >out 2>err 3>&- &
	local pid=$!
	bg_track "$pid"
	wait_notifying "$pid"
	kill -USR1 "$pid"
	sleep 0.1
	kill -0 "$pid" || fail "notify ended on a SIGUSR1 from kill"
	ipcctl mq send "$N" arrived
	local st=0
	wait "$pid" || st=$?
	assert_equal "$st" 0 "notify's status"
	assert_equal "$(cat out err)" ""
}

@test "notify: a message arriving between registering and looking returns 0" {
	# Contract: notify exits 0 once the queue holds a message. The window
	# between mq_notify(3) and mq_getattr(3) is widened with strace's
	# fault injection.
	need_mqueue
	command -v strace >/dev/null || skip "strace is not installed"
	strace -f -o /dev/null true 2>/dev/null || skip "strace cannot trace here"
	ipcctl mq create "$N"
	# (LeakSanitizer cannot run under ptrace: off, in sanitizer builds)
	ASAN_OPTIONS=detect_leaks=0 strace -f -o /dev/null \
	    -e trace=mq_getsetattr -e inject=mq_getsetattr:delay_enter=500000 \
	    "$IPCCTL" mq notify "$N" >out 2>err 3>&- &
	local pid=$!
	bg_track "$pid"
	# registered: the queue's file names the process to notify
	wait_for with_mq grep -q 'NOTIFY_PID:[1-9]' "/dev/mqueue/${N#/}"
	ipcctl mq send "$N" arrived
	local st=0
	wait "$pid" || st=$?
	assert_equal "$st" 0 "notify's status"
	assert_equal "$(cat out err)" ""
	assert_messages "$N" 1
}

@test "notify -t 0.2 on an empty queue: exit 75" {
	mq_notify_timeout
}

@test "notify -- COMMAND: runs it, and returns its status" {
	mq_notify_command
}

@test "notify while another process is registered: exit 75" {
	ipcctl mq create "$N"
	"$IPCCTL" mq notify "$N" >out 2>err 3>&- &
	local pid=$!
	bg_track "$pid"
	wait_notifying "$pid"
	run -75 --separate-stderr ipcctl mq notify "$N"
	assert_diag "ipcctl: mq notify: $N: Device or resource busy"
	run -75 --separate-stderr ipcctl mq notify "$N" -t 5 -- touch ran
	assert_diag "ipcctl: mq notify: $N: Device or resource busy"
	[ ! -e ran ] || fail "notify ran its command"
	# the first one is still registered, and is woken
	ipcctl mq send "$N" x
	local st=0
	wait "$pid" || st=$?
	assert_equal "$st" 0 "first notify's status"
}

# ---------------------------------------------------------------- info

@test "info: plain table, the message size as lsipc shows it; -b in bytes" {
	ipcctl mq create "$N" --max-messages 5 --message-size 128 -m 0640
	ipcctl mq send "$N" a b
	run -0 --separate-stderr ipcctl mq info "$N"
	assert_equal "$stderr" ""
	assert_equal "$output" \
	    "$(mq_info_table "$N" 5 128B 2 0640 "$(id -un)" "$(id -gn)")"
	run -0 --separate-stderr ipcctl mq info "$N" -b
	assert_equal "$stderr" ""
	assert_equal "$output" \
	    "$(mq_info_table "$N" 5 128 2 0640 "$(id -un)" "$(id -gn)")"
}

@test "info --json: one document, numbers as JSON numbers" {
	ipcctl mq create "$N" --max-messages 5 --message-size 128
	ipcctl mq send "$N" a
	run -0 --separate-stderr ipcctl mq info "$N" --json
	assert_equal "$stderr" ""
	local want
	want=$(printf '{\n   "queues": [\n      {\n         "name": "%s",\n         "mode": "0600",\n         "owner": "%s",\n         "group": "%s",\n         "max_messages": 5,\n         "message_size": 128,\n         "messages": 1\n      }\n   ]\n}' \
	    "$N" "$(id -un)" "$(id -gn)")
	assert_equal "$output" "$want"
	jq -e --arg n "$N" '.queues | length == 1 and .[0].name == $n and
	    (.[0].max_messages | type == "number") and
	    (.[0].message_size | type == "number") and
	    (.[0].messages | type == "number") and .[0].mode == "0600"' \
	    <<<"$output"
}

@test "info -r and --pairs" {
	ipcctl mq create "$N" --max-messages 4 --message-size 64
	local u g
	u=$(id -un) g=$(id -gn)
	run -0 --separate-stderr ipcctl mq info "$N" -r
	assert_equal "$stderr" ""
	assert_equal "$output" "NAME MODE OWNER GROUP MAX_MESSAGES MESSAGE_SIZE MESSAGES
$N 0600 $u $g 4 64 0"
	run -0 --separate-stderr ipcctl mq info --raw "$N"
	assert_equal "${lines[1]}" "$N 0600 $u $g 4 64 0"
	run -0 --separate-stderr ipcctl mq info "$N" --pairs
	assert_equal "$stderr" ""
	assert_equal "$output" "NAME=\"$N\" MODE=\"0600\" OWNER=\"$u\" GROUP=\"$g\" MAX_MESSAGES=\"4\" MESSAGE_SIZE=\"64\" MESSAGES=\"0\""
	# safe for eval
	local NAME MODE OWNER GROUP MAX_MESSAGES MESSAGE_SIZE MESSAGES
	eval "$output"
	assert_equal "$NAME:$MAX_MESSAGES:$MESSAGE_SIZE:$MESSAGES" "$N:4:64:0"
}

# ---------------------------------------------------------------- unlink

@test "unlink several" {
	ipcctl mq create "$(name a)"
	ipcctl mq create "$(name b)"
	run -0 --separate-stderr ipcctl mq unlink "$(name a)" "${PREFIX}b"
	assert_equal "$output$stderr" ""
	run -66 --separate-stderr ipcctl mq info "$(name a)"
	run -66 --separate-stderr ipcctl mq info "$(name b)"
}

@test "unlink with a missing one: exit 66 after removing the rest" {
	ipcctl mq create "$(name a)"
	ipcctl mq create "$(name c)"
	run -66 --separate-stderr ipcctl mq unlink "$(name a)" "$(name b)" \
	    "$(name c)"
	assert_diag "ipcctl: mq unlink: $(name b): No such file or directory"
	run -66 --separate-stderr ipcctl mq info "$(name a)"
	run -66 --separate-stderr ipcctl mq info "$(name c)"
}

@test "unlink -f: a missing NAME is no error, as rm -f" {
	ipcctl mq create "$N"
	ipcctl mq create "$(name c)"
	run -0 --separate-stderr ipcctl mq unlink -f "$N" "$(name b)" "$(name c)"
	assert_equal "$output$stderr" ""
	run -66 --separate-stderr ipcctl mq info "$N"
	run -66 --separate-stderr ipcctl mq info "$(name c)"
	run -0 --separate-stderr ipcctl mq unlink "$(name b)" --force
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr ipcctl mq unlink -f
	assert_equal "$output$stderr" ""
	# Only "missing" is forgiven: a bad name is still a usage error.
	run -64 --separate-stderr ipcctl mq unlink -f ""
	assert_usage_error "ipcctl: mq unlink: : empty name" mq unlink
}

@test "unlink: a bad name anywhere removes nothing; no NAME is a usage error" {
	ipcctl mq create "$(name a)"
	run -64 --separate-stderr ipcctl mq unlink "$(name a)" a/b
	assert_usage_error "ipcctl: mq unlink: a/b: '/' is allowed only as the first character" \
	    mq unlink
	assert_messages "$(name a)" 0
	run -64 --separate-stderr ipcctl mq unlink
	assert_usage_error "ipcctl: mq unlink: missing NAME" mq unlink
}

@test "unlink: a receiver that has the queue open keeps it" {
	ipcctl mq create "$N"
	"$IPCCTL" mq receive "$N" -t 1m >out 2>err 3>&- &
	local pid=$!
	bg_track "$pid"
	wait_polling "$pid"
	run -0 --separate-stderr ipcctl mq unlink "$N"
	run -66 --separate-stderr ipcctl mq send "$N" x
	assert_diag "ipcctl: mq send: $N: No such file or directory"
	kill -TERM "$pid"
	local st=0
	wait "$pid" || st=$?
	assert_equal "$st" 143
}

# ---------------------------------------------------------------- errors

@test "a missing queue: exit 66 for every verb that opens one" {
	mq_missing
}

@test "bad names: exit 64 before any system call" {
	local bad reason verb long
	while IFS='|' read -r bad reason; do
		for verb in create send receive info notify; do
			run -64 --separate-stderr ipcctl mq "$verb" "$bad"
			assert_usage_error "ipcctl: mq $verb: $bad: $reason" mq "$verb"
		done
		run -64 --separate-stderr ipcctl mq unlink "$bad"
		assert_usage_error "ipcctl: mq unlink: $bad: $reason" mq unlink
	done <<-EOF
	|empty name
	/|name is only a slash
	/${PREFIX}a/b|'/' is allowed only as the first character
	${PREFIX}a/b|'/' is allowed only as the first character
	//${PREFIX}a|'/' is allowed only as the first character
	.|'.' and '..' are not names
	..|'.' and '..' are not names
	/..|'.' and '..' are not names
	EOF
	# the name is echoed escaped (vis(3)), never raw to a terminal
	local bad shown
	for bad in $'\x01':'\001' $'\t':'\t' $'\e':'\033' $'\x7f':'\177'; do
		shown=${bad#*:} bad=${bad%%:*}
		run -64 --separate-stderr ipcctl mq create "/${PREFIX}a${bad}b"
		assert_usage_error "ipcctl: mq create: /${PREFIX}a${shown}b: control character in name" \
		    mq create
	done
	long=$(printf 'x%.0s' {1..256})
	run -64 --separate-stderr ipcctl mq create "/$long"
	assert_usage_error "ipcctl: mq create: /$long: name too long" mq create
	assert_no_objects
	# 255 bytes is the longest name
	local n255="${PREFIX}${long:${#PREFIX}+1}"
	track "/$n255"
	run -0 --separate-stderr ipcctl mq create "/$n255"
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr ipcctl mq send "$n255" hi
	run -0 --separate-stderr ipcctl mq receive "/$n255"
	assert_equal "$output" hi
	run -0 --separate-stderr ipcctl mq unlink "$n255"
}

@test "bad sizes, counts, modes and timeouts: exit 64, nothing created" {
	run -64 --separate-stderr ipcctl mq create "$N" --max-messages 0
	assert_usage_error "ipcctl: mq create: max messages 0: too small" mq create
	run -64 --separate-stderr ipcctl mq create "$N" --max-messages -1
	assert_usage_error "ipcctl: mq create: max messages -1: too small" mq create
	run -64 --separate-stderr ipcctl mq create "$N" --max-messages x
	assert_usage_error "ipcctl: mq create: max messages x: not a number" mq create
	run -64 --separate-stderr ipcctl mq create "$N" --max-messages 99999999999999999999
	assert_usage_error "ipcctl: mq create: max messages 99999999999999999999: too large" \
	    mq create
	run -64 --separate-stderr ipcctl mq create "$N" --message-size 0
	assert_usage_error "ipcctl: mq create: message size 0: too small" mq create
	run -64 --separate-stderr ipcctl mq create "$N" --message-size -1
	assert_usage_error "ipcctl: mq create: message size -1: not a size" mq create
	run -64 --separate-stderr ipcctl mq create "$N" --message-size 1Q
	assert_usage_error "ipcctl: mq create: message size 1Q: not a size (suffixes: K, M, G, T, P, E)" \
	    mq create
	run -64 --separate-stderr ipcctl mq send "$N" -c --message-size abc x
	assert_usage_error "ipcctl: mq send: message size abc: not a size" mq send
	run -64 --separate-stderr ipcctl mq create "$N" -m 0999
	assert_usage_error "ipcctl: mq create: 0999: not an octal mode" mq create
	run -64 --separate-stderr ipcctl mq create "$N" -m 2755
	assert_usage_error "ipcctl: mq create: 2755: only permission bits (0 to 0777)" \
	    mq create
	local t verb
	for t in -1 nan abc 1x ""; do
		for verb in send receive notify; do
			run -64 --separate-stderr ipcctl mq "$verb" "$N" -t "$t"
			assert_equal "$output" ""
			assert_equal "${#stderr_lines[@]}" 2 "stderr for $verb -t '$t'"
			[[ "${stderr_lines[0]}" == "ipcctl: mq $verb: timeout $t: not a duration"* ]] ||
			    fail "$verb -t '$t': ${stderr_lines[0]}"
			assert_equal "${stderr_lines[1]}" "$(usage_line mq "$verb")"
		done
	done
	run -64 --separate-stderr ipcctl mq send "$N" -c -t 1x hi
	assert_usage_error "ipcctl: mq send: timeout 1x: not a duration (units: ms, s, m, h, d)" \
	    mq send
	run -64 --separate-stderr ipcctl mq create "$N" extra
	assert_usage_error "ipcctl: mq create: unexpected operand: extra" mq create
	run -64 --separate-stderr ipcctl mq info "$N" extra
	assert_usage_error "ipcctl: mq info: unexpected operand: extra" mq info
	run -64 --separate-stderr ipcctl mq send
	assert_usage_error "ipcctl: mq send: missing NAME" mq send
	run -64 --separate-stderr ipcctl mq notify
	assert_usage_error "ipcctl: mq notify: missing NAME" mq notify
	assert_no_objects
	run -66 --separate-stderr ipcctl mq info "$N"
}

@test "permission denied: exit 77 (as user nobody on a root 0600 queue)" {
	need_unprivileged
	ipcctl mq create "$N" -m 0600
	ipcctl mq send "$N" secret
	run -77 --separate-stderr as_nobody "$IPCCTL" mq receive "$N"
	assert_diag "ipcctl: mq receive: $N: Permission denied"
	run -77 --separate-stderr as_nobody "$IPCCTL" mq receive "$N" -t 0
	assert_diag "ipcctl: mq receive: $N: Permission denied"
	run -77 --separate-stderr as_nobody "$IPCCTL" mq send "$N" x
	assert_diag "ipcctl: mq send: $N: Permission denied"
	run -77 --separate-stderr as_nobody "$IPCCTL" mq send "$N" -c x
	assert_diag "ipcctl: mq send: $N: Permission denied"
	run -77 --separate-stderr as_nobody "$IPCCTL" mq info "$N"
	assert_diag "ipcctl: mq info: $N: Permission denied"
	run -77 --separate-stderr as_nobody "$IPCCTL" mq notify "$N" touch ran
	assert_diag "ipcctl: mq notify: $N: Permission denied"
	[ ! -e ran ] || fail "notify ran its command"
	assert_messages "$N" 1
}

@test "least access: nobody may receive from a root 0644 queue, not send" {
	need_unprivileged
	ipcctl mq create "$N" -m 0644
	ipcctl mq send "$N" m1 m2
	run -0 --separate-stderr as_nobody "$IPCCTL" mq receive "$N"
	assert_equal "$output" m1
	assert_equal "$stderr" ""
	run -0 --separate-stderr as_nobody "$IPCCTL" mq info "$N" -r
	assert_equal "${lines[1]}" "$N 0644 $(id -un) $(id -gn) $(sysctl_mq msg_default) $(sysctl_mq msgsize_default) 1"
	run -0 --separate-stderr as_nobody "$IPCCTL" mq notify "$N"
	run -77 --separate-stderr as_nobody "$IPCCTL" mq send "$N" x
	assert_diag "ipcctl: mq send: $N: Permission denied"
	assert_messages "$N" 1
	# -m 0666 lets another user send
	ipcctl mq create "$(name open)" -m 0666
	run -0 --separate-stderr as_nobody "$IPCCTL" mq send "$(name open)" hi
	assert_equal "$output$stderr" ""
	assert_messages "$(name open)" 1
}

# ---------------------------------------------------------------- ipcmq

@test "the ipcmq link: ipcmq VERB is ipcctl mq VERB" {
	mkdir bin
	ln -s "$IPCCTL" bin/ipcmq
	run -0 --separate-stderr bin/ipcmq create "$N" --max-messages 3
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr bin/ipcmq send "$N" -p 1 hello
	run -0 --separate-stderr env PATH="$PWD/bin:$PATH" ipcmq receive "$N" -P
	assert_equal "$output" $'1\thello'
	run -0 --separate-stderr bin/ipcmq info "$N" -r
	local got=$output
	run -0 --separate-stderr ipcctl mq info "$N" -r
	assert_equal "$got" "$output"
	run -0 --separate-stderr bin/ipcmq --help
	local help=$output
	run -0 --separate-stderr ipcctl mq --help
	assert_equal "$help" "$output"
	run -0 --separate-stderr bin/ipcmq receive --help
	help=$output
	run -0 --separate-stderr ipcctl mq receive --help
	assert_equal "$help" "$output"
	run -75 --separate-stderr bin/ipcmq receive "$N" -t 0
	assert_diag "ipcctl: mq receive: $N: Resource temporarily unavailable"
	run -0 --separate-stderr bin/ipcmq unlink "$N"
	run -66 --separate-stderr ipcctl mq info "$N"
}

# ---------------------------------------------------------------- nothing lost

@test "receive under a file size limit: exit 74, not SIGXFSZ; nothing lost" {
	# ipcctl-mq(1), NO MESSAGE IS LOST: when a write fails after
	# messages were taken, those not written whole are put back and the
	# status is 74. RLIMIT_FSIZE makes write(2) fail with EFBIG; its
	# SIGXFSZ must not kill receive (status 153) with messages in hand.
	ipcctl mq create "$N" --max-messages 10 --message-size 1000
	local d limit
	for d in 0 1 2 3 4 5 6 7 8 9; do
		printf '%0999d\n' 0 | tr 0 "$d"
	done >all
	# 3000 bytes: three lines exactly; 3500: and half of a fourth
	for limit in 3000 3500; do
		echo "limit $limit"
		rm -f out rest
		ipcctl mq send "$N" --lines <all
		assert_messages "$N" 10
		run -74 --separate-stderr sh -c \
		    'prlimit --fsize="$2" "$0" mq receive "$1" -n 10 >out' \
		    "$IPCCTL" "$N" "$limit"
		assert_diag "ipcctl: mq receive: stdout: File too large (the messages not written were put back)"
		run -75 --separate-stderr bash -c \
		    '"$IPCCTL" mq receive "$1" -f -t 0 >rest' _ "$N"
		assert_diag "ipcctl: mq receive: $N: Resource temporarily unavailable"
		assert_delivered all out rest
	done
}

@test "receive --follow ended by SIGUSR1 or SIGALRM in a write to a slow reader: nothing lost" {
	local sig
	for sig in USR1:138 ALRM:142; do
		echo "SIG${sig%:*}"
		mq_slow_reader_signal "${sig%:*}" "${sig#*:}"
	done
}

@test "send: 300000 bytes on stdin, whole or as a first line: the exact length, nothing sent" {
	# ipcctl-mq(1), send: input longer than the message size is refused
	# with exit status 65 and nothing is sent; the message says how long.
	ipcctl mq create "$N" --message-size 8192
	head -c 300000 /dev/zero | tr '\0' a >big
	run -65 --separate-stderr ipcctl mq send "$N" <big
	assert_diag "ipcctl: mq send: $N: a message of 300000 bytes is longer than the queue's message size (8192): nothing sent"
	run -65 --separate-stderr bash -c 'cat big | "$IPCCTL" mq send "$1"' _ "$N"
	assert_diag "ipcctl: mq send: $N: a message of 300000 bytes is longer than the queue's message size (8192): nothing sent"
	assert_messages "$N" 0
	{ cat big; printf '\nshort\n'; } >lines
	run -65 --separate-stderr ipcctl mq send "$N" --lines <lines
	assert_diag "ipcctl: mq send: $N: a message of 300000 bytes is longer than the queue's message size (8192): nothing sent"
	run -65 --separate-stderr bash -c \
	    'cat lines | "$IPCCTL" mq send "$1" --lines' _ "$N"
	assert_diag "ipcctl: mq send: $N: a message of 300000 bytes is longer than the queue's message size (8192): nothing sent"
	assert_messages "$N" 0
}
