#!/usr/bin/env bats
# ipcctl sem procs, shm procs, mq procs, and the PROCS column and --unused
# of ls (ipcctl(1): Processes, ls; ipcctl-sem(1), ipcctl-shm(1),
# ipcctl-mq(1): procs). Every test states the exact exit status and the
# exact output.
#
# Whether a run can inspect every process is not up to the test (even
# root may be refused the init of a container's host): procs_plus (in
# helpers.bash) tells, independently of ipcctl, and each test expects the
# warning on standard error, and counts written "N+", exactly where it
# says so.

load helpers

# make check sets MAP_HOLD (tests/map-hold, built with the tests).
: "${MAP_HOLD:=$BATS_TEST_DIRNAME/map-hold}"

# --------------------------------------------------------------- helpers

need_map_hold() {
	[ -x "$MAP_HOLD" ] || skip "map-hold is not built (MAP_HOLD=$MAP_HOLD)"
}

# warning OBJECT PLUS: what "OBJECT procs" prints on standard error:
# ipcctl(1), Processes: the line below where some process could not be
# inspected (PLUS is "+"), else nothing.
warning() {
	[ -n "$2" ] || return 0
	printf 'ipcctl: %s procs: some processes could not be inspected: there may be more (see PROCESSES in ipcctl(1))' \
	    "$1"
}

