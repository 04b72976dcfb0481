# ipcctl mq: the behaviour every backend promises (ipcctl-mq(1); ipcctl(1),
# Objects across hosts: "the verbs behave as on a local queue"), written
# once. A test file loads this, sets Q to its queue (a local name, or an
# etcd: one) and calls each mq_* function from a test of its own, as
# once.bash does for sem run --once-per. The file also defines:
#
#   mq_settled            the backend holds nothing half done: no message
#                         taken and not yet written (etcd: no claim left)
#   mq_holding            the backend holds the messages a receive took and
#                         has not written yet (etcd: its claims)
#   wait_mark             before a process that will wait is started
#   wait_waiting PID WHAT PID (started after wait_mark) waits: WHAT is
#                         poll (a send or receive) or notify
#
# Each function makes the queue Q; one that is called after another in the
# same test needs a fresh Q.

# assert_delivered ALL OUT REST: every line of ALL reached OUT as a whole
# line or is in REST (what was left on the queue), and never both; OUT may
# end in the beginning of a message (no newline), which is then in REST.
# ipcctl-mq(1), NO MESSAGE IS LOST: a message written only in part is put
# back whole.
assert_delivered() {
	local frag=
	if [ -s "$2" ] && [ -n "$(tail -c 1 "$2")" ]; then
		frag=$(tail -n 1 "$2")
		head -n -1 "$2" >"$2.whole"
	else
		cp -- "$2" "$2.whole"
	fi
	[ -z "$(sort "$2.whole" "$3" | uniq -d | cut -c 1-20)" ] ||
	    fail "messages both written whole and left on the queue, or twice:" \
	    "$(sort "$2.whole" "$3" | uniq -d | cut -c 1-20)" || return 1
	sort "$2.whole" "$3" | cmp -s - <(sort "$1") ||
	    fail "written ($(wc -l <"$2.whole")) and left ($(wc -l <"$3"))" \
	    "are not all $(wc -l <"$1") messages, each once" || return 1
	[ -z "$frag" ] ||
	    awk -v f="$frag" 'index($0, f) == 1 { found = 1 }
		END { exit !found }' "$3" ||
	    fail "a message written in part ($(cut -c 1-20 <<<"$frag")...)" \
	    "is not back on the queue"
}

# mq_send_too_long: every message is checked against the message size
# before the first is sent: too long is 65, nothing sent, and nothing
# waited for, even on a full queue.
mq_send_too_long() {
	local too="ipcctl: mq send: $Q: a message of 5 bytes is longer than the queue's message size (4): nothing sent"
	ipcctl mq create "$Q" --max-messages 2 --message-size 4
	run -65 --separate-stderr ipcctl mq send "$Q" 12345
	assert_diag "$too"
	assert_messages "$Q" 0
	# only the last operand is too long: none is sent
	run -65 --separate-stderr ipcctl mq send "$Q" a b 12345
	assert_diag "$too"
	assert_messages "$Q" 0
	# stdin whole
	printf 12345 >long
	run -65 --separate-stderr ipcctl mq send "$Q" <long
	assert_diag "$too"
	assert_messages "$Q" 0
	run -65 --separate-stderr bash -c \
	    'head -c 100000 /dev/zero | "$IPCCTL" mq send "$1"' _ "$Q"
	assert_equal "$output" ""
	[[ $stderr == "ipcctl: mq send: $Q: a message of "*" bytes is longer than the queue's message size (4): nothing sent" ]] ||
	    fail "stderr: $stderr"
	assert_messages "$Q" 0
	# exactly the message size fits
	run -0 --separate-stderr ipcctl mq send "$Q" 1234
	assert_equal "$output$stderr" ""
	assert_messages "$Q" 1
	# full, and no -t: still 65 at once (timeout(1) ends a wait: 124)
	ipcctl mq send "$Q" ab
	run -65 --separate-stderr timeout 10 "$IPCCTL" mq send "$Q" 12345
	assert_diag "$too"
	run -65 --separate-stderr timeout 10 "$IPCCTL" mq send "$Q" c 12345
	assert_diag "$too"
	assert_messages "$Q" 2
	run -0 --separate-stderr ipcctl mq receive "$Q" -n 2 -t 0
	assert_equal "$output" $'1234\nab'
	assert_messages "$Q" 0
}

