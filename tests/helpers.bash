# Loaded by every .bats file ("load helpers"). Isolates each test: a name
# prefix of its own for every POSIX IPC object it makes, a private working
# directory, and a teardown that removes what the test made even when it
# failed.
#
# make check exports IPCCTL (the binary under test) and IPCCTL_SRCDIR.

bats_require_minimum_version 1.5.0

if [ -z "${IPCCTL:-}" ] || [ ! -x "$IPCCTL" ]; then
	echo "IPCCTL must name the ipcctl binary (got '${IPCCTL:-}')" >&2
	exit 1
fi
: "${IPCCTL_SRCDIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
export IPCCTL IPCCTL_SRCDIR

# A test that blocks by mistake fails after this long instead of hanging
# "make check"; a slow machine may raise it.
: "${BATS_TEST_TIMEOUT:=30}"

setup() {
	# Unique per file run ($$) and per test: never shared with another
	# test, another .bats file running in parallel, or another run.
	PREFIX="ipcctl-test-$$-$BATS_TEST_NUMBER-"
	N="/${PREFIX}n"			# the default object name of a test
	TRACKED="$BATS_TEST_TMPDIR/.tracked-names"
	BGPIDS="$BATS_TEST_TMPDIR/.bg-pids"
	: >"$TRACKED"
	: >"$BGPIDS"
	cd "$BATS_TEST_TMPDIR" || return 1
	umask 022
	unset POSIXLY_CORRECT
	# A file's own setup, after this one (etcd.bats).
	if declare -F file_setup >/dev/null; then file_setup; fi
}