# procs_table ROW...: the plain table of "procs", each ROW
# "PID|USER|COMMAND|HOW", in the order of PID.
procs_table() {
	local rows pid user cmd how pw=3 uw=4 cw=7

	rows=$(printf '%s\n' "$@" | sort -t '|' -k1,1n)
	while IFS='|' read -r pid user cmd how; do
		((${#pid} > pw)) && pw=${#pid}
		((${#user} > uw)) && uw=${#user}
		((${#cmd} > cw)) && cw=${#cmd}
	done <<<"$rows"
	printf '%*s %-*s %-*s %s' "$pw" PID "$uw" USER "$cw" COMMAND HOW
	while IFS='|' read -r pid user cmd how; do
		printf '\n%*s %-*s %-*s %s' "$pw" "$pid" "$uw" "$user" \
		    "$cw" "$cmd" "$how"
	done <<<"$rows"
}

# by_pid: $output with its rows (after the heading) in the order of PID:
# ipcctl(1) gives the rows no order.
by_pid() {
	{
		IFS= read -r l && printf '%s\n' "$l"
		sort -n
	} <<<"$output"
}

# raw_by_pid: $output of -r or --pairs, every line but a heading, in the
# order of PID.
raw_by_pid() {
	grep -v '^PID ' <<<"$output" | sed 's/^PID="\([0-9]*\)"/\1 &/' |
	    sort -n -k1,1 | sed 's/^[0-9]* PID=/PID=/'
}

# has_fd PID TARGET: a descriptor of PID reads TARGET (readlink).
has_fd() {
	local f
	for f in /proc/"$1"/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = "$2" ] && return 0
	done
	return 1
}

NHELD=0
# hold_fd FILE [RUNNER...]: start "sleep 300" with FILE open on its
# standard input (a descriptor, no mapping), as RUNNER (as_nobody) if
# given, opened by that user; its pid to HELD. Returns once it is sleep.
hold_fd() {
	local file=$1 out="$BATS_TEST_TMPDIR/.held.$((++NHELD))"
	shift
	# shellcheck disable=SC2016 # expanded by the inner shell
	"$@" sh -c 'echo $$; exec sleep 300 <"$1"' sh "$file" >"$out" 3>&- &
	bg_track "$!"
	wait_for test -s "$out" || return 1
	HELD=$(cat "$out")
	wait_for is_comm "$HELD" sleep
}

# hold_map FILE: start map-hold, which maps FILE and closes its descriptor
# (a mapping only); its pid to HELD. Returns once it is mapped.
hold_map() {
	local out="$BATS_TEST_TMPDIR/.mapped.$((++NHELD))"
	"$MAP_HOLD" "$1" >"$out" 3>&- &
	HELD=$!
	bg_track "$HELD"
	wait_for grep -qx mapped "$out"
}

# stop PID: kill a process this test started, and reap it.
stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# hold_segment_twice: segment $N, held by a sleep with it open (its pid in
# HELD_FD) and by map-hold with it mapped (HELD_MAP).
hold_segment_twice() {
	ipcctl shm create "$N" -s 4096
	hold_fd "/dev/shm/${N#/}"
	HELD_FD=$HELD
	hold_map "/dev/shm/${N#/}"
	HELD_MAP=$HELD
}

# ------------------------------------------------------------ sem procs

@test "sem procs: a blocked acquire maps it and has it open: fd,map" {
	local me pid plus st=0
	me=$(id -un)
	ipcctl sem create "$N" -v 0
	"$IPCCTL" sem acquire "$N" >out 2>err 3>&- &
	pid=$!
	bg_track "$pid"
	wait_blocked "$pid"
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl sem procs "$N"
	assert_equal "$output" \
	    "$(procs_table "$pid|$me|$IPCCTL sem acquire $N|fd,map")"
	assert_equal "$stderr" "$(warning sem "$plus")"

	# Released, the acquire ends: nobody uses it, no row, exit 0.
	ipcctl sem release "$N"
	wait "$pid" || st=$?
	assert_equal "$st" 0 "acquire's status"
	assert_equal "$(cat out err)" ""
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl sem procs "$N"
	assert_equal "$output" ""
	assert_equal "$stderr" "$(warning sem "$plus")"
}

@test "sem procs: a killed waiter is gone from the list" {
	local me pid plus
	me=$(id -un)
	ipcctl sem create "$N" -v 0
	"$IPCCTL" sem acquire "$N" 3>&- &
	pid=$!
	bg_track "$pid"
	wait_blocked "$pid"
	hold_fd "$(sem_file "$N")"
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl sem procs "$N"
	assert_equal "$(by_pid)" "$(procs_table \
	    "$pid|$me|$IPCCTL sem acquire $N|fd,map" "$HELD|$me|sleep 300|fd")"
	assert_equal "$stderr" "$(warning sem "$plus")"
	stop "$pid"
	stop "$HELD"
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl sem procs "$N"
	assert_equal "$output" ""
	assert_equal "$stderr" "$(warning sem "$plus")"
}

# ------------------------------------------------------------ shm procs

@test "shm procs: a descriptor is fd, a mapping alone is map" {
	need_map_hold
	local me fdpid mappid plus seg="/dev/shm/${N#/}"
	me=$(id -un)
	ipcctl shm create "$N" -s 4096
	hold_fd "$seg"
	fdpid=$HELD
	hold_map "$seg"
	mappid=$HELD
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl shm procs "$N"
	assert_equal "$(by_pid)" "$(procs_table "$fdpid|$me|sleep 300|fd" \
	    "$mappid|$me|$MAP_HOLD $seg|map")"
	assert_equal "$stderr" "$(warning shm "$plus")"

	stop "$fdpid"
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl shm procs "$N"
	assert_equal "$output" "$(procs_table "$mappid|$me|$MAP_HOLD $seg|map")"
	assert_equal "$stderr" "$(warning shm "$plus")"

	stop "$mappid"
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl shm procs "$N"
	assert_equal "$output" ""
	assert_equal "$stderr" "$(warning shm "$plus")"
}

@test "shm procs and sem procs of one name are two objects" {
	# /NAME the segment and /NAME the semaphore (ipcctl(1), Names) are
	# different files: a process using one is not listed for the other.
	local me plus
	me=$(id -un)
	ipcctl shm create "$N" -s 4096
	ipcctl sem create "$N" -v 1
	hold_fd "/dev/shm/${N#/}"
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl sem procs "$N"
	assert_equal "$output" ""
	assert_equal "$stderr" "$(warning sem "$plus")"
	run -0 --separate-stderr ipcctl shm procs "$N"
	assert_equal "$output" "$(procs_table "$HELD|$me|sleep 300|fd")"
	assert_equal "$stderr" "$(warning shm "$plus")"
}

# ------------------------------------------------------------- mq procs

@test "mq procs: a blocked receive -f has it open: fd" {
	local me pid plus
	me=$(id -un)
	ipcctl mq create "$N"
	"$IPCCTL" mq receive "$N" -f >out 2>err 3>&- &
	pid=$!
	bg_track "$pid"
	wait_for has_fd "$pid" "$N"
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl mq procs "$N"
	assert_equal "$output" \
	    "$(procs_table "$pid|$me|$IPCCTL mq receive $N -f|fd")"
	assert_equal "$stderr" "$(warning mq "$plus")"
	stop "$pid"
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl mq procs "$N"
	assert_equal "$output" ""
	assert_equal "$stderr" "$(warning mq "$plus")"
}

# ------------------------------------------------------ forms of output

@test "procs --json, -r and --pairs: one row" {
	need_jq
	local me pid plus
	me=$(id -un)
	ipcctl sem create "$N" -v 0
	"$IPCCTL" sem acquire "$N" 3>&- &
	pid=$!
	bg_track "$pid"
	wait_blocked "$pid"
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl sem procs "$N" --json
	assert_equal "$stderr" "$(warning sem "$plus")"
	# ipcctl(1), Output: numbers are JSON numbers.
	assert_equal "$(jq -c . <<<"$output")" \
	    "{\"processes\":[{\"pid\":$pid,\"user\":\"$me\",\"command\":\"$IPCCTL sem acquire $N\",\"how\":\"fd,map\"}]}"
	assert_equal "$(jq -r '.processes[0].pid | type' <<<"$output")" number
	# Raw: libsmartcols writes a space inside a value as \x20.
	run -0 --separate-stderr ipcctl sem procs "$N" -r
	assert_equal "$stderr" "$(warning sem "$plus")"
	assert_equal "$output" "PID USER COMMAND HOW
$pid $me ${IPCCTL// /\\x20}\\x20sem\\x20acquire\\x20$N fd,map"
	run -0 --separate-stderr ipcctl sem procs "$N" --raw
	assert_equal "${lines[1]}" \
	    "$pid $me ${IPCCTL// /\\x20}\\x20sem\\x20acquire\\x20$N fd,map"
	run -0 --separate-stderr ipcctl sem procs "$N" --pairs
	assert_equal "$stderr" "$(warning sem "$plus")"
	assert_equal "$output" \
	    "PID=\"$pid\" USER=\"$me\" COMMAND=\"$IPCCTL sem acquire $N\" HOW=\"fd,map\""
}

@test "procs with no process: JSON has an empty list, -r and --pairs nothing" {
	need_jq
	local plus
	ipcctl shm create "$N" -s 10
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl shm procs "$N" --json
	assert_equal "$(jq -c . <<<"$output")" '{"processes":[]}'
	assert_equal "$stderr" "$(warning shm "$plus")"
	run -0 --separate-stderr ipcctl shm procs "$N" -r
	assert_equal "$output" ""
	assert_equal "$stderr" "$(warning shm "$plus")"
	run -0 --separate-stderr ipcctl shm procs "$N" --pairs
	assert_equal "$output" ""
	assert_equal "$stderr" "$(warning shm "$plus")"
}

@test "procs: several rows in every form" {
	need_jq
	need_map_hold
	local me a b plus seg="/dev/shm/${N#/}"
	me=$(id -un)
	ipcctl shm create "$N" -s 4096
	hold_fd "$seg"
	a=$HELD
	hold_map "$seg"
	b=$HELD
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl shm procs "$N" --json
	assert_equal "$stderr" "$(warning shm "$plus")"
	assert_equal "$(jq -c '.processes | sort_by(.pid)' <<<"$output")" \
	    "$(jq -c 'sort_by(.pid)' <<<"[{\"pid\":$a,\"user\":\"$me\",\"command\":\"sleep 300\",\"how\":\"fd\"},{\"pid\":$b,\"user\":\"$me\",\"command\":\"$MAP_HOLD $seg\",\"how\":\"map\"}]")"
	run -0 --separate-stderr ipcctl shm procs "$N" -r
	assert_equal "${lines[0]}" "PID USER COMMAND HOW"
	assert_equal "$(raw_by_pid)" "$(printf '%s\n' \
	    "$a $me sleep\\x20300 fd" \
	    "$b $me ${MAP_HOLD// /\\x20}\\x20$seg map" | sort -n)"
	run -0 --separate-stderr ipcctl shm procs "$N" --pairs
	assert_equal "$(raw_by_pid)" "$(printf '%s\n' \
	    "$a PID=\"$a\" USER=\"$me\" COMMAND=\"sleep 300\" HOW=\"fd\"" \
	    "$b PID=\"$b\" USER=\"$me\" COMMAND=\"$MAP_HOLD $seg\" HOW=\"map\"" |
	    sort -n | sed 's/^[0-9]* //')"
}

@test "procs: COMMAND is escaped as ipcctl(1), Output, says" {
	need_jq
	local me plus pid seg="/dev/shm/${N#/}"
	me=$(id -un)
	ipcctl shm create "$N" -s 4096
	# argv[0] with an escape sequence and a tab; argv[1] "300".
	# shellcheck disable=SC2016 # expanded by the inner shell
	bash -c 'echo $$; exec -a "$1" sleep 300 <"$2"' sh $'x\e[31my\tz' \
	    "$seg" >pidfile 3>&- &
	bg_track "$!"
	wait_for test -s pidfile
	pid=$(cat pidfile)
	wait_for is_comm "$pid" sleep
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl shm procs "$N"
	assert_equal "$output" \
	    "$(procs_table "$pid|$me|x\\033[31my\\tz 300|fd")"
	assert_equal "$stderr" "$(warning shm "$plus")"
	run -0 --separate-stderr ipcctl shm procs "$N" --json
	assert_equal "$(jq -r '.processes[0].command' <<<"$output")" \
	    'x\033[31my\tz 300'
	# Raw and pairs: libsmartcols writes the backslash as \x5c.
	run -0 --separate-stderr ipcctl shm procs "$N" -r
	assert_equal "${lines[1]}" "$pid $me x\\x5c033[31my\\x5ctz\\x20300 fd"
	run -0 --separate-stderr ipcctl shm procs "$N" --pairs
	assert_equal "$output" \
	    "PID=\"$pid\" USER=\"$me\" COMMAND=\"x\\x5c033[31my\\x5ctz 300\" HOW=\"fd\""
}

# ------------------------------------------------------------- errors

@test "procs of a missing object: as info, exit 66" {
	local obj
	for obj in sem shm mq; do
		run -66 --separate-stderr ipcctl "$obj" info "$N"
		assert_diag "ipcctl: $obj info: $N: No such file or directory"
		run -66 --separate-stderr ipcctl "$obj" procs "$N"
		assert_diag "ipcctl: $obj procs: $N: No such file or directory"
		run -66 --separate-stderr ipcctl "$obj" procs "$N" --json
		assert_diag "ipcctl: $obj procs: $N: No such file or directory"
	done
}

@test "procs of what is not the object: as info" {
	mkdir "/dev/shm/${N#/}"
	run -65 --separate-stderr ipcctl shm info "$N"
	assert_diag "ipcctl: shm info: $N: is a directory, not a shared memory segment"
	run -65 --separate-stderr ipcctl shm procs "$N"
	assert_diag "ipcctl: shm procs: $N: is a directory, not a shared memory segment"
	: >"$(sem_file "$N")"
	run -65 --separate-stderr ipcctl sem info "$N"
	assert_diag "ipcctl: sem info: $N: is 0 bytes, not a semaphore"
	run -65 --separate-stderr ipcctl sem procs "$N"
	assert_diag "ipcctl: sem procs: $N: is 0 bytes, not a semaphore"
}

@test "procs as user nobody of root's 0600 objects: as info, exit 77" {
	need_unprivileged
	local obj
	ipcctl sem create "$N" -v 1
	ipcctl shm create "$N" -s 10
	ipcctl mq create "$N"
	for obj in sem shm mq; do
		run -77 --separate-stderr as_nobody "$IPCCTL" "$obj" info "$N"
		assert_diag "ipcctl: $obj info: $N: Permission denied"
		run -77 --separate-stderr as_nobody "$IPCCTL" "$obj" procs "$N"
		assert_diag "ipcctl: $obj procs: $N: Permission denied"
	done
}

@test "procs usage errors: exit 64 with the usage" {
	local obj
	for obj in sem shm mq; do
		run -64 --separate-stderr ipcctl "$obj" procs
		assert_usage_error "ipcctl: $obj procs: missing NAME" "$obj" procs
		run -64 --separate-stderr ipcctl "$obj" procs "$N" "${N}2"
		assert_usage_error "ipcctl: $obj procs: unexpected operand: ${N}2" \
		    "$obj" procs
		run -64 --separate-stderr ipcctl "$obj" procs "$N" --bogus
		assert_usage_error "ipcctl: $obj procs: unknown option: --bogus" \
		    "$obj" procs
		run -64 --separate-stderr ipcctl "$obj" procs ''
		assert_usage_error "ipcctl: $obj procs: : empty name" "$obj" procs
	done
}

# ------------------------------------------------------------------ ls

@test "ls: PROCS counts the processes; --unused lists only the unused" {
	need_jq
	local plus pid
	ipcctl sem create "$(name used)" -v 0
	ipcctl sem create "$(name unused)" -v 0
	"$IPCCTL" sem acquire "$(name used)" 3>&- &
	pid=$!
	bg_track "$pid"
	wait_blocked "$pid"
	plus=$(procs_plus)

	run -0 --separate-stderr ipcctl ls -t sem -o NAME,PROCS -r
	assert_equal "$stderr" ""
	assert_equal "${lines[0]}" "NAME PROCS"
	assert_equal "$(mine)" "$(printf '%s\n' \
	    "$(name unused) 0$plus" "$(name used) 1$plus")"
	run -0 --separate-stderr ipcctl ls -t sem -o name,procs --pairs
	assert_equal "$(mine)" "$(printf '%s\n' \
	    "NAME=\"$(name unused)\" PROCS=\"0$plus\"" \
	    "NAME=\"$(name used)\" PROCS=\"1$plus\"")"

	# -l: PROCS between HOLDERS and MTIME.
	local me group mtime
	me=$(id -un) group=$(id -gn)
	touch -d @1700000000 "$(sem_file "$(name used)")" \
	    "$(sem_file "$(name unused)")"
	mtime=$(date -d @1700000000 +%Y-%m-%dT%H:%M:%S%z)
	run -0 --separate-stderr ipcctl ls -l -t sem -r
	assert_equal "$stderr" ""
	assert_equal "${lines[0]}" \
	    "TYPE NAME OWNER GROUP MODE VALUE HOLDERS PROCS MTIME NOTE"
	assert_equal "$(mine)" "$(printf '%s\n' \
	    "sem $(name unused) $me $group 0600 0  0$plus $mtime" \
	    "sem $(name used) $me $group 0600 0  1$plus $mtime")"

	# JSON: a number, and procs_partial, a boolean.
	local partial=false
	[ -n "$plus" ] && partial=true
	run -0 --separate-stderr ipcctl ls -t sem -o NAME,PROCS --json
	assert_equal "$stderr" ""
	assert_equal "$(jq -c --arg p "$PREFIX" \
	    '[.objects[] | select(.name | contains($p))]' <<<"$output")" \
	    "[{\"name\":\"$(name unused)\",\"procs\":0,\"procs_partial\":$partial},{\"name\":\"$(name used)\",\"procs\":1,\"procs_partial\":$partial}]"
	# Only where the PROCS column is asked for.
	run -0 --separate-stderr ipcctl ls -t sem -o NAME --json
	assert_equal "$(jq -c --arg p "$PREFIX" \
	    '[.objects[] | select(.name | contains($p)) | keys]' <<<"$output")" \
	    '[["name"],["name"]]'

	# --unused (ipcctl(1), ls).
	run -0 --separate-stderr ipcctl ls --unused -o NAME -r -t sem
	assert_equal "$stderr" ""
	assert_equal "${lines[0]}" "NAME"
	assert_equal "$(mine)" "$(name unused)"
	run -0 --separate-stderr ipcctl ls --unused -o NAME,PROCS -r -n -t sem
	assert_equal "$(mine)" "$(name unused) 0$plus"

	# The acquire ended: both unused.
	stop "$pid"
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl ls --unused -o NAME,PROCS -r -t sem
	assert_equal "$(mine)" "$(printf '%s\n' \
	    "$(name unused) 0$plus" "$(name used) 0$plus")"
}

@test "ls: PROCS of segments and queues" {
	need_map_hold
	need_mqueue
	local plus seg="/dev/shm/${PREFIX}m" pid
	ipcctl shm create "$(name m)" -s 4096
	ipcctl shm create "$(name m2)" -s 4096
	ipcctl mq create "$(name q)"
	ipcctl mq create "$(name q2)"
	hold_fd "$seg"
	hold_map "$seg"
	"$IPCCTL" mq receive "$(name q)" -f >out 3>&- &
	pid=$!
	bg_track "$pid"
	wait_for has_fd "$pid" "$(name q)"
	plus=$(procs_plus)
	run -0 --separate-stderr with_mq "$IPCCTL" ls -t shm,mq \
	    -o TYPE,NAME,PROCS -r
	assert_equal "$stderr" ""
	assert_equal "$(mine)" "$(printf '%s\n' \
	    "shm $(name m) 2$plus" "shm $(name m2) 0$plus" \
	    "mq $(name q) 1$plus" "mq $(name q2) 0$plus")"
	run -0 --separate-stderr with_mq "$IPCCTL" ls -t shm,mq --unused \
	    -o TYPE,NAME -r
	assert_equal "$(mine)" "$(printf '%s\n' \
	    "shm $(name m2)" "mq $(name q2)")"
}

# ------------------------------------------------------ another user

@test "procs and ls as user nobody: only what nobody may inspect" {
	need_unprivileged
	local me rootpid nobodypid plus seg="/dev/shm/${N#/}"
	me=$(id -un)
	ipcctl shm create "$N" -s 4096 -m 0644
	hold_fd "$seg"
	rootpid=$HELD
	# nobody opens it itself (the redirection is in nobody's shell).
	hold_fd "$seg" as_nobody
	nobodypid=$HELD
	assert_equal "$(stat -c %U "/proc/$nobodypid")" nobody "owner of the sleep"

	# Root sees both.
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl shm procs "$N"
	assert_equal "$(by_pid)" "$(procs_table "$rootpid|$me|sleep 300|fd" \
	    "$nobodypid|nobody|sleep 300|fd")"
	assert_equal "$stderr" "$(warning shm "$plus")"

	# nobody may not read root's descriptors: only its own sleep, and
	# the warning (ipcctl(1), Processes).
	plus=$(procs_plus as_nobody)
	assert_equal "$plus" "+" "nobody can inspect every process"
	run -0 --separate-stderr as_nobody "$IPCCTL" shm procs "$N"
	assert_equal "$output" "$(procs_table "$nobodypid|nobody|sleep 300|fd")"
	assert_equal "$stderr" "$(warning shm "$plus")"
	run -0 --separate-stderr as_nobody "$IPCCTL" ls -t shm -o NAME,PROCS -r
	assert_equal "$stderr" ""
	assert_equal "$(mine)" "$N 1$plus"
	run -0 --separate-stderr as_nobody "$IPCCTL" ls -t shm -o NAME,PROCS \
	    --json
	assert_equal "$(jq -c --arg n "$N" \
	    '[.objects[] | select(.name == $n)]' <<<"$output")" \
	    "[{\"name\":\"$N\",\"procs\":1,\"procs_partial\":true}]"
}

# ------------------------------------------------------------ races

@test "procs: processes that come and go while it reads are never an error" {
	# ipcctl(1), Processes: "A process that ends or changes while it is
	# read is left out, never an error." Short processes, some of them
	# with the segment open (dd reads it a byte at a time, so that it
	# has it open long enough to be seen), while procs runs again and
	# again: every run exits 0, lists the steady sleep, and lists a dd
	# only with its command line, never one that ended meanwhile (no
	# command line left, or none at all).
	local me plus try seg="/dev/shm/${N#/}" row dd
	me=$(id -un)
	ipcctl shm create "$N" -s 4096
	hold_fd "$seg"
	# shellcheck disable=SC2016 # expanded by the inner shell
	bash -c 'while :; do dd if="$1" of=/dev/null bs=1 2>/dev/null
	    /bin/true; done' sh "$seg" 3>&- &
	bg_track "$!"
	dd="dd\\x20if=$seg\\x20of=/dev/null\\x20bs=1"
	plus=$(procs_plus)
	# (Not "i": bats's run sets it.) 200 runs, or as many as 15 s allow
	# on a slow machine (or under sanitizers), within the test's timeout.
	local end=$((SECONDS + 15))
	for ((try = 0; try < 200 && SECONDS < end; try++)); do
		run -0 --separate-stderr ipcctl shm procs "$N" -r
		assert_equal "$stderr" "$(warning shm "$plus")"
		assert_equal "${lines[0]}" "PID USER COMMAND HOW"
		[[ $output == *$'\n'"$HELD $me sleep\\x20300 fd"* ]] ||
		    fail "the sleep is not listed: $output"
		for row in "${lines[@]:1}"; do
			[ "$row" = "$HELD $me sleep\\x20300 fd" ] && continue
			[[ $row =~ ^[0-9]+\ (.*)$ ]] &&
			    [ "${BASH_REMATCH[1]}" = "$me $dd fd" ] ||
			    fail "run $try: a row for no live process: '$row'"
		done
	done
}

# ------------------------------------------- by device and inode

@test "procs: an object removed and made again is another object" {
	need_map_hold
	local me plus seg="/dev/shm/${N#/}"
	me=$(id -un)
	ipcctl shm create "$N" -s 4096
	hold_fd "$seg"
	hold_map "$seg"
	ipcctl shm unlink "$N"
	ipcctl shm create "$N" -s 4096
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl shm procs "$N"
	assert_equal "$output" ""
	assert_equal "$stderr" "$(warning shm "$plus")"
	run -0 --separate-stderr ipcctl ls -t shm -o NAME,PROCS -r
	assert_equal "$(mine)" "$N 0$plus"

	# A semaphore too: the waiter waits on the old one.
	local pid
	ipcctl sem create "$N" -v 0
	"$IPCCTL" sem acquire "$N" 3>&- &
	pid=$!
	bg_track "$pid"
	wait_blocked "$pid"
	ipcctl sem unlink "$N"
	ipcctl sem create "$N" -v 0
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl sem procs "$N"
	assert_equal "$output" ""
	assert_equal "$stderr" "$(warning sem "$plus")"
}

@test "procs: a renamed segment keeps its processes" {
	need_map_hold
	local me a b plus
	me=$(id -un)
	hold_segment_twice
	a=$HELD_FD b=$HELD_MAP
	mv "/dev/shm/${N#/}" "/dev/shm/${N#/}2"
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl shm procs "${N}2"
	assert_equal "$(by_pid)" "$(procs_table "$a|$me|sleep 300|fd" \
	    "$b|$me|$MAP_HOLD /dev/shm/${N#/}|map")"
	assert_equal "$stderr" "$(warning shm "$plus")"
	run -66 --separate-stderr ipcctl shm procs "$N"
	assert_diag "ipcctl: shm procs: $N: No such file or directory"
}

@test "procs and ls: two names of one segment (a hard link) both count" {
	# Matched by device and inode, never by path (ipcctl(1), Processes):
	# /proc names the segment by the first name, yet the processes use
	# the second just as much.
	need_map_hold
	local me a b plus
	me=$(id -un)
	hold_segment_twice
	a=$HELD_FD b=$HELD_MAP
	ln "/dev/shm/${N#/}" "/dev/shm/${N#/}2"
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl shm procs "${N}2"
	assert_equal "$(by_pid)" "$(procs_table "$a|$me|sleep 300|fd" \
	    "$b|$me|$MAP_HOLD /dev/shm/${N#/}|map")"
	assert_equal "$stderr" "$(warning shm "$plus")"
	run -0 --separate-stderr ipcctl ls -t shm -o NAME,PROCS -r
	assert_equal "$(mine)" "$(printf '%s\n' "$N 2$plus" "${N}2 2$plus")"
	run -0 --separate-stderr ipcctl ls -t shm --unused -o NAME -r
	assert_equal "$(mine)" ""
}