# mq_send_full_timeout: a full queue with -t 0 is 75 at once, with -t 0.3
# (or --timeout 300ms, stdin whole) 75 after that long; the messages that
# fitted were sent, and stderr says how many.
mq_send_full_timeout() {
	ipcctl mq create "$Q" --max-messages 2
	ipcctl mq send "$Q" a b
	run_within 0 1000 75 ipcctl mq send "$Q" -t 0 c
	assert_diag "ipcctl: mq send: $Q: Resource temporarily unavailable"
	run_within 250 2000 75 ipcctl mq send "$Q" -t 0.3 c
	assert_diag "ipcctl: mq send: $Q: timed out"
	printf c >c
	run_within 250 2000 75 ipcctl mq send "$Q" --timeout 300ms <c
	assert_diag "ipcctl: mq send: $Q: timed out"
	assert_messages "$Q" 2
	run -0 --separate-stderr ipcctl mq receive "$Q" -n 2
	assert_equal "$output" $'a\nb'
	assert_messages "$Q" 0
	# the messages that fitted were sent, and stderr says how many
	run -75 --separate-stderr ipcctl mq send "$Q" -t 0 x y z
	assert_equal "$output" ""
	assert_equal "$stderr" "ipcctl: mq send: $Q: 2 messages sent before this one
ipcctl: mq send: $Q: Resource temporarily unavailable"
	run -0 --separate-stderr ipcctl mq receive "$Q" -n 2 -t 0
	assert_equal "$output" $'x\ny'
	assert_messages "$Q" 0
}

# mq_send_waits [SEND_OPTION...]: on a full queue, send waits until a
# receive makes room.
mq_send_waits() {
	ipcctl mq create "$Q" --max-messages 1
	ipcctl mq send "$Q" first
	local pid st=0
	wait_mark
	"$IPCCTL" mq send "$Q" "$@" second >out 2>err 3>&- &
	pid=$!
	bg_track "$pid"
	wait_waiting "$pid" poll
	assert_messages "$Q" 1
	run -0 --separate-stderr ipcctl mq receive "$Q"
	assert_equal "$output" first
	wait "$pid" || st=$?
	assert_equal "$st" 0 "send's status"
	assert_equal "$(cat out err)" ""
	run -0 --separate-stderr ipcctl mq receive "$Q" -t 0
	assert_equal "$output" second
	assert_messages "$Q" 0
}

# mq_receive_empty_timeout: an empty queue with -t 0 is 75 at once, with
# -t 0.3 or --timeout 300ms 75 after that long.
mq_receive_empty_timeout() {
	ipcctl mq create "$Q"
	run_within 0 1000 75 ipcctl mq receive "$Q" -t 0
	assert_diag "ipcctl: mq receive: $Q: Resource temporarily unavailable"
	run_within 250 2000 75 ipcctl mq receive "$Q" -t 0.3
	assert_diag "ipcctl: mq receive: $Q: timed out"
	run_within 250 2000 75 ipcctl mq receive "$Q" --timeout 300ms -n 2
	assert_diag "ipcctl: mq receive: $Q: timed out"
	mq_settled
}

# mq_receive_fewer: -n COUNT with fewer messages and -t 0: what was
# received is written, then 75.
mq_receive_fewer() {
	ipcctl mq create "$Q"
	ipcctl mq send "$Q" m1 m2
	run -75 --separate-stderr ipcctl mq receive "$Q" -n 3 -t 0
	assert_equal "$output" $'m1\nm2'
	assert_equal "$stderr" \
	    "ipcctl: mq receive: $Q: Resource temporarily unavailable"
	assert_messages "$Q" 0
	mq_settled
}

# mq_receive_waits: while the queue is empty, receive waits; a message
# sent ends the wait.
mq_receive_waits() {
	ipcctl mq create "$Q"
	local pid st=0
	wait_mark
	"$IPCCTL" mq receive "$Q" -P >out 2>err 3>&- &
	pid=$!
	bg_track "$pid"
	wait_waiting "$pid" poll
	ipcctl mq send "$Q" -p 2 arrived
	wait "$pid" || st=$?
	assert_equal "$st" 0 "receive's status"
	assert_equal "$(cat out)" $'2\tarrived'
	assert_equal "$(cat err)" ""
	assert_messages "$Q" 0
	mq_settled
}