teardown() {
	local pid f name

	# Background processes this test started (and recorded) go first:
	# they may hold or wait on the objects removed below; then those
	# that outlived their parent (orphan_track); a terminal's server
	# (tty.bash) ends the shell it runs and that shell's jobs.
	if declare -F tty_stop >/dev/null; then tty_stop; fi
	kill_orphans
	if [ -s "$BGPIDS" ]; then
		while read -r pid; do
			# Still ours, not a reaped pid used again.
			[ "$(ps -o ppid= -p "$pid" 2>/dev/null)" -eq "$BASHPID" ] \
			    2>/dev/null && kill_tree "$pid"
		done <"$BGPIDS"
	fi
	# Objects under a name of this test (also "-PREFIX..." names made to
	# test "--", and directories or links made to be left out of a
	# listing), and those made under a name ipcctl chose.
	for f in /dev/shm/*"$PREFIX"* /dev/mqueue/*"$PREFIX"*; do
		[ -e "$f" ] || [ -L "$f" ] && rm -rf -- "$f"
	done
	# Queues live in the kernel whether or not /dev/mqueue is mounted
	# (or only in a private mount namespace): unlinked by name too.
	{ printf '%s\n' "$N"; cat -- "$TRACKED"; } |
	while IFS= read -r name; do
		case $name in
		/?*)	rm -f -- "/dev/shm/sem.${name#/}" "/dev/shm/${name#/}"
			"$IPCCTL" mq unlink -- "$name" >/dev/null 2>&1 ;;
		esac
	done
	return 0
}

# proc_start PID: field 22 of /proc/PID/stat (counted from the last ')').
proc_start() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat
	printf '%s\n' "${20}"
}

# orphan_track PID: kill PID in teardown, though it is no child of ours
# (the COMMAND of a "sem run" killed by SIGKILL), with its start time so
# that a pid used again is left alone.
orphan_track() {
	printf '%s %s\n' "$1" "$(proc_start "$1")" >>"$BATS_TEST_TMPDIR/.orphans"
}

# kill_orphans: SIGKILL each recorded orphan that is still the very
# process recorded.
kill_orphans() {
	local pid start
	[ -s "$BATS_TEST_TMPDIR/.orphans" ] || return 0
	while read -r pid start; do
		[ -n "$start" ] && [ "$(proc_start "$pid")" = "$start" ] &&
		    kill -KILL "$pid" 2>/dev/null
	done <"$BATS_TEST_TMPDIR/.orphans"
	: >"$BATS_TEST_TMPDIR/.orphans"
	return 0
}

# The binary under test.
ipcctl() {
	"$IPCCTL" "$@"
}

# name SUFFIX: an object name that belongs to this test.
# name SUFFIX: an object name of this test's own, removed in teardown.
name() {
	printf '/%s%s\n' "$PREFIX" "$1" | tee -a "$TRACKED"
}

# track NAME: remove NAME in teardown (for names ipcctl made up).
track() {
	printf '%s\n' "$1" >>"$TRACKED"
}

# kill_tree PID: PID and every process under it (a "sem run" and its
# COMMAND), stopped first so none of them starts another.
kill_tree() {
	local child
	kill -STOP "$1" 2>/dev/null || return 0
	for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		kill_tree "$child"
	done
	kill -KILL "$1" 2>/dev/null
	return 0
}

# proc_state PID: the state letter of PID (R, S, T, Z...), or X if gone.
proc_state() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo X; return; }
	stat=${stat##*) }
	echo "${stat%% *}"
}

# gone PID: PID has ended (no such process, or a zombie nobody reaped yet).
gone() {
	case $(proc_state "$1") in
	X | Z)	return 0 ;;
	*)	return 1 ;;
	esac
}

# run_child PID: the COMMAND of the "sem run" PID: the child of its guard
# (named ipcctl-guard; see ipcctl-sem(1), sem run).
run_child() {
	local guard
	guard=$(ps -o pid=,comm= --ppid "$1" 2>/dev/null |
	    awk '$2 == "ipcctl-guard" { print $1 }')
	[ -n "$guard" ] && ps -o pid= --ppid "$guard" | tr -d ' ' | head -1
}

# bg_track PID: kill PID (and what it started) in teardown if it still runs.
bg_track() {
	printf '%s\n' "$1" >>"$BGPIDS"
}

# The file glibc keeps a semaphore in.
sem_file() {
	local n="${1#/}"
	printf '/dev/shm/sem.%s\n' "$n"
}

fail() {
	printf '%s\n' "$*" >&2
	return 1
}

# assert_equal ACTUAL EXPECTED [WHAT]
assert_equal() {
	if [ "$1" != "$2" ]; then
		printf '%s\n  expected: %q\n  actual:   %q\n' \
		    "${3:-values differ}" "$2" "$1" >&2
		return 1
	fi
}

# info_num_table COLUMN NAME NUM MODE OWNER GROUP: the plain table "info"
# prints for a semaphore (COLUMN VALUE) or a segment (COLUMN SIZE).
info_num_table() {
	local cw=${#1} nw=${#2} vw=${#3} ow=${#5}
	((nw < 4)) && nw=4
	((vw < cw)) && vw=$cw
	((ow < 5)) && ow=5
	printf '%-*s %*s %-4s %-*s %s\n' "$nw" NAME "$vw" "$1" MODE "$ow" \
	    OWNER GROUP
	printf '%-*s %*s %-4s %-*s %s' "$nw" "$2" "$vw" "$3" "$4" "$ow" "$5" "$6"
}

# assert_value NAME N: the semaphore exists and its value is N.
assert_value() {
	local got
	got=$("$IPCCTL" sem value "$1") || fail "sem value $1 failed" ||
	    return 1
	assert_equal "$got" "$2" "value of $1"
}

assert_sem_exists() {
	[ -e "$(sem_file "$1")" ] || fail "semaphore $1 does not exist"
}

assert_sem_missing() {
	[ ! -e "$(sem_file "$1")" ] || fail "semaphore $1 exists"
}

# No object of this test's prefix exists.
assert_no_objects() {
	local f
	for f in /dev/shm/*"$PREFIX"* /dev/mqueue/*"$PREFIX"*; do
		[ -e "$f" ] && { fail "object was created: $f"; return 1; }
	done
	return 0
}

# assert_mode NAME OCTAL: the semaphore's file has exactly this mode.
assert_mode() {
	local got
	got=$(stat -c %a "$(sem_file "$1")") || return 1
	assert_equal "$got" "$2" "mode of $1"
}

# usage_line OBJECT [VERB]: the one-line usage of "ipcctl OBJECT VERB",
# as the SYNOPSIS of ipcctl-OBJECT(1) gives it (written here, not asked of
# the binary, so that a test comparing the two can fail).
usage_line() {
	local u
	case "$*" in
	"sem create")	u='[NAME] [-v N] [-x] [-m MODE]' ;;
	"sem acquire")	u='NAME [-t T] [--holder PID] [--recover] [--lease T] [-c] [-x] [-m MODE] [-v N]' ;;
	"sem release")	u='NAME [-n N] [--holder PID] [-c] [-x] [-m MODE] [-v N]' ;;
	"sem value")	u='NAME' ;;
	"sem recover")	u='NAME [--host H]' ;;
	"sem info" | "sem holders" | "sem procs" | "shm procs" | "mq procs")
			u='NAME [--json | -r | --pairs]' ;;
	"shm info" | "mq info")
			u='NAME [-b] [--json | -r | --pairs]' ;;
	"sem unlink" | "shm unlink" | "mq unlink")	u='[-f] NAME...' ;;
	"sem run")	u='NAME [-t T] [-E CODE] [--recover] [--lease T] [--once-per PERIOD | --once-key KEY] [-c] [-x] [-m MODE] [-v N] [--] COMMAND [ARG...]' ;;
	"shm create")	u='[NAME] -s SIZE [-x] [-m MODE] [--truncate]' ;;
	"shm write")	u='NAME [-o OFFSET] [--grow] [FILE]' ;;
	"shm read")	u='NAME [-o OFFSET] [-l LENGTH]' ;;
	"shm resize")	u='NAME SIZE' ;;
	"mq create")	u='[NAME] [--max-messages N] [--message-size BYTES] [-x] [-m MODE]' ;;
	"mq send")	u='NAME [-p PRIO] [-t T] [--lines | -0] [MESSAGE...]' ;;
	"mq receive")	u='NAME [-t T] [-n COUNT | -f] [-P] [-0] [--json]' ;;
	"mq notify")	u='NAME [-t T] [[--] COMMAND [ARG...]]' ;;
	"ls")		u='[etcd:] [-t sem,shm,mq] [-l] [-o COLUMNS] [-n] [--unused] [-b] [--json | -r | --pairs]' ;;
	"limits")	u='[etcd:] [-b] [--json | -r | --pairs]' ;;
	sem | shm | mq)	u='VERB [OPTIONS] [NAME] [ARGS]' ;;
	*)		fail "usage_line: no usage known for '$*'"; return 1 ;;
	esac
	printf 'usage: ipcctl %s %s\n' "$*" "$u"
}

# assert_usage_error FIRST-LINE OBJECT VERB: after "run -64
# --separate-stderr", stdout is empty and stderr is exactly FIRST-LINE then
# the verb's usage line.
assert_usage_error() {
	local first=$1 usage
	shift
	usage=$(usage_line "$@") || return 1
	assert_equal "$output" "" "stdout" &&
	assert_equal "${#stderr_lines[@]}" 2 "stderr lines (${stderr})" &&
	assert_equal "${stderr_lines[0]}" "$first" "diagnostic" &&
	assert_equal "${stderr_lines[1]}" "$usage" "usage line"
}

# assert_diag LINE: stdout empty, stderr exactly LINE (a runtime error: no
# usage text after it).
assert_diag() {
	assert_equal "$output" "" "stdout" &&
	assert_equal "$stderr" "$1" "stderr"
}

# now_ms: the time in milliseconds, for elapsed-time checks.
now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	printf '%s\n' "$((t / 1000))"
}

# run_within MIN MAX STATUS COMMAND...: "run -STATUS --separate-stderr
# COMMAND", which must take MIN ms or more and less than MAX ms.
run_within() {
	local min=$1 max=$2 want=$3 t0 took
	shift 3
	t0=$(now_ms)
	run "-$want" --separate-stderr "$@"
	took=$(($(now_ms) - t0))
	((took >= min && took < max)) ||
	    fail "$* took $took ms, not $min to $max"
}

# wait_for CONDITION...: poll (every 20 ms, 5 s at most) until it holds.
wait_for() {
	local i
	for ((i = 0; i < 250; i++)); do
		"$@" && return 0
		sleep 0.02
	done
	fail "timed out waiting for: $*"
}

# wait_secs SECONDS CONDITION...: poll (every 50 ms) until it holds.
wait_secs() {
	local end=$(($(now_ms) + $1 * 1000))
	shift
	while (($(now_ms) < end)); do
		"$@" && return 0
		sleep 0.05
	done
	fail "timed out waiting for: $*"
}

# is_waiting PID GLOB: PID is an ipcctl (or the ipcctl-etcd it became for
# an etcd: name) asleep in a kernel function that matches GLOB (its
# wchan), or merely asleep where wchan is hidden.
is_waiting() {
	local comm wchan
	comm=$(cat "/proc/$1/comm" 2>/dev/null) || return 1
	[ "$comm" = ipcctl ] || [ "$comm" = ipcctl-etcd ] || return 1
	[ "$(proc_state "$1")" = S ] || return 1
	wchan=$(cat "/proc/$1/wchan" 2>/dev/null) || wchan=
	case $wchan in
	0 | "")	return 0 ;;
	$2)	return 0 ;;
	*)	return 1 ;;
	esac
}

# wait_blocked PID: wait until PID sleeps in a semaphore wait (a futex).
wait_blocked() {
	wait_for is_waiting "$1" '*futex*'
}

# wait_polling PID: a receive or send waiting on a queue (ppoll).
wait_polling() {
	wait_for is_waiting "$1" '*poll*'
}

# wait_notifying PID: a notify waiting for its signal (sigtimedwait).
wait_notifying() {
	wait_for is_waiting "$1" '*sig*'
}

# Unprivileged runs: "nobody" through setpriv. need_unprivileged skips the
# test (with the reason) where that is impossible; call it before "run".
NOBODY_GROUP=
need_unprivileged() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to switch to user nobody"
	command -v setpriv >/dev/null 2>&1 ||
	    skip "setpriv (util-linux) is not installed"
	getent passwd nobody >/dev/null || skip "no user nobody"
	if getent group nogroup >/dev/null; then
		NOBODY_GROUP=nogroup
	elif getent group nobody >/dev/null; then
		NOBODY_GROUP=nobody
	else
		skip "no group nogroup or nobody"
	fi
	setpriv --reuid=nobody --regid="$NOBODY_GROUP" --clear-groups \
	    test -x "$IPCCTL" ||
	    skip "user nobody cannot execute $IPCCTL"
}

# as_nobody COMMAND...: run COMMAND as nobody (after need_unprivileged).
as_nobody() {
	[ -n "$NOBODY_GROUP" ] || fail "as_nobody: call need_unprivileged first" ||
	    return 1
	setpriv --reuid=nobody --regid="$NOBODY_GROUP" --clear-groups "$@"
}

# procs_plus [RUNNER...]: "+" where some process cannot be inspected (run
# as RUNNER, e.g. as_nobody), else nothing: ipcctl(1), Processes, says the
# counts are then lower bounds, written "3+".
procs_plus() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	"$@" sh -c 'for p in /proc/[0-9]*; do
		{ ls "$p/fd" && cat "$p/maps"; } >/dev/null 2>&1 && continue
		[ -d "$p" ] && { echo +; exit; }
	done'
}

# ------------------------------------------------ shared by several files

# mine: the lines of $output that name an object of this test.
mine() {
	local l

	for l in "${lines[@]}"; do
		[[ $l == *"$PREFIX"* ]] && printf '%s\n' "$l"
	done
	return 0
}

need_jq() {
	command -v jq >/dev/null 2>&1 || skip "jq is not installed"
}

# is_comm PID COMM: PID runs the program COMM.
is_comm() {
	[ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]
}

# Tests that look at /dev/mqueue run their look through with_mq: where the
# mqueue file system is not mounted there, root mounts it in a private
# mount namespace, so that no other test (ls notes a missing /dev/mqueue)
# sees a mount come or go. Where a file had to make the directory to
# mount on, it removes it after its last test.
MQ_DIR_BY_US="$BATS_FILE_TMPDIR/.made-dev-mqueue"

teardown_file() {
	# A file's own teardown first (etcd.bats stops its server).
	if declare -F file_teardown >/dev/null; then file_teardown; fi
	[ -e "$MQ_DIR_BY_US" ] && rmdir /dev/mqueue 2>/dev/null
	return 0
}

# make_mq_dir: an empty /dev/mqueue to mount on, as systemd has it.
make_mq_dir() {
	[ -d /dev/mqueue ] && return 0
	mkdir /dev/mqueue 2>/dev/null || return 1
	: >"$MQ_DIR_BY_US"
}

# The mqueue file system is mounted on /dev/mqueue here.
mq_mounted() {
	[ "$(stat -f -c %T /dev/mqueue 2>/dev/null)" = mqueue ]
}

# Mount the mqueue file system on /dev/mqueue unless it is there.
MOUNT_MQ='grep -q " /dev/mqueue mqueue " /proc/self/mounts ||
    mount -t mqueue none /dev/mqueue'

# Root can have /dev/mqueue mounted in a private mount namespace, where no
# other test's mounting or unmounting it reaches.
can_mount_mq() {
	[ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1 &&
	    make_mq_dir && unshare -m sh -c "$MOUNT_MQ" 2>/dev/null
}

# Skip unless queues can be listed: in a private mount namespace, or
# where /dev/mqueue is mounted.
need_mqueue() {
	can_mount_mq || mq_mounted ||
	    skip "/dev/mqueue is not mounted and mounting it needs root"
}

# with_mq COMMAND...: run COMMAND where /dev/mqueue shows the queues.
with_mq() {
	if ! can_mount_mq; then
		"$@"
		return
	fi
	unshare -m sh -c "$MOUNT_MQ"' && exec "$@"' sh "$@"
}

# ------------------------------------------------ message queues, any backend

# messages NAME: the number of messages on the queue, from "info".
messages() {
	local line
	line=$("$IPCCTL" mq info "$1" --pairs) || return 1
	[[ $line =~ (^| )MESSAGES=\"([0-9]+)\" ]] || return 1
	printf '%s\n' "${BASH_REMATCH[2]}"
}

# assert_messages NAME COUNT
assert_messages() {
	local got
	got=$(messages "$1") || fail "mq info $1 failed" || return 1
	assert_equal "$got" "$2" "messages on $1"
}

# has_lines FILE N: FILE holds N lines or more.
has_lines() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}

# mq_info_table NAME MAX_MESSAGES MESSAGE_SIZE MESSAGES [MODE OWNER GROUP]:
# the plain table "mq info" prints for one queue: with MODE, OWNER and
# GROUP, a local queue's; without them, a queue in etcd's (no such columns).
mq_info_table() {
	local nw=${#1} ow=${#6} gw=${#7}
	((nw < 4)) && nw=4
	if (($# < 5)); then
		printf '%-*s %12s %12s %8s\n' "$nw" NAME MAX_MESSAGES \
		    MESSAGE_SIZE MESSAGES
		printf '%-*s %12s %12s %8s' "$nw" "$1" "$2" "$3" "$4"
		return
	fi
	((ow < 5)) && ow=5
	((gw < 5)) && gw=5
	printf '%-*s %-4s %-*s %-*s %12s %12s %8s\n' "$nw" NAME MODE \
	    "$ow" OWNER "$gw" GROUP MAX_MESSAGES MESSAGE_SIZE MESSAGES
	printf '%-*s %-4s %-*s %-*s %12s %12s %8s' "$nw" "$1" "$5" "$ow" "$6" \
	    "$gw" "$7" "$2" "$3" "$4"
}
