#!/usr/bin/env bats
# ipcctl sem holders, recover, --holder, --recover (ipcctl-sem(1): holders,
# recover). Every test states the exact exit status and the exact output.

load helpers

# The ledger inside /dev/shm/sem.NAME (src/local/ledger.c):
# a 64-byte head (magic "ipcctlH1", uint32 slot count) at LEDGER_OFF, then
# 256-byte slots: int32 pid, uint32 pad, uint64 start, int64 since,
# char command[232].
LEDGER_OFF=4096
LEDGER_HEAD=64
SLOT_SIZE=256
SLOT_START=8			# offset of "start" in a slot
COMMAND_MAX=207			# command[208] with its NUL

UNTRACKED='untracked: no holder was ever recorded (sem run and --holder record them)'

# bg_sleep: start a long "sleep 300" to stand for a script; sets SLEEP_PID.
# Waits until it is sleep (no longer the forked shell) so that its command
# line is known.
bg_sleep() {
	sleep 300 3>&- &
	SLEEP_PID=$!
	bg_track "$SLEEP_PID"
	wait_exec "$SLEEP_PID" sleep
}

# wait_exec PID COMM: wait until PID has executed COMM.
wait_exec() {
	wait_for is_comm "$1" "$2"
}

# has_child PID: PID has a child; its pid goes to CHILD.
has_child() {
	CHILD=$(run_child "$1")
	CHILD=${CHILD//[[:space:]]/}
	[ -n "$CHILD" ]
}

# holders_table PID STATE SINCE COMMAND: what "holders" prints for one row.
holders_table() {
	local pw=${#1} sw=${#3}
	((pw < 3)) && pw=3
	((sw < 5)) && sw=5
	printf '%*s %-5s %-*s %s\n' "$pw" PID STATE "$sw" SINCE COMMAND
	printf '%*s %-5s %-*s %s' "$pw" "$1" "$2" "$sw" "$3" "$4"
}

# since_of NAME [ROW]: the SINCE of a row of "holders --json".
since_of() {
	"$IPCCTL" sem holders "$1" --json | jq -r ".holders[${2:-0}].since"
}

# assert_recent SINCE: a SINCE within 60 s of now.
assert_recent() {
	local t now
	t=$(date -d "$1" +%s) || fail "not a time: $1" || return 1
	now=$(date +%s)
	((t <= now + 1 && t >= now - 60)) ||
	    fail "since $1 is not now ($(date -d "@$now" +%FT%T%z))"
}

# The ledger's head: "MAGIC NSLOTS"; "- 0" where there is none.
ledger_head() {
	local f magic n
	f=$(sem_file "$1")
	magic=$(dd if="$f" bs=1 skip="$LEDGER_OFF" count=8 2>/dev/null)
	n=$(od -An -t u4 -j $((LEDGER_OFF + 8)) -N 4 "$f" | tr -d ' ')
	[ "$magic" = ipcctlH1 ] || { echo "- 0"; return 0; }
	printf '%s %s\n' "$magic" "$n"
}

# slot_field NAME SLOT OFFSET TYPE: one field of a ledger slot, as od reads.
slot_field() {
	od -An -t "$4" -j $((LEDGER_OFF + LEDGER_HEAD + $2 * SLOT_SIZE + $3)) \
	    -N "${4:1}" "$(sem_file "$1")" | tr -d ' '
}

# put_le NAME OFFSET BYTES VALUE: write VALUE, little-endian, in BYTES
# bytes at OFFSET of semaphore NAME's file, in place.
put_le() {
	local v=$4 i esc=
	for ((i = 0; i < $3; i++)); do
		esc+=$(printf '\\%03o' $((v & 255)))
		v=$((v >> 8))
	done
	# shellcheck disable=SC2059
	printf "$esc" | dd of="$(sem_file "$1")" bs=1 conv=notrunc \
	    seek="$2" status=none
}

# set_slot_start NAME SLOT VALUE: overwrite a slot's start time in place.
set_slot_start() {
	put_le "$1" $((LEDGER_OFF + LEDGER_HEAD + $2 * SLOT_SIZE + SLOT_START)) \
	    8 "$3"
}

# run_sleeping NAME SECONDS [OPTION...]: "sem run NAME OPTION... -- sleep
# SECONDS" in the background, once its sleep runs: RUN_PID is sem run's
# pid, GUARD its guard's, CHILD the sleep's. RUN_WRAP, if set, is a
# command that runs the sleep (env --ignore-signal=TERM).
run_sleeping() {
	local name=$1 secs=$2
	shift 2
	# shellcheck disable=SC2086
	"$IPCCTL" sem run "$name" "$@" -- ${RUN_WRAP:-} sleep "$secs" 3>&- &
	RUN_PID=$!
	bg_track "$RUN_PID"
	wait_for has_child "$RUN_PID"
	orphan_track "$CHILD"
	wait_exec "$CHILD" sleep
	GUARD=$(ps -o ppid= -p "$CHILD")
	GUARD=${GUARD//[[:space:]]/}
}

# run_killed NAME: "sem run NAME -- sleep 30" with its guard and COMMAND
# killed by SIGKILL at once, as "pkill -9" would: nobody is left to give
# the token back (ipcctl-sem(1), sem run), so the entry stays for recover.
# Sets KILLED_PID to ipcctl's pid.
run_killed() {
	local st=0
	run_sleeping "$1" 30
	KILLED_PID=$RUN_PID
	kill -KILL "$RUN_PID" "$GUARD" "$CHILD"
	wait "$KILLED_PID" || st=$?
	assert_equal "$st" 137 "status of the killed sem run" || return 1
	wait_for gone "$CHILD" && wait_for holder_dead "$1"
}

# holder_dead NAME: the first holder of NAME is dead.
holder_dead() {
	"$IPCCTL" sem holders "$1" --json 2>/dev/null |
	    jq -e '.holders[0].state == "dead"' >/dev/null
}

# ------------------------------------------------------------- untracked

# assert_untracked: after "run --separate-stderr ipcctl sem holders $N"
# (plain or -r): the header alone on stdout, the note on stderr.
assert_untracked() {
	assert_equal "$output" "PID STATE SINCE COMMAND" "stdout" &&
	assert_equal "$stderr" "ipcctl: sem holders: $N: $UNTRACKED" "stderr"
}

@test "holders: never used with run or --holder: untracked note, exit 0" {
	need_jq
	ipcctl sem create "$N" -v 1
	run -0 --separate-stderr ipcctl sem holders "$N"
	assert_untracked
	run -0 --separate-stderr ipcctl sem holders "$N" --json
	assert_equal "$stderr" "ipcctl: sem holders: $N: $UNTRACKED"
	assert_equal "$(jq -c . <<<"$output")" '{"holders":[]}'
	jq -e '.holders | length == 0' <<<"$output" >/dev/null
	run -0 --separate-stderr ipcctl sem holders "$N" -r
	assert_untracked
	run -0 --separate-stderr ipcctl sem holders "$N" --pairs
	assert_diag "ipcctl: sem holders: $N: $UNTRACKED"
}

@test "holders: none left prints the header; --json an empty array" {
	ipcctl sem create "$N" -v 1
	ipcctl sem acquire "$N" --holder $$
	ipcctl sem release "$N" --holder $$
	run -0 --separate-stderr ipcctl sem holders "$N"
	assert_equal "$output$stderr" "PID STATE SINCE COMMAND"
	run -0 --separate-stderr ipcctl sem holders "$N" -r
	assert_equal "$output$stderr" "PID STATE SINCE COMMAND"
	run -0 --separate-stderr ipcctl sem holders "$N" -J
	assert_equal "$stderr" ""
	assert_equal "$(jq -c . <<<"$output")" '{"holders":[]}'
	run -0 --separate-stderr ipcctl sem holders "$N" --pairs
	assert_equal "$output$stderr" ""
}

@test "plain acquire and release touch no ledger" {
	ipcctl sem create "$N" -v 2
	local size
	size=$(stat -c %s "$(sem_file "$N")")
	ipcctl sem acquire "$N"
	ipcctl sem acquire "$N" -t 0
	ipcctl sem release "$N" -n 2
	assert_value "$N" 2
	assert_equal "$(stat -c %s "$(sem_file "$N")")" "$size" "file size"
	assert_equal "$(ledger_head "$N")" "- 0"
	run -0 --separate-stderr ipcctl sem holders "$N"
	assert_untracked
	# recover on an untracked semaphore: nothing to do, nothing made.
	run -0 --separate-stderr ipcctl sem recover "$N"
	assert_equal "$output$stderr" ""
	assert_equal "$(stat -c %s "$(sem_file "$N")")" "$size" "file size"
	assert_value "$N" 2
}

@test "holders on a missing semaphore: exit 66" {
	run -66 --separate-stderr ipcctl sem holders "$N"
	assert_diag "ipcctl: sem holders: $N: No such file or directory"
	run -66 --separate-stderr ipcctl sem recover "$N"
	assert_diag "ipcctl: sem recover: $N: No such file or directory"
	assert_no_objects
}

# ------------------------------------------------------------------- run

@test "run is a holder while COMMAND runs, and is gone after" {
	need_jq
	ipcctl sem create "$N" -v 1
	local cmd=': >ready; while [ ! -e go ]; do sleep 0.02; done; echo done'
	"$IPCCTL" sem run "$N" -- sh -c "$cmd" >out 2>err 3>&- &
	local pid=$! since st=0
	bg_track "$pid"
	wait_for test -e ready
	assert_value "$N" 0

	run -0 --separate-stderr ipcctl sem holders "$N" --json
	assert_equal "$stderr" ""
	assert_equal "$(jq -c '.holders[] | [.pid, .state, .command]' \
	    <<<"$output")" "[$pid,\"alive\",\"sh -c $cmd\"]"
	since=$(jq -r '.holders[0].since' <<<"$output")
	assert_recent "$since"

	run -0 --separate-stderr ipcctl sem holders "$N"
	assert_equal "$stderr" ""
	assert_equal "$output" "$(holders_table "$pid" alive "$since" \
	    "sh -c $cmd")"
	run -0 --separate-stderr ipcctl sem holders "$N" --pairs
	assert_equal "$stderr" ""
	assert_equal "$output" "PID=\"$pid\" STATE=\"alive\" SINCE=\"$since\" COMMAND=\"sh -c $cmd\""
	# Alive: recover leaves it alone.
	run -0 --separate-stderr ipcctl sem recover "$N"
	assert_equal "$output$stderr" ""
	assert_value "$N" 0

	: >go
	wait "$pid" || st=$?
	assert_equal "$st" 0 "run's status"
	assert_equal "$(cat out)" "done"
	assert_equal "$(cat err)" ""
	assert_value "$N" 1

	# A tracked, empty ledger: the header alone, no note on stderr.
	run -0 --separate-stderr ipcctl sem holders "$N"
	assert_equal "$output$stderr" "PID STATE SINCE COMMAND"
	run -0 --separate-stderr ipcctl sem holders "$N" -r
	assert_equal "$output$stderr" "PID STATE SINCE COMMAND"
	run -0 --separate-stderr ipcctl sem holders "$N" --json
	assert_equal "$stderr" ""
	jq -e '.holders | length == 0' <<<"$output" >/dev/null
	assert_equal "$(ledger_head "$N")" "ipcctlH1 1"
	assert_equal "$(slot_field "$N" 0 0 d4)" 0 "pid of the freed slot"
}

@test "run records the pid of the ipcctl process, COMMAND's guard's parent" {
	ipcctl sem create "$N" -v 1
	run -0 --separate-stderr ipcctl sem run "$N" -- sh -c \
	    'ps -o ppid= -p $PPID; "$IPCCTL" sem holders "$1" -r' sh "$N"
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 3 "lines: $output"
	local ppid=${lines[0]//[[:space:]]/}
	assert_equal "${lines[1]}" "PID STATE SINCE COMMAND"
	[[ ${lines[2]} =~ ^$ppid\ alive\ [0-9T:+-]+\ sh\\x20-c\\x20 ]] ||
	    fail "not ipcctl's own pid $ppid: ${lines[2]}"
	assert_value "$N" 1
	run -0 --separate-stderr ipcctl sem holders "$N"
	assert_equal "$output$stderr" "PID STATE SINCE COMMAND"
}

@test "run: a recorded COMMAND is cut to 207 bytes" {
	need_jq
	ipcctl sem create "$N" -v 1
	local long
	long=$(printf 'x%.0s' {1..300})
	run -0 --separate-stderr ipcctl sem run "$N" -- sh -c \
	    '"$IPCCTL" sem holders "$1" --json' sh "$N" "$long"
	assert_equal "$stderr" ""
	local full="sh -c \"\$IPCCTL\" sem holders \"\$1\" --json sh $N $long"
	assert_equal "$(jq -r '.holders[0].command' <<<"$output")" \
	    "${full:0:COMMAND_MAX}"
}

# --------------------------------------------------------------- --holder

@test "acquire --holder PID records PID with its command line" {
	need_jq
	ipcctl sem create "$N" -v 2
	bg_sleep
	run -0 --separate-stderr ipcctl sem acquire "$N" --holder "$SLEEP_PID"
	assert_equal "$output$stderr" ""
	assert_value "$N" 1
	run -0 --separate-stderr ipcctl sem holders "$N" --json
	assert_equal "$stderr" ""
	assert_equal "$(jq -c '.holders[] | [.pid, .state, .command]' \
	    <<<"$output")" "[$SLEEP_PID,\"alive\",\"sleep 300\"]"
	local since
	since=$(jq -r '.holders[0].since' <<<"$output")
	assert_recent "$since"
	run -0 --separate-stderr ipcctl sem holders "$N"
	assert_equal "$stderr" ""
	assert_equal "$output" "$(holders_table "$SLEEP_PID" alive "$since" \
	    "sleep 300")"
	# The slot names the process by pid and start time.
	assert_equal "$(ledger_head "$N")" "ipcctlH1 1"
	assert_equal "$(slot_field "$N" 0 0 d4)" "$SLEEP_PID" "slot pid"
	assert_equal "$(slot_field "$N" 0 "$SLOT_START" u8)" \
	    "$(proc_start "$SLEEP_PID")" "slot start"
}

@test "release --holder PID removes its entry and gives the token back" {
	need_jq
	ipcctl sem create "$N" -v 2
	bg_sleep
	local other=$SLEEP_PID
	bg_sleep
	ipcctl sem acquire "$N" --holder "$other"
	ipcctl sem acquire "$N" --holder "$SLEEP_PID"
	assert_value "$N" 0
	run -0 --separate-stderr ipcctl sem release "$N" --holder "$SLEEP_PID"
	assert_equal "$output$stderr" ""
	assert_value "$N" 1
	run -0 --separate-stderr ipcctl sem holders "$N" --json
	assert_equal "$(jq -c '[.holders[].pid]' <<<"$output")" "[$other]"
	run -0 --separate-stderr ipcctl sem release "$N" --holder "$other"
	assert_equal "$output$stderr" ""
	assert_value "$N" 2
	run -0 --separate-stderr ipcctl sem holders "$N"
	assert_equal "$output$stderr" "PID STATE SINCE COMMAND"
}

@test "release --holder PID that holds nothing: exit 66, value unchanged" {
	ipcctl sem create "$N" -v 1
	bg_sleep
	# Untracked semaphore.
	run -66 --separate-stderr ipcctl sem release "$N" --holder "$SLEEP_PID"
	assert_diag "ipcctl: sem release: $N: pid $SLEEP_PID holds no token of it"
	assert_value "$N" 1
	# Tracked, but by another pid.
	ipcctl sem acquire "$N" --holder "$SLEEP_PID"
	run -66 --separate-stderr ipcctl sem release "$N" --holder "$$"
	assert_diag "ipcctl: sem release: $N: pid $$ holds no token of it"
	assert_value "$N" 0
	# A pid that does not exist holds nothing either.
	run -66 --separate-stderr ipcctl sem release "$N" --holder 2147483647
	assert_diag "ipcctl: sem release: $N: pid 2147483647 holds no token of it"
	assert_value "$N" 0
	# More than it holds: those it holds, then 66.
	run -66 --separate-stderr ipcctl sem release "$N" --holder \
	    "$SLEEP_PID" -n 2
	assert_diag "ipcctl: sem release: $N: pid $SLEEP_PID held only 1 of the 2 tokens; released those"
	assert_value "$N" 1
	run -0 --separate-stderr ipcctl sem holders "$N"
	assert_equal "$output$stderr" "PID STATE SINCE COMMAND"
}

@test "acquire --holder with no such process: exit 64, nothing taken" {
	ipcctl sem create "$N" -v 1
	local size
	size=$(stat -c %s "$(sem_file "$N")")
	run -64 --separate-stderr ipcctl sem acquire "$N" --holder 2147483647
	assert_usage_error "ipcctl: sem acquire: holder 2147483647: no such process" \
	    sem acquire
	run -64 --separate-stderr ipcctl sem acquire "$N" --holder 0
	assert_usage_error "ipcctl: sem acquire: holder 0: too small" \
	    sem acquire
	run -64 --separate-stderr ipcctl sem acquire "$N" --holder x
	assert_equal "$output" ""
	assert_value "$N" 1
	assert_equal "$(stat -c %s "$(sem_file "$N")")" "$size" "file size"
}

@test "acquire --holder interrupted while it waits records nothing" {
	ipcctl sem create "$N" -v 0
	bg_sleep
	"$IPCCTL" sem acquire "$N" --holder "$SLEEP_PID" >out 2>err 3>&- &
	local pid=$! st=0
	bg_track "$pid"
	wait_blocked "$pid"
	kill -TERM "$pid"
	wait "$pid" || st=$?
	assert_equal "$st" 143 "acquire's status"
	assert_equal "$(cat out err)" ""
	assert_value "$N" 0
	run -66 --separate-stderr ipcctl sem release "$N" --holder "$SLEEP_PID"
	assert_diag "ipcctl: sem release: $N: pid $SLEEP_PID holds no token of it"
	assert_value "$N" 0
}

# ---------------------------------------------------------------- recover

@test "sem run killed by SIGKILL: a dead entry that recover gives back" {
	need_jq
	ipcctl sem create "$N" -v 1
	run_killed "$N"
	local pid=$KILLED_PID since
	assert_value "$N" 0
	run -0 --separate-stderr ipcctl sem holders "$N" --json
	assert_equal "$(jq -c '.holders[] | [.pid, .state, .command]' \
	    <<<"$output")" "[$pid,\"dead\",\"sleep 30\"]"
	since=$(jq -r '.holders[0].since' <<<"$output")
	assert_recent "$since"
	run -0 --separate-stderr ipcctl sem holders "$N"
	assert_equal "$stderr" ""
	assert_equal "$output" "$(holders_table "$pid" dead "$since" "sleep 30")"

	run -0 --separate-stderr ipcctl sem recover "$N"
	assert_equal "$stderr" ""
	[[ $output =~ ^$N:\ recovered\ the\ token\ of\ pid\ $pid,\ dead,\ held\ since\ [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{4}:\ sleep\ 30$ ]] ||
	    fail "recover printed: $output"
	assert_equal "$output" \
	    "$N: recovered the token of pid $pid, dead, held since $since: sleep 30"
	assert_value "$N" 1
	run -0 --separate-stderr ipcctl sem holders "$N"
	assert_equal "$output$stderr" "PID STATE SINCE COMMAND"
	# Once is enough: a second recover finds nothing.
	run -0 --separate-stderr ipcctl sem recover "$N"
	assert_equal "$output$stderr" ""
	assert_value "$N" 1
}

@test "recover gives back every dead holder's token, and no live one's" {
	need_jq
	ipcctl sem create "$N" -v 3
	local dead1 dead2 st
	sleep 300 3>&- &
	dead1=$!
	wait_exec "$dead1" sleep
	ipcctl sem acquire "$N" --holder "$dead1"
	sleep 300 3>&- &
	dead2=$!
	wait_exec "$dead2" sleep
	ipcctl sem acquire "$N" --holder "$dead2"
	bg_sleep
	ipcctl sem acquire "$N" --holder "$SLEEP_PID"
	kill -KILL "$dead1" "$dead2"
	wait "$dead1" "$dead2" || true
	assert_value "$N" 0
	run -0 --separate-stderr ipcctl sem holders "$N" --json
	assert_equal "$(jq -c '[.holders[] | [.pid, .state]]' <<<"$output")" \
	    "[[$dead1,\"dead\"],[$dead2,\"dead\"],[$SLEEP_PID,\"alive\"]]"
	run -0 --separate-stderr ipcctl sem recover "$N"
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 2 "lines: $output"
	[[ ${lines[0]} =~ ^$N:\ recovered\ the\ token\ of\ pid\ $dead1,\ dead,\ held\ since\ [^:]+:[0-9]{2}:[0-9]{2}[+-][0-9]{4}:\ sleep\ 300$ ]] ||
	    fail "line 1: ${lines[0]}"
	[[ ${lines[1]} =~ ^$N:\ recovered\ the\ token\ of\ pid\ $dead2,\ dead,\ held\ since\ [^:]+:[0-9]{2}:[0-9]{2}[+-][0-9]{4}:\ sleep\ 300$ ]] ||
	    fail "line 2: ${lines[1]}"
	assert_value "$N" 2
	run -0 --separate-stderr ipcctl sem holders "$N" --json
	assert_equal "$(jq -c '[.holders[] | [.pid, .state]]' <<<"$output")" \
	    "[[$SLEEP_PID,\"alive\"]]"
}

@test "--recover lets the next run -t 0 proceed" {
	ipcctl sem create "$N" -v 1
	run_killed "$N"
	local pid=$KILLED_PID
	assert_value "$N" 0
	run -75 --separate-stderr ipcctl sem run "$N" -t 0 -- echo ran
	assert_diag "ipcctl: sem run: $N: timed out; held by pid $pid (dead): --recover gives its token back"
	assert_value "$N" 0
	run -0 --separate-stderr ipcctl sem run "$N" -t 0 --recover -- echo ran
	assert_equal "$output" ran
	[[ $stderr =~ ^$N:\ recovered\ the\ token\ of\ pid\ $pid,\ dead,\ held\ since\ [0-9T:+-]+:\ sleep\ 30$ ]] ||
	    fail "stderr: $stderr"
	assert_value "$N" 1
	run -0 --separate-stderr ipcctl sem holders "$N"
	assert_equal "$output$stderr" "PID STATE SINCE COMMAND"
}

@test "--recover on acquire: recovers first, then takes the token" {
	ipcctl sem create "$N" -v 1
	run_killed "$N"
	local pid=$KILLED_PID
	run -75 --separate-stderr ipcctl sem acquire "$N" -t 0
	assert_diag "ipcctl: sem acquire: $N: timed out; held by pid $pid (dead): --recover gives its token back"
	run -0 --separate-stderr ipcctl sem acquire "$N" -t 0 --recover
	assert_equal "$output" ""
	[[ $stderr =~ ^$N:\ recovered\ the\ token\ of\ pid\ $pid,\ dead,\ held\ since\ [0-9T:+-]+:\ sleep\ 30$ ]] ||
	    fail "stderr: $stderr"
	assert_value "$N" 0
	# Without --holder, the token taken is not recorded.
	run -0 --separate-stderr ipcctl sem holders "$N"
	assert_equal "$output$stderr" "PID STATE SINCE COMMAND"
	# With nothing dead, --recover says nothing.
	ipcctl sem release "$N"
	run -0 --separate-stderr ipcctl sem acquire "$N" -t 0 --recover
	assert_equal "$output$stderr" ""
	assert_value "$N" 0
}

@test "a dead holder whose pid now runs another process is still dead" {
	need_jq
	ipcctl sem create "$N" -v 1
	bg_sleep
	ipcctl sem acquire "$N" --holder "$SLEEP_PID"
	assert_value "$N" 0
	# The ledger is as expected before it is edited.
	assert_equal "$(ledger_head "$N")" "ipcctlH1 1"
	assert_equal "$(slot_field "$N" 0 0 d4)" "$SLEEP_PID" "slot pid"
	local start
	start=$(proc_start "$SLEEP_PID")
	assert_equal "$(slot_field "$N" 0 "$SLOT_START" u8)" "$start" \
	    "slot start"
	# The holder was an earlier process under the same pid: the live sleep
	# is the pid reused.
	set_slot_start "$N" 0 $((start - 1))
	assert_equal "$(slot_field "$N" 0 "$SLOT_START" u8)" $((start - 1)) \
	    "edited start"

	run -0 --separate-stderr ipcctl sem holders "$N" --json
	assert_equal "$(jq -c '.holders[] | [.pid, .state, .command]' \
	    <<<"$output")" "[$SLEEP_PID,\"dead\",\"sleep 300\"]"
	run -0 --separate-stderr ipcctl sem recover "$N"
	assert_equal "$stderr" ""
	[[ $output =~ ^$N:\ recovered\ the\ token\ of\ pid\ $SLEEP_PID,\ dead,\ held\ since\ [0-9T:+-]+:\ sleep\ 300$ ]] ||
	    fail "recover printed: $output"
	assert_value "$N" 1
	kill -0 "$SLEEP_PID" || fail "the sleep that reused the pid was killed"
	run -0 --separate-stderr ipcctl sem holders "$N"
	assert_equal "$output$stderr" "PID STATE SINCE COMMAND"
}

# ------------------------------------------------------------ concurrency

@test "concurrent runs (8 workers x 20) keep the ledger consistent" {
	need_jq
	ipcctl sem create "$N" -v 1
	echo 0 >counter
	local w i pids=() st n
	for w in 1 2 3 4 5 6 7 8; do
		(
			for ((i = 0; i < 20; i++)); do
				"$IPCCTL" sem run "$N" -- sh -c \
				    'n=$(cat counter); echo $((n + 1)) >counter' ||
				    exit 1
			done
		) 3>&- &
		pids+=($!)
		bg_track "$!"
	done
	# Meanwhile, never more than one holder on a value-1 semaphore.
	: >seen
	while kill -0 "${pids[@]}" 2>/dev/null; do
		n=$("$IPCCTL" sem holders "$N" --json 2>/dev/null |
		    jq '.holders | length') && echo "$n" >>seen
	done
	for w in "${pids[@]}"; do
		st=0
		wait "$w" || st=$?
		assert_equal "$st" 0 "worker $w"
	done
	assert_equal "$(cat counter)" 160
	assert_value "$N" 1
	run -0 --separate-stderr ipcctl sem holders "$N"
	assert_equal "$output$stderr" "PID STATE SINCE COMMAND"
	run -0 --separate-stderr ipcctl sem holders "$N" --json
	jq -e '.holders | length == 0' <<<"$output" >/dev/null
	# A slot a run, recorded from its wait on (8 at most at once), and
	# used again and again.
	local head=$(ledger_head "$N")
	[[ $head == "ipcctlH1 "[1-8] ]] || fail "ledger head: $head"
	assert_equal "$(sort -u seen | sort -n | tail -n 1)" 1 \
	    "most holders seen at once"
}

# ----------------------------------------------------------------- unlink

@test "unlink removes the ledger with the semaphore" {
	ipcctl sem create "$N" -v 2
	bg_sleep
	ipcctl sem acquire "$N" --holder "$SLEEP_PID"
	ipcctl sem run "$N" -- true
	# Slot 0 held, slot 1 used by run and freed.
	assert_equal "$(ledger_head "$N")" "ipcctlH1 2"
	run -0 --separate-stderr ipcctl sem unlink "$N"
	assert_equal "$output$stderr" ""
	assert_sem_missing "$N"
	assert_no_objects
	run -66 --separate-stderr ipcctl sem holders "$N"
	assert_diag "ipcctl: sem holders: $N: No such file or directory"
	# A semaphore made again under the name starts untracked.
	ipcctl sem create "$N" -v 1
	run -0 --separate-stderr ipcctl sem holders "$N"
	assert_untracked
}

@test "the ledger has the semaphore's permissions" {
	ipcctl sem create "$N" -v 1 -m 0640
	ipcctl sem run "$N" -- true
	assert_mode "$N" 640
	assert_equal "$(ledger_head "$N")" "ipcctlH1 1"
}

# ----------------------------------------------------------- permissions

@test "holders as user nobody on a root 0644 semaphore: readable" {
	need_unprivileged
	need_jq
	ipcctl sem create "$N" -v 1 -m 0644
	run -0 --separate-stderr as_nobody "$IPCCTL" sem holders "$N"
	assert_untracked
	bg_sleep
	ipcctl sem acquire "$N" --holder "$SLEEP_PID"
	run -0 --separate-stderr as_nobody "$IPCCTL" sem holders "$N" --json
	assert_equal "$stderr" ""
	assert_equal "$(jq -c '.holders[] | [.pid, .state, .command]' \
	    <<<"$output")" "[$SLEEP_PID,\"alive\",\"sleep 300\"]"
	# Changing the ledger needs write access.
	run -77 --separate-stderr as_nobody "$IPCCTL" sem recover "$N"
	assert_diag "ipcctl: sem recover: $N: Permission denied"
	run -77 --separate-stderr as_nobody "$IPCCTL" sem release "$N" \
	    --holder "$SLEEP_PID"
	assert_diag "ipcctl: sem release: $N: Permission denied"
	assert_value "$N" 0
}

# ------------------------------------------------ a ledger that fails
# ipcctl-sem(1), HOLDERS: the ledger lives in the semaphore's file from
# byte 4096 on, and "the token is given back if the entry cannot be made".
# A file size limit (prlimit --fsize) keeps the ledger from being written;
# ipcctl then fails with 65 (not SIGXFSZ, 153) and the semaphore is as it
# was.

need_prlimit() {
	command -v prlimit >/dev/null 2>&1 ||
	    skip "prlimit (util-linux) is not installed"
}

@test "run: a ledger past the file size limit: exit 65, COMMAND not run, token kept" {
	need_prlimit
	need_jq
	local fsize
	# 4200: the head fits, the slot does not; 4100: not even the head.
	for fsize in 4200 4100; do
		ipcctl sem create "$N" -v 1
		run -65 --separate-stderr prlimit --fsize="$fsize" "$IPCCTL" \
		    sem run "$N" -- touch marker
		assert_diag "ipcctl: sem run: $N: holders ledger: File too large" ||
		    fail "with --fsize=$fsize"
		[ ! -e marker ] || fail "COMMAND ran with --fsize=$fsize"
		assert_value "$N" 1
		run -0 --separate-stderr ipcctl sem holders "$N" --json
		jq -e '.holders | length == 0' <<<"$output" >/dev/null ||
		    fail "holders with --fsize=$fsize: $output"
		ipcctl sem unlink "$N"
	done
}

@test "acquire --holder: a ledger past the file size limit: exit 65, token kept" {
	need_prlimit
	need_jq
	local fsize
	for fsize in 4200 4100; do
		ipcctl sem create "$N" -v 1
		run -65 --separate-stderr prlimit --fsize="$fsize" "$IPCCTL" \
		    sem acquire "$N" --holder $$
		assert_diag "ipcctl: sem acquire: $N: holders ledger: File too large" ||
		    fail "with --fsize=$fsize"
		assert_value "$N" 1
		run -0 --separate-stderr ipcctl sem holders "$N" --json
		jq -e '.holders | length == 0' <<<"$output" >/dev/null ||
		    fail "holders with --fsize=$fsize: $output"
		# Nothing recorded, so nothing to give back.
		run -66 --separate-stderr ipcctl sem release "$N" --holder $$
		assert_diag "ipcctl: sem release: $N: pid $$ holds no token of it"
		assert_value "$N" 1
		ipcctl sem unlink "$N"
	done
}

# ------------------------------------------------------ a corrupt ledger
# ipcctl-sem(1), Where the ledger lives: at most 4096 slots of 256 bytes
# after a 64-byte head. A head that says otherwise, or more slots than the
# file holds, is refused with 65 and changes nothing.

# set_nslots NAME N: overwrite the ledger's slot count (uint32 LE at 4104).
set_nslots() {
	put_le "$1" $((LEDGER_OFF + 8)) 4 "$2"
}

# corrupt_ledger_checks NAME WHY: every verb that reads the ledger refuses
# it with "corrupt holders ledger: WHY"; the value stays 1.
corrupt_ledger_checks() {
	local n=$1 why="corrupt holders ledger: $2"
	run -65 --separate-stderr ipcctl sem holders "$n"
	assert_diag "ipcctl: sem holders: $n: $why" || return 1
	run -65 --separate-stderr ipcctl sem holders "$n" --json
	assert_diag "ipcctl: sem holders: $n: $why" || return 1
	run -65 --separate-stderr ipcctl sem recover "$n"
	assert_diag "ipcctl: sem recover: $n: $why" || return 1
	run -65 --separate-stderr ipcctl sem release "$n" --holder $$
	assert_diag "ipcctl: sem release: $n: $why" || return 1
	run -65 --separate-stderr ipcctl sem run "$n" -- touch ran
	assert_diag "ipcctl: sem run: $n: $why" || return 1
	[ ! -e ran ] || fail "run ran its command" || return 1
	assert_value "$n" 1
}

@test "corrupt ledger: a slot count over 4096 is refused (65), value unchanged" {
	ipcctl sem create "$N" -v 2
	ipcctl sem acquire "$N" --holder $$
	assert_value "$N" 1
	assert_equal "$(ledger_head "$N")" "ipcctlH1 1"
	set_nslots "$N" 5000
	assert_equal "$(ledger_head "$N")" "ipcctlH1 5000"
	corrupt_ledger_checks "$N" "5000 slots, at most 4096"
	assert_equal "$(ledger_head "$N")" "ipcctlH1 5000" "head after"
}

@test "corrupt ledger: more slots than the file holds is refused (65), value unchanged" {
	ipcctl sem create "$N" -v 2
	ipcctl sem acquire "$N" --holder $$
	assert_value "$N" 1
	local end=$((LEDGER_OFF + LEDGER_HEAD + SLOT_SIZE))
	assert_equal "$(stat -c %s "$(sem_file "$N")")" "$end" "file size"
	set_nslots "$N" 3
	assert_equal "$(ledger_head "$N")" "ipcctlH1 3"
	corrupt_ledger_checks "$N" "3 slots, but the file ends at byte $end"
	assert_equal "$(stat -c %s "$(sem_file "$N")")" "$end" "file size after"
}

# ------------------------------------------------- commands not UTF-8
# ipcctl-sem(1), holders: COMMAND with non-printing characters escaped,
# cut to 207 bytes. The JSON document stays valid UTF-8: a byte that is not
# UTF-8 shows as a \ooo escape, and the cut never splits a character.

# has_holder NAME PID: the first holder "holders NAME --json" lists is PID
# (the document is left in JSON).
has_holder() {
	JSON=$("$IPCCTL" sem holders "$1" --json 2>/dev/null) &&
	    [ "$(jq -r '.holders[0].pid' <<<"$JSON" 2>/dev/null)" = "$2" ]
}

# json_command NAME: "holders NAME --json" is a valid JSON document of
# valid UTF-8; $output becomes the first holder's command.
json_command() {
	run -0 --separate-stderr ipcctl sem holders "$1" --json
	assert_equal "$stderr" "" || return 1
	printf '%s\n' "$output" >doc.json
	run -0 jq -e . doc.json
	run -0 iconv -f UTF-8 -t UTF-8 doc.json
	run -0 jq -r '.holders[0].command' doc.json
}

@test "holders --json: a command that is not UTF-8 is escaped, valid JSON and UTF-8" {
	need_jq
	command -v iconv >/dev/null 2>&1 || skip "iconv is not installed"
	"$IPCCTL" sem run "$N" -c -v 1 -- sh -c 'sleep 30' $'x\xe9y' 3>&- &
	local pid=$!
	bg_track "$pid"
	wait_for has_holder "$N" "$pid"
	json_command "$N"
	assert_equal "$output" 'sh -c sleep 30 x\351y'
}

@test "holders --json: the 207-byte cut never splits a UTF-8 character" {
	need_jq
	command -v iconv >/dev/null 2>&1 || skip "iconv is not installed"
	locale -a 2>/dev/null | grep -qix 'c\.utf-\?8' || skip "no C.UTF-8 locale"
	local e prefix="sh -c sleep 300 " want i
	printf -v e 'é%.0s' {1..300}
	# 207 bytes would end in the middle of an é: the prefix is even.
	(((COMMAND_MAX - ${#prefix}) % 2 == 1)) ||
	    fail "the cut would not split a character"
	want=$prefix
	for ((i = 0; i < (COMMAND_MAX - ${#prefix}) / 2; i++)); do
		want+=é
	done
	"$IPCCTL" sem run "$N" -c -v 1 -- sh -c 'sleep 300' "$e" 3>&- &
	local pid=$!
	bg_track "$pid"
	wait_for has_holder "$N" "$pid"
	# In a UTF-8 locale the é are printed as they are (ipcctl(1), OUTPUT).
	LC_ALL=C.UTF-8 json_command "$N"
	assert_equal "$output" "$want" "command, cut before the split é"
}

# ------------------------------------------- a command never outlives it
# ipcctl-sem(1), run: a command never outlives its token, and a dead run
# gives its token back. When sem run is killed by SIGKILL, its guard ends
# COMMAND and every process it started, however they detached, and gives
# the token back itself: no recover needed.

@test "run killed by SIGKILL: COMMAND and its processes end, the token comes back by itself" {
	"$IPCCTL" sem run "$N" -c -- sh -c '
		sleep 300 & echo $! >grandchild
		setsid sh -c "echo \$\$ >detached; exec sleep 300" &
		exec sleep 300' 3>&- &
	local pid=$! child st=0
	bg_track "$pid"
	wait_for test -s grandchild
	wait_for test -s detached
	wait_for has_child "$pid"
	child=$CHILD
	orphan_track "$child"
	orphan_track "$(cat grandchild)"
	orphan_track "$(cat detached)"
	wait_exec "$child" sleep
	assert_value "$N" 0
	kill -KILL "$pid"
	wait "$pid" || st=$?
	assert_equal "$st" 137 "status of the killed sem run"
	wait_for gone "$child"
	wait_for gone "$(cat grandchild)"
	wait_for gone "$(cat detached)"
	wait_for value_is "$N" 1
	run -0 --separate-stderr ipcctl sem holders "$N"
	assert_equal "$output$stderr" "PID STATE SINCE COMMAND"
}

# value_is NAME N: the value of NAME is N.
value_is() {
	[ "$("$IPCCTL" sem value "$1" 2>/dev/null)" = "$2" ]
}

# A run records itself before it waits (so that the kernel giving it the
# token and the ledger saying so are one write apart), as a waiter, which
# holds no token: holders does not show it, and whoever removes it -- its
# guard, recover -- gives nothing back.

# run_waiting NAME: "sem run NAME -- true" waiting for a token, in the
# background: RUN_PID is its pid, GUARD its guard's.
run_waiting() {
	"$IPCCTL" sem run "$1" -- true 3>&- &
	RUN_PID=$!
	bg_track "$RUN_PID"
	wait_blocked "$RUN_PID"
	GUARD=$(kids "$RUN_PID")
	[ -n "$GUARD" ] || fail "no guard waits beside sem run $RUN_PID"
}

# kids PID: PID's children.
kids() {
	local k=
	read -r k <"/proc/$1/task/$1/children" 2>/dev/null
	echo $k
}

@test "run killed by SIGKILL while it waits: its guard gives nothing back" {
	ipcctl sem create "$N" -v 0
	run_waiting "$N"
	run -0 --separate-stderr ipcctl sem holders "$N"
	assert_equal "$output$stderr" "PID STATE SINCE COMMAND"
	local st=0
	kill -KILL "$RUN_PID"
	wait "$RUN_PID" || st=$?
	assert_equal "$st" 137 "status of the killed sem run"
	wait_for gone "$GUARD"
	assert_value "$N" 0
	run -0 --separate-stderr ipcctl sem recover "$N"
	assert_equal "$output$stderr" ""
	assert_value "$N" 0
	# Its slot is free again: one token, one run.
	ipcctl sem release "$N"
	run -0 --separate-stderr ipcctl sem run "$N" -- echo ran
	assert_equal "$output$stderr" "ran"
	assert_value "$N" 1
	assert_equal "$(ledger_head "$N")" "ipcctlH1 1"
}

@test "run and its guard killed at once while run waits: recover gives nothing back" {
	ipcctl sem create "$N" -v 0
	run_waiting "$N"
	local st=0
	kill -KILL "$RUN_PID" "$GUARD"
	wait "$RUN_PID" || st=$?
	assert_equal "$st" 137 "status of the killed sem run"
	wait_for gone "$GUARD"
	run -0 --separate-stderr ipcctl sem holders "$N"
	assert_equal "$output$stderr" "PID STATE SINCE COMMAND"
	run -0 --separate-stderr ipcctl sem recover "$N"
	assert_equal "$output$stderr" ""
	assert_value "$N" 0
}

# pkill -9 ipcctl kills run and its guard at once: COMMAND still runs,
# and the ledger counts the holder alive while it does (recover gives
# nothing back); once COMMAND is gone, recover gives the token back.
@test "run and its guard killed at once: no recover while COMMAND runs" {
	need_jq
	# The guard may see run die first and send SIGTERM before it is
	# killed itself: COMMAND ignores it, as a job busy finishing would.
	RUN_WRAP="env --ignore-signal=TERM" run_sleeping "$N" 300 -c
	local pid=$RUN_PID child=$CHILD guard=$GUARD st=0
	kill -KILL "$pid" "$guard"
	wait "$pid" || st=$?
	assert_equal "$st" 137 "status of the killed sem run"
	wait_for gone $guard
	run -0 --separate-stderr ipcctl sem recover "$N"
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr ipcctl sem holders "$N" --json
	assert_equal "$(jq -c '[.holders[] | [.pid, .state]]' <<<"$output")" \
	    "[[$pid,\"alive\"]]"
	run -75 --separate-stderr ipcctl sem run "$N" --recover -t 0 -- echo ran
	assert_diag "ipcctl: sem run: $N: timed out; held by pid $pid (alive)"
	kill -KILL "$child"
	wait_for gone "$child"
	run -0 --separate-stderr ipcctl sem run "$N" --recover -t 0 -- echo ran
	assert_equal "$output" ran
	[[ $stderr =~ ^$N:\ recovered\ the\ token\ of\ pid\ $pid,\ dead, ]] ||
	    fail "stderr: $stderr"
	assert_value "$N" 1
}