# mq_follow_term LINES AT REST_TIMEOUT: receive --follow, a sender of
# LINES lines going on, ended by SIGTERM once AT lines are out: 143, whole
# lines only, every message taken written; the rest (taken with -f -t
# REST_TIMEOUT) is still on the queue.
mq_follow_term() {
	ipcctl mq create "$Q" --max-messages 8 --message-size 16
	seq 1 "$1" >all
	"$IPCCTL" mq send "$Q" --lines <all 2>send-err 3>&- &
	local spid=$! rpid st=0
	bg_track "$spid"
	"$IPCCTL" mq receive "$Q" --follow >out 2>err 3>&- &
	rpid=$!
	bg_track "$rpid"
	# stopped in the middle of the stream
	wait_for has_lines out "$2"
	kill -TERM "$rpid"
	wait "$rpid" || st=$?
	assert_equal "$st" 143 "receive's status"
	assert_equal "$(cat err)" ""
	# whole lines only, and the rest is still on the queue
	assert_equal "$(tail -c 1 out | od -An -c | tr -d ' ')" '\n'
	mq_settled
	run -75 --separate-stderr bash -c \
	    '"$IPCCTL" mq receive "$1" -f -t "$2" >rest' _ "$Q" "$3"
	assert_equal "$stderr" "ipcctl: mq receive: $Q: timed out"
	st=0
	wait "$spid" || st=$?
	assert_equal "$st" 0 "send's status"
	assert_equal "$(cat send-err)" ""
	cat out rest | sort -n | cmp - all
	assert_messages "$Q" 0
	mq_settled
}

# receive_to_full COUNT [RECEIVE_OPTION...]: receive into /dev/full: 74,
# the messages it took put back: COUNT on the queue, none held.
receive_to_full() {
	local count=$1
	shift
	run -74 --separate-stderr bash -c \
	    'q=$1; shift; "$IPCCTL" mq receive "$q" "$@" >/dev/full' _ "$Q" "$@"
	assert_diag "ipcctl: mq receive: stdout: No space left on device (the messages not written were put back)"
	assert_messages "$Q" "$count"
	mq_settled
}

# mq_receive_dev_full: receive >/dev/full: 74, and the messages taken are
# back on the queue, with their priorities.
mq_receive_dev_full() {
	[ -w /dev/full ] || skip "no /dev/full"
	ipcctl mq create "$Q"
	ipcctl mq send "$Q" only
	receive_to_full 1
	run -0 --separate-stderr ipcctl mq receive "$Q"
	assert_equal "$output" only

	# several: all back, with their priorities
	ipcctl mq send "$Q" -p 2 hi1 hi2
	ipcctl mq send "$Q" lo
	receive_to_full 3 -n 3 --json
	run -0 --separate-stderr ipcctl mq receive "$Q" -n 3 -P
	assert_equal "$output" $'2\thi1\n2\thi2\n0\tlo'
}

# mq_put_back_order: the messages put back go to the end of their
# priority's line.
mq_put_back_order() {
	[ -w /dev/full ] || skip "no /dev/full"
	ipcctl mq create "$Q"
	ipcctl mq send "$Q" m1 m2 m3 m4 m5 m6
	ipcctl mq send "$Q" -p 1 high
	receive_to_full 7 -n 5
	run -0 --separate-stderr ipcctl mq receive "$Q" -n 7 -P
	assert_equal "$output" $'1\thigh\n0\tm5\n0\tm6\n0\tm1\n0\tm2\n0\tm3\n0\tm4'
	assert_equal "$stderr" ""
	assert_messages "$Q" 0
}

# mq_stdout_closed: a closed stdout is 74 before anything is taken.
mq_stdout_closed() {
	ipcctl mq create "$Q"
	ipcctl mq send "$Q" m1 m2
	run -74 --separate-stderr bash -c '"$IPCCTL" mq receive "$1" >&-' _ "$Q"
	assert_diag "ipcctl: mq receive: stdout: Bad file descriptor"
	run -74 --separate-stderr bash -c \
	    '"$IPCCTL" mq receive "$1" -n 5 >&-' _ "$Q"
	assert_diag "ipcctl: mq receive: stdout: Bad file descriptor"
	run -74 --separate-stderr bash -c '"$IPCCTL" mq receive "$1" -f >&-' \
	    _ "$Q"
	assert_diag "ipcctl: mq receive: stdout: Bad file descriptor"
	assert_messages "$Q" 2
	mq_settled
	# nothing was taken and put back: the order is unchanged
	run -0 --separate-stderr ipcctl mq receive "$Q" -n 2
	assert_equal "$output" $'m1\nm2'
}

# mq_reader_gone_before: a pipe whose reader has gone before receive
# starts is 74 before anything is taken.
mq_reader_gone_before() {
	ipcctl mq create "$Q"
	ipcctl mq send "$Q" m1 m2 m3 m4 m5
	# the reader closes its end before receive starts
	run -74 --separate-stderr bash -c 'set -o pipefail
	    { while [ ! -e gone ]; do sleep 0.01; done
	      exec "$IPCCTL" mq receive "$1" -n 5; } |
	    { exec 0<&-; : >gone; }' _ "$Q"
	assert_diag "ipcctl: mq receive: stdout: Broken pipe"
	assert_messages "$Q" 5
	mq_settled
	run -0 --separate-stderr ipcctl mq receive "$Q" -n 5
	assert_equal "$output" $'m1\nm2\nm3\nm4\nm5'
}

# notify_on_send MESSAGE [NOTIFY_ARG...]: "mq notify Q NOTIFY_ARG..." in
# the background (its output in out and err) waits until MESSAGE is sent;
# NOTIFIED is its status.
notify_on_send() {
	local msg=$1 pid
	shift
	wait_mark
	"$IPCCTL" mq notify "$Q" "$@" >out 2>err 3>&- &
	pid=$!
	bg_track "$pid"
	wait_waiting "$pid" notify
	ipcctl mq send "$Q" "$msg"
	NOTIFIED=0
	wait "$pid" || NOTIFIED=$?
}

# mq_notify_timeout: on an empty queue notify -t 0 is 75 at once, -t 0.2
# 75 after that long, COMMAND not run; the registration ends with it.
mq_notify_timeout() {
	ipcctl mq create "$Q"
	run_within 150 2000 75 ipcctl mq notify "$Q" -t 0.2
	assert_diag "ipcctl: mq notify: $Q: timed out"
	run -75 --separate-stderr ipcctl mq notify "$Q" -t 0
	assert_diag "ipcctl: mq notify: $Q: Resource temporarily unavailable"
	run -75 --separate-stderr ipcctl mq notify "$Q" -t 0.2 touch ran
	assert_diag "ipcctl: mq notify: $Q: timed out"
	[ ! -e ran ] || fail "notify ran its command"
	# the registration ended with it: another notify may wait
	notify_on_send x -t 1m
	assert_equal "$NOTIFIED" 0 "notify's status"
	assert_equal "$(cat out err)" ""
	assert_messages "$Q" 1
}

# mq_notify_command: notify COMMAND runs COMMAND once the queue holds a
# message (at once if it does), taking nothing, and returns its status;
# 126 and 127 as for env(1).
mq_notify_command() {
	ipcctl mq create "$Q"
	ipcctl mq send "$Q" there
	run -7 --separate-stderr ipcctl mq notify "$Q" -- sh -c 'echo ran; exit 7'
	assert_equal "$output" ran
	assert_equal "$stderr" ""
	run -0 --separate-stderr ipcctl mq notify "$Q" -t 0
	assert_equal "$output$stderr" ""
	# without "--"; COMMAND's options are its own
	run -0 --separate-stderr ipcctl mq notify "$Q" -t 5 \
	    sh -c 'printf "%s\n" "$@"' sh -t 0 --help
	assert_equal "$output" $'-t\n0\n--help'
	assert_equal "$stderr" ""
	# (a PATH of searchable directories: execvp(3) says EACCES, 126, where
	# one is not, as for env(1))
	run -127 --separate-stderr env PATH=/usr/bin:/bin \
	    "$IPCCTL" mq notify "$Q" -- "no-such-command-$$"
	assert_diag "ipcctl: mq notify: no-such-command-$$: No such file or directory"
	run -127 --separate-stderr ipcctl mq notify "$Q" ./no-such-file
	assert_diag "ipcctl: mq notify: ./no-such-file: No such file or directory"
	printf '#!/bin/sh\n' >notexec
	chmod 0644 notexec
	run -126 --separate-stderr ipcctl mq notify "$Q" ./notexec
	assert_diag "ipcctl: mq notify: ./notexec: Permission denied"
	assert_messages "$Q" 1

	# and once a message arrives
	ipcctl mq receive "$Q" >/dev/null
	notify_on_send now -- sh -c 'echo woke; exit 3'
	assert_equal "$NOTIFIED" 3 "notify's status"
	assert_equal "$(cat out)" woke
	assert_equal "$(cat err)" ""
	assert_messages "$Q" 1
	run -0 --separate-stderr ipcctl mq receive "$Q" -t 0
	assert_equal "$output" now
}

# mq_missing: a missing queue is 66 for every verb that opens one; nothing
# is made, no COMMAND run.
mq_missing() {
	run -66 --separate-stderr ipcctl mq send "$Q" x
	assert_diag "ipcctl: mq send: $Q: No such file or directory"
	run -66 --separate-stderr ipcctl mq send "$Q" -t 0 x
	assert_diag "ipcctl: mq send: $Q: No such file or directory"
	run -66 --separate-stderr ipcctl mq send "$Q" --lines </dev/null
	assert_diag "ipcctl: mq send: $Q: No such file or directory"
	run -66 --separate-stderr ipcctl mq receive "$Q"
	assert_diag "ipcctl: mq receive: $Q: No such file or directory"
	run -66 --separate-stderr ipcctl mq receive "$Q" -t 0 -f
	assert_diag "ipcctl: mq receive: $Q: No such file or directory"
	run -66 --separate-stderr ipcctl mq info "$Q"
	assert_diag "ipcctl: mq info: $Q: No such file or directory"
	run -66 --separate-stderr ipcctl mq info "$Q" --json
	assert_diag "ipcctl: mq info: $Q: No such file or directory"
	run -66 --separate-stderr ipcctl mq notify "$Q" -t 0 touch ran
	assert_diag "ipcctl: mq notify: $Q: No such file or directory"
	run -66 --separate-stderr ipcctl mq notify "$Q" -- touch ran
	assert_diag "ipcctl: mq notify: $Q: No such file or directory"
	[ ! -e ran ] || fail "notify ran its command"
	run -66 --separate-stderr ipcctl mq unlink "$Q"
	assert_diag "ipcctl: mq unlink: $Q: No such file or directory"
	assert_no_objects
}

# mq_slow_reader_signal SIG STATUS: receive -f blocked in a write to a
# slow reader, ended by SIG: STATUS (128 plus SIG's number), and the
# messages not yet written are put back (ipcctl-mq(1), NO MESSAGE IS LOST).
mq_slow_reader_signal() {
	local i pad pid reader st=0
	ipcctl mq create "$Q" --max-messages 10 --message-size 8192
	# 10 lines of 8000 bytes and a newline: 80010 bytes, more than the
	# 64 KiB a pipe holds, so receive blocks in write(2).
	pad=$(head -c 7997 /dev/zero | tr '\0' x)
	for i in 0 1 2 3 4 5 6 7 8 9; do
		printf 'm%02d%s\n' "$i" "$pad"
	done >all
	rm -f fifo go got got.whole rest err
	mkfifo fifo
	ipcctl mq send "$Q" --lines <all
	assert_messages "$Q" 10
	# The reader opens the FIFO at once, and reads only after "go"
	# (10 s at most).
	(i=0
	 while [ ! -e go ] && [ "$i" -lt 1000 ]; do
		sleep 0.01
		i=$((i + 1))
	 done
	 exec cat) <fifo >got 3>&- &
	reader=$!
	bg_track "$reader"
	"$IPCCTL" mq receive "$Q" -f >fifo 2>err 3>&- &
	pid=$!
	bg_track "$pid"
	wait_for is_waiting "$pid" '*pipe*'
	mq_holding
	kill -"$1" "$pid"
	wait_for gone "$pid"
	wait "$pid" || st=$?
	assert_equal "$st" "$2" "receive's status after SIG$1"
	assert_equal "$(cat err)" "" "receive's stderr"
	mq_settled
	: >go
	wait_for gone "$reader"
	wait "$reader"
	run -75 --separate-stderr bash -c \
	    '"$IPCCTL" mq receive "$1" -f -t 0 >rest' _ "$Q"
	assert_diag "ipcctl: mq receive: $Q: Resource temporarily unavailable"
	assert_delivered all got rest
	assert_messages "$Q" 0
	mq_settled
}
