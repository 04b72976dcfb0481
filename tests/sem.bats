#!/usr/bin/env bats
# ipcctl sem (ipcctl-sem(1), and ipcctl(1): names, opening and creating,
# timeouts, exit status). Every test states the exact exit status and the
# exact output.

load helpers
load sem-contract

SEM_VALUE_MAX=2147483647

# The hooks of sem-contract.bash, whose tests run here on a local
# semaphore: a waiter sleeps in a futex.
file_setup() {
	S=$N
}
wait_waiting() {
	wait_blocked "$1"
}

# ---------------------------------------------------------------- create

@test "create NAME: silent, value 0, mode 0600" {
	run -0 --separate-stderr ipcctl sem create "$N"
	assert_equal "$output" ""
	assert_equal "$stderr" ""
	assert_sem_exists "$N"
	assert_value "$N" 0
	assert_mode "$N" 600
}

@test "create -v N: initial value" {
	run -0 --separate-stderr ipcctl sem create "$N" -v 3
	assert_equal "$output$stderr" ""
	assert_value "$N" 3
	run -0 --separate-stderr ipcctl sem create "$(name b)" --value 7
	assert_value "$(name b)" 7
	run -0 --separate-stderr ipcctl sem create "$(name max)" -v "$SEM_VALUE_MAX"
	assert_value "$(name max)" "$SEM_VALUE_MAX"
	run -0 --separate-stderr ipcctl sem create "$(name zero)" -v 0
	assert_value "$(name zero)" 0
}

@test "create with no NAME prints a fresh name that exists" {
	run -0 --separate-stderr ipcctl sem create -v 2
	track "$output"
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 1
	[[ "$output" =~ ^/[^/]+$ ]] || fail "not a name: '$output'"
	local first=$output
	assert_sem_exists "$first"
	assert_value "$first" 2
	assert_mode "$first" 600

	run -0 --separate-stderr ipcctl sem create -m 0640
	track "$output"
	[[ "$output" =~ ^/[^/]+$ ]] || fail "not a name: '$output'"
	[ "$output" != "$first" ] || fail "the same name twice: $output"
	assert_value "$output" 0
	assert_mode "$output" 640
}

@test "create on an existing object: exit 0, value untouched" {
	sem_create_existing
}

@test "create -x on an existing object: exit 73, value untouched" {
	sem_create_exclusive
}

@test "create -x on a new object creates it" {
	run -0 --separate-stderr ipcctl sem create "$N" -x -v 4
	assert_equal "$output$stderr" ""
	assert_value "$N" 4
}

@test "create with an extra operand: exit 64, nothing created" {
	run -64 --separate-stderr ipcctl sem create "$N" "$(name b)"
	assert_usage_error "ipcctl: sem create: unexpected operand: $(name b)" \
	    sem create
	assert_no_objects
}

@test "bad values: exit 64, nothing created" {
	local v
	for v in -1 2147483648 abc "" +1 " 1" 1x 99999999999999999999; do
		run -64 --separate-stderr ipcctl sem create "$N" -v "$v"
		assert_equal "$output" ""
		[[ "${stderr_lines[0]}" == "ipcctl: sem create: value $v: "* ]] ||
		    fail "-v '$v': ${stderr_lines[0]}"
		assert_equal "${#stderr_lines[@]}" 2
		assert_equal "${stderr_lines[1]}" "$(usage_line sem create)"
		assert_no_objects
	done
	run -64 --separate-stderr ipcctl sem create "$N" -v -1
	assert_usage_error "ipcctl: sem create: value -1: too small" sem create
	run -64 --separate-stderr ipcctl sem create "$N" -v 2147483648
	assert_usage_error "ipcctl: sem create: value 2147483648: too large" \
	    sem create
	run -64 --separate-stderr ipcctl sem create "$N" -v abc
	assert_usage_error "ipcctl: sem create: value abc: not a number" \
	    sem create
	run -64 --separate-stderr ipcctl sem acquire "$N" -c -v -1
	assert_usage_error "ipcctl: sem acquire: value -1: too small" \
	    sem acquire
	run -64 --separate-stderr ipcctl sem release "$N" -c -v 2147483648
	assert_usage_error "ipcctl: sem release: value 2147483648: too large" \
	    sem release
	run -64 --separate-stderr ipcctl sem run "$N" -c -v abc -- true
	assert_usage_error "ipcctl: sem run: value abc: not a number" sem run
	assert_no_objects
}

# ----------------------------------------------------------------- names

@test "NAME with or without its slash is the same object" {
	local bare=${N#/}
	run -0 --separate-stderr ipcctl sem create "$bare" -v 1
	assert_sem_exists "$N"
	run -0 --separate-stderr ipcctl sem value "$N"
	assert_equal "$output" 1
	run -0 --separate-stderr ipcctl sem release "$bare"
	assert_value "$N" 2
	run -0 --separate-stderr ipcctl sem info "$bare" -r
	assert_equal "${lines[1]%% *}" "$N"
	# Diagnostics show the slash too.
	run -66 --separate-stderr ipcctl sem value "${PREFIX}missing"
	assert_diag "ipcctl: sem value: /${PREFIX}missing: No such file or directory"
}

@test "bad names: exit 64 before any system call, nothing created" {
	local bad reason
	while IFS='|' read -r bad reason; do
		run -64 --separate-stderr ipcctl sem create "$bad"
		assert_usage_error "ipcctl: sem create: $bad: $reason" sem create
		run -64 --separate-stderr ipcctl sem acquire -c -v 1 "$bad"
		assert_usage_error "ipcctl: sem acquire: $bad: $reason" sem acquire
		run -64 --separate-stderr ipcctl sem release -c "$bad"
		assert_usage_error "ipcctl: sem release: $bad: $reason" sem release
		run -64 --separate-stderr ipcctl sem value "$bad"
		assert_usage_error "ipcctl: sem value: $bad: $reason" sem value
		run -64 --separate-stderr ipcctl sem info "$bad"
		assert_usage_error "ipcctl: sem info: $bad: $reason" sem info
		run -64 --separate-stderr ipcctl sem unlink "$bad"
		assert_usage_error "ipcctl: sem unlink: $bad: $reason" sem unlink
		run -64 --separate-stderr ipcctl sem run -c -v 1 "$bad" touch ran
		assert_usage_error "ipcctl: sem run: $bad: $reason" sem run
		[ ! -e ran ] || fail "run ran its command with name '$bad'"
	done <<-EOF
	|empty name
	/|name is only a slash
	/${PREFIX}a/b|'/' is allowed only as the first character
	${PREFIX}a/b|'/' is allowed only as the first character
	//${PREFIX}a|'/' is allowed only as the first character
	.|'.' and '..' are not names
	..|'.' and '..' are not names
	/.|'.' and '..' are not names
	/..|'.' and '..' are not names
	EOF
	assert_no_objects
	[ ! -e /dev/shm/sem. ] && [ ! -e /dev/shm/sem.. ] &&
	    [ ! -e /dev/shm/sem... ] || fail "an object '.' or '..' was made"
}

@test "names with a control character: exit 64, nothing created" {
	local bad c
	for c in $'\x01' $'\t' $'\n' $'\e' $'\x7f'; do
		bad="/${PREFIX}a${c}b"
		run -64 --separate-stderr ipcctl sem create "$bad"
		assert_equal "$output" ""
		assert_equal "${stderr_lines[-1]}" "$(usage_line sem create)"
		[[ "$stderr" == "ipcctl: sem create: "*": control character in name"$'\n'* ]] ||
		    fail "stderr: $stderr"
		run -64 --separate-stderr ipcctl sem acquire -c "$bad"
		[[ "$stderr" == "ipcctl: sem acquire: "*": control character in name"$'\n'* ]] ||
		    fail "stderr: $stderr"
	done
	assert_no_objects
}

@test "name length: 251 bytes accepted, 252 refused (255 minus 'sem.')" {
	local pad251 pad252
	printf -v pad251 '%*s' $((251 - ${#PREFIX})) ''
	pad251=$PREFIX${pad251// /a}
	pad252=${pad251}b
	assert_equal "${#pad251}" 251

	run -64 --separate-stderr ipcctl sem create "/$pad252"
	assert_usage_error "ipcctl: sem create: /$pad252: name too long" \
	    sem create
	run -64 --separate-stderr ipcctl sem create "$pad252"
	assert_usage_error "ipcctl: sem create: $pad252: name too long" \
	    sem create
	run -64 --separate-stderr ipcctl sem value "$pad252"
	assert_usage_error "ipcctl: sem value: $pad252: name too long" \
	    sem value
	assert_no_objects

	run -0 --separate-stderr ipcctl sem create "/$pad251" -v 2
	assert_equal "$output$stderr" ""
	assert_sem_exists "/$pad251"
	run -0 --separate-stderr ipcctl sem value "$pad251"
	assert_equal "$output" 2
	run -0 --separate-stderr ipcctl sem unlink "$pad251"
	assert_sem_missing "/$pad251"
}

# ---------------------------------------------------- opening and creating

@test "missing object: exit 66 from every verb that opens one" {
	run -66 --separate-stderr ipcctl sem acquire "$N"
	assert_diag "ipcctl: sem acquire: $N: No such file or directory"
	run -66 --separate-stderr ipcctl sem acquire "$N" -t 0
	assert_diag "ipcctl: sem acquire: $N: No such file or directory"
	run -66 --separate-stderr ipcctl sem release "$N"
	assert_diag "ipcctl: sem release: $N: No such file or directory"
	run -66 --separate-stderr ipcctl sem value "$N"
	assert_diag "ipcctl: sem value: $N: No such file or directory"
	run -66 --separate-stderr ipcctl sem info "$N"
	assert_diag "ipcctl: sem info: $N: No such file or directory"
	run -66 --separate-stderr ipcctl sem info "$N" --json
	assert_diag "ipcctl: sem info: $N: No such file or directory"
	run -66 --separate-stderr ipcctl sem unlink "$N"
	assert_diag "ipcctl: sem unlink: $N: No such file or directory"
	run -66 --separate-stderr ipcctl sem run "$N" touch ran
	assert_diag "ipcctl: sem run: $N: No such file or directory"
	[ ! -e ran ] || fail "run ran its command"
	assert_no_objects
}

@test "-c creates a missing object with -v, opens an existing one as is" {
	run -0 --separate-stderr ipcctl sem release "$N" -c -v 5
	assert_equal "$output$stderr" ""
	assert_value "$N" 6
	run -0 --separate-stderr ipcctl sem release "$N" --create -v 5
	assert_value "$N" 7
	run -0 --separate-stderr ipcctl sem acquire "$(name b)" -c -v 1
	assert_value "$(name b)" 0
	# Exists with value 0: -v 9 is not applied, so this times out.
	run -75 --separate-stderr ipcctl sem acquire "$(name b)" -c -v 9 -t 0.05
	assert_diag "ipcctl: sem acquire: $(name b): timed out"
	assert_value "$(name b)" 0
	run -0 --separate-stderr ipcctl sem run "$(name c)" -c -v 1 -- \
	    sh -c 'echo in'
	assert_equal "$output" "in"
	assert_value "$(name c)" 1
}

@test "-x on acquire, release and run: exit 73 when it exists, value untouched" {
	ipcctl sem create "$N" -v 2
	run -73 --separate-stderr ipcctl sem acquire "$N" -x -v 5
	assert_diag "ipcctl: sem acquire: $N: File exists"
	run -73 --separate-stderr ipcctl sem release "$N" -x
	assert_diag "ipcctl: sem release: $N: File exists"
	run -73 --separate-stderr ipcctl sem run "$N" -x -- touch ran
	assert_diag "ipcctl: sem run: $N: File exists"
	[ ! -e ran ] || fail "run ran its command"
	assert_value "$N" 2
	# New: -x creates (with -v), then the verb does its work.
	run -0 --separate-stderr ipcctl sem acquire "$(name b)" -x -v 1
	assert_equal "$output$stderr" ""
	assert_value "$(name b)" 0
}

@test "-m MODE is exact under umask 077 (octal and symbolic)" {
	umask 077
	run -0 --separate-stderr ipcctl sem create "$N" -m 0666
	assert_equal "$output$stderr" ""
	assert_mode "$N" 666
	run -0 --separate-stderr ipcctl sem create "$(name sym)" -m u=rw,g=rw
	assert_mode "$(name sym)" 660
	run -0 --separate-stderr ipcctl sem create "$(name oct)" --mode 640
	assert_mode "$(name oct)" 640
	run -0 --separate-stderr ipcctl sem release "$(name rel)" -c -m 0604
	assert_mode "$(name rel)" 604
	run -0 --separate-stderr ipcctl sem acquire "$(name acq)" -c -v 1 \
	    -m a=rw
	assert_mode "$(name acq)" 666
	run -0 --separate-stderr ipcctl sem run "$(name run)" -c -v 1 -m 0660 \
	    -- true
	assert_mode "$(name run)" 660
	# The umask is the caller's again afterwards: ipcctl sets it aside only
	# for its own call. (The shell's umask is untouched either way.)
	assert_equal "$(umask)" 0077
}

@test "default mode is 0600 whatever the umask" {
	umask 000
	run -0 --separate-stderr ipcctl sem create "$N"
	assert_mode "$N" 600
	umask 077
	run -0 --separate-stderr ipcctl sem create "$(name b)"
	assert_mode "$(name b)" 600
	umask 022
	run -0 --separate-stderr ipcctl sem release "$(name c)" -c
	assert_mode "$(name c)" 600
}

@test "-m is ignored when the object exists" {
	ipcctl sem create "$N" -v 1
	assert_mode "$N" 600
	run -0 --separate-stderr ipcctl sem create "$N" -m 0666
	assert_mode "$N" 600
	run -0 --separate-stderr ipcctl sem release "$N" -c -m 0666
	assert_mode "$N" 600
	run -0 --separate-stderr ipcctl sem acquire "$N" -c -m 0666
	assert_mode "$N" 600
	assert_value "$N" 1
}

@test "bad modes: exit 64, nothing created" {
	local m
	for m in 0999 12345 4755 01777 bogus "" u+s g+s +t o+t 8 0o644; do
		run -64 --separate-stderr ipcctl sem create "$N" -m "$m"
		assert_equal "$output" ""
		assert_equal "${#stderr_lines[@]}" 2 "stderr for -m '$m'"
		[[ "${stderr_lines[0]}" == "ipcctl: sem create: $m: "* ]] ||
		    fail "-m '$m': ${stderr_lines[0]}"
		assert_equal "${stderr_lines[1]}" "$(usage_line sem create)"
	done
	run -64 --separate-stderr ipcctl sem create "$N" -m 4755
	assert_usage_error \
	    "ipcctl: sem create: 4755: only permission bits (0 to 0777)" sem create
	run -64 --separate-stderr ipcctl sem acquire "$N" -c -m bogus
	assert_usage_error "ipcctl: sem acquire: bogus: not a mode" sem acquire
	assert_no_objects
}

# ----------------------------------------------------------------- verbs

@test "value prints a bare integer" {
	ipcctl sem create "$N" -v 42
	run -0 --separate-stderr ipcctl sem value "$N"
	assert_equal "$output" 42
	assert_equal "$stderr" ""
}

@test "value: missing NAME or an extra operand is a usage error" {
	run -64 --separate-stderr ipcctl sem value
	assert_usage_error "ipcctl: sem value: missing NAME" sem value
	ipcctl sem create "$N"
	run -64 --separate-stderr ipcctl sem value "$N" "$(name b)"
	assert_usage_error "ipcctl: sem value: unexpected operand: $(name b)" \
	    sem value
}

@test "info: plain table" {
	ipcctl sem create "$N" -v 3 -m 0640
	run -0 --separate-stderr ipcctl sem info "$N"
	assert_equal "$output" \
	    "$(info_num_table VALUE "$N" 3 0640 "$(id -un)" "$(id -gn)")"
	assert_equal "$stderr" ""
}

@test "info --json: one document, numbers as JSON numbers" {
	ipcctl sem create "$N" -v 3 -m 0640
	run -0 --separate-stderr ipcctl sem info "$N" --json
	assert_equal "$stderr" ""
	local doc=$output
	run -0 jq -c . <<<"$doc"
	assert_equal "$output" \
	    "{\"semaphores\":[{\"name\":\"$N\",\"value\":3,\"mode\":\"0640\",\"owner\":\"$(id -un)\",\"group\":\"$(id -gn)\"}]}"
	run -0 jq -r '.semaphores[0].value | type' <<<"$doc"
	assert_equal "$output" number
	run -0 jq -e '.semaphores | length == 1' <<<"$doc"

	ipcctl sem create "$(name max)" -v "$SEM_VALUE_MAX"
	run -0 --separate-stderr ipcctl sem info "$(name max)" --json
	run -0 jq -e ".semaphores[0].value == $SEM_VALUE_MAX" <<<"$output"
}

@test "info -r and --pairs" {
	ipcctl sem create "$N" -v 3
	local u g
	u=$(id -un) g=$(id -gn)
	run -0 --separate-stderr ipcctl sem info "$N" -r
	assert_equal "$output" "NAME VALUE MODE OWNER GROUP
$N 3 0600 $u $g"
	run -0 --separate-stderr ipcctl sem info --raw "$N"
	assert_equal "$output" "NAME VALUE MODE OWNER GROUP
$N 3 0600 $u $g"
	run -0 --separate-stderr ipcctl sem info "$N" --pairs
	assert_equal "$output" \
	    "NAME=\"$N\" VALUE=\"3\" MODE=\"0600\" OWNER=\"$u\" GROUP=\"$g\""
	assert_equal "$stderr" ""
	# Safe for eval.
	local NAME VALUE MODE OWNER GROUP
	eval "$output"
	assert_equal "$NAME:$VALUE:$MODE" "$N:3:0600"
}

@test "release: once by default, -n N times" {
	ipcctl sem create "$N"
	run -0 --separate-stderr ipcctl sem release "$N"
	assert_equal "$output$stderr" ""
	assert_value "$N" 1
	run -0 --separate-stderr ipcctl sem release "$N" -n 5
	assert_equal "$output$stderr" ""
	assert_value "$N" 6
	run -0 --separate-stderr ipcctl sem release "$N" --count 0
	assert_value "$N" 6
}

@test "release: bad -n is a usage error and nothing is released" {
	ipcctl sem create "$N" -v 1
	run -64 --separate-stderr ipcctl sem release "$N" -n x
	assert_usage_error "ipcctl: sem release: count x: not a number" \
	    sem release
	run -64 --separate-stderr ipcctl sem release "$N" -n -1
	assert_usage_error "ipcctl: sem release: count -1: too small" \
	    sem release
	run -64 --separate-stderr ipcctl sem release "$N" -n 2147483648
	assert_usage_error "ipcctl: sem release: count 2147483648: too large" \
	    sem release
	assert_value "$N" 1
}

@test "release past SEM_VALUE_MAX: exit 65, says how many were released" {
	ipcctl sem create "$N" -v $((SEM_VALUE_MAX - 7))
	run -65 --separate-stderr ipcctl sem release "$N" -n 10
	assert_diag "ipcctl: sem release: $N: released 7 of 10: the value would pass SEM_VALUE_MAX ($SEM_VALUE_MAX)"
	assert_value "$N" "$SEM_VALUE_MAX"
	run -65 --separate-stderr ipcctl sem release "$N"
	assert_diag "ipcctl: sem release: $N: released 0 of 1: the value would pass SEM_VALUE_MAX ($SEM_VALUE_MAX)"
	assert_value "$N" "$SEM_VALUE_MAX"
}

@test "acquire decrements; -t 0 on 0 exits 75 at once" {
	sem_acquire_to_zero
}

@test "acquire blocks until another process releases" {
	sem_waiter_let_in
}

@test "acquire -t 1m waits, and returns 0 once released" {
	sem_waiter_let_in -t 1m
}

@test "acquire -t 0.4 times out after 0.4 s: exit 75" {
	ipcctl sem create "$N"
	run_within 300 2000 75 ipcctl sem acquire "$N" -t 0.4
	assert_diag "ipcctl: sem acquire: $N: timed out"
	assert_value "$N" 0
}

@test "timeouts: 500ms, 1m and 1d are accepted with their units" {
	ipcctl sem create "$N"
	run_within 400 2000 75 ipcctl sem acquire "$N" --timeout 500ms
	assert_diag "ipcctl: sem acquire: $N: timed out"
	ipcctl sem release "$N" -n 8
	local t
	for t in 1m 500ms 2.5 0.05s 1h .5 1d 0.5d; do
		run -0 --separate-stderr ipcctl sem acquire "$N" -t "$t"
		assert_equal "$output$stderr" "" "-t $t"
	done
	assert_value "$N" 0
}

@test "bad timeouts: exit 64, nothing created" {
	local t
	for t in -1 nan inf abc 1x "" -0.5 1e3 " 1" 1s2 ms; do
		run -64 --separate-stderr ipcctl sem acquire "$N" -c -v 1 -t "$t"
		assert_equal "$output" ""
		assert_equal "${#stderr_lines[@]}" 2 "stderr for -t '$t'"
		[[ "${stderr_lines[0]}" == "ipcctl: sem acquire: timeout $t: "* ]] ||
		    fail "-t '$t': ${stderr_lines[0]}"
		assert_equal "${stderr_lines[1]}" "$(usage_line sem acquire)"
		run -64 --separate-stderr ipcctl sem run "$N" -c -v 1 -t "$t" \
		    touch ran
		[[ "${stderr_lines[0]}" == "ipcctl: sem run: timeout $t: "* ]] ||
		    fail "-t '$t': ${stderr_lines[0]}"
		[ ! -e ran ] || fail "run ran its command with -t '$t'"
		assert_no_objects
	done
	run -64 --separate-stderr ipcctl sem acquire "$N" -c -t -1
	assert_usage_error "ipcctl: sem acquire: timeout -1: not a duration" \
	    sem acquire
	run -64 --separate-stderr ipcctl sem acquire "$N" -c -t 1x
	assert_usage_error \
	    "ipcctl: sem acquire: timeout 1x: not a duration (units: ms, s, m, h, d)" \
	    sem acquire
	assert_no_objects
}

@test "a signal ends a blocked acquire: 143, value unchanged" {
	sem_signal_ends_wait
}

@test "unlink removes every NAME given" {
	ipcctl sem create "$N"
	ipcctl sem create "$(name b)"
	run -0 --separate-stderr ipcctl sem unlink "$N" "${PREFIX}b"
	assert_equal "$output$stderr" ""
	assert_sem_missing "$N"
	assert_sem_missing "$(name b)"
}

@test "unlink: a missing one exits 66 after removing the others" {
	ipcctl sem create "$N"
	ipcctl sem create "$(name c)"
	run -66 --separate-stderr ipcctl sem unlink "$N" "$(name b)" "$(name c)"
	assert_diag "ipcctl: sem unlink: $(name b): No such file or directory"
	assert_sem_missing "$N"
	assert_sem_missing "$(name c)"
}

@test "unlink -f: a missing NAME is no error, as rm -f" {
	ipcctl sem create "$N"
	ipcctl sem create "$(name c)"
	run -0 --separate-stderr ipcctl sem unlink -f "$N" "$(name b)" "$(name c)"
	assert_equal "$output$stderr" ""
	assert_sem_missing "$N"
	assert_sem_missing "$(name c)"
	run -0 --separate-stderr ipcctl sem unlink "$(name b)" --force
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr ipcctl sem unlink -f
	assert_equal "$output$stderr" ""
	# Only "missing" is forgiven: a bad name is still a usage error.
	run -64 --separate-stderr ipcctl sem unlink -f ""
	assert_usage_error "ipcctl: sem unlink: : empty name" sem unlink
}

@test "unlink: a bad name removes nothing; no NAME is a usage error" {
	ipcctl sem create "$N"
	run -64 --separate-stderr ipcctl sem unlink "$N" ""
	assert_usage_error "ipcctl: sem unlink: : empty name" sem unlink
	assert_sem_exists "$N"
	run -64 --separate-stderr ipcctl sem unlink
	assert_usage_error "ipcctl: sem unlink: missing NAME" sem unlink
	assert_sem_exists "$N"
}

# ------------------------------------------------------------------- run

@test "run: COMMAND's status and output pass through; token released" {
	sem_run_status
}

@test "run: 126 for a file that is not executable, 127 for none" {
	ipcctl sem create "$N" -v 1
	printf '#!/bin/sh\ntouch ran\n' >script
	chmod 0644 script
	run -126 --separate-stderr ipcctl sem run "$N" ./script
	assert_diag "ipcctl: sem run: ./script: Permission denied"
	[ ! -e ran ]
	assert_value "$N" 1
	run -127 --separate-stderr ipcctl sem run "$N" "${PREFIX}no-such-command"
	assert_diag "ipcctl: sem run: ${PREFIX}no-such-command: No such file or directory"
	assert_value "$N" 1
	run -127 --separate-stderr ipcctl sem run "$N" ./no-such-file
	assert_diag "ipcctl: sem run: ./no-such-file: No such file or directory"
	assert_value "$N" 1
}

@test "run: busy exits 75, or CODE with -E; COMMAND does not run" {
	ipcctl sem create "$N"
	run -75 --separate-stderr ipcctl sem run "$N" -t 0 touch ran
	assert_diag "ipcctl: sem run: $N: timed out"
	run -3 --separate-stderr ipcctl sem run "$N" -t 0 -E 3 touch ran
	assert_diag "ipcctl: sem run: $N: timed out"
	run -0 --separate-stderr ipcctl sem run "$N" -t 0 -E 0 touch ran
	run -9 --separate-stderr ipcctl sem run "$N" -t 0.1 \
	    --conflict-exit-code 9 touch ran
	assert_diag "ipcctl: sem run: $N: timed out"
	run -75 --separate-stderr ipcctl sem run "$N" -t 0.1 -- touch ran
	assert_diag "ipcctl: sem run: $N: timed out"
	[ ! -e ran ] || fail "COMMAND ran while the semaphore was busy"
	assert_value "$N" 0
}

@test "run: usage errors" {
	ipcctl sem create "$N" -v 1
	run -64 --separate-stderr ipcctl sem run "$N"
	assert_usage_error "ipcctl: sem run: missing COMMAND" sem run
	run -64 --separate-stderr ipcctl sem run "$N" --
	assert_usage_error "ipcctl: sem run: missing COMMAND" sem run
	run -64 --separate-stderr ipcctl sem run
	assert_usage_error "ipcctl: sem run: missing NAME" sem run
	run -64 --separate-stderr ipcctl sem run "$N" -E 256 true
	assert_usage_error "ipcctl: sem run: conflict exit code 256: too large" \
	    sem run
	run -64 --separate-stderr ipcctl sem run "$N" -E abc true
	assert_usage_error "ipcctl: sem run: conflict exit code abc: not a number" \
	    sem run
	assert_value "$N" 1
}

@test "run: options after NAME are ipcctl's, COMMAND's options its own" {
	ipcctl sem create "$N" -v 1
	run -0 --separate-stderr ipcctl sem run "$N" -t 5 sh -c 'echo "$@"' x -a -b
	assert_equal "$output" "-a -b"
	assert_equal "$stderr" ""
	# COMMAND's options that look like ipcctl's stay COMMAND's.
	run -0 --separate-stderr ipcctl sem run "$N" -t 5 -E 3 sh -c 'echo "$@"' \
	    x -t 9 -E 1 --help -c
	assert_equal "$output" "-t 9 -E 1 --help -c"
	# "--" before COMMAND is allowed, and later ones are COMMAND's.
	run -0 --separate-stderr ipcctl sem run "$N" -t 5 -- sh -c 'echo "$@"' \
	    x -- -a
	assert_equal "$output" "-- -a"
	run -0 --separate-stderr ipcctl sem run -t 5 -- "$N" sh -c 'echo "$@"' x -a
	assert_equal "$output" "-a"
	assert_value "$N" 1
}

@test "run: a mutex loses no update (4 workers x 50 increments)" {
	ipcctl sem create "$N" -v 1
	echo 0 >counter
	local w pids=() st
	for w in 1 2 3 4; do
		(
			for ((i = 0; i < 50; i++)); do
				"$IPCCTL" sem run "$N" -- sh -c \
				    'n=$(cat counter); echo $((n + 1)) >counter' ||
				    exit 1
			done
		) 3>&- &
		pids+=($!)
		bg_track "$!"
	done
	for w in "${pids[@]}"; do
		st=0
		wait "$w" || st=$?
		assert_equal "$st" 0 "worker $w"
	done
	assert_equal "$(cat counter)" 200
	assert_value "$N" 1
}

@test "run: COMMAND killed by SIGKILL: token released, ipcctl dies by it (137)" {
	ipcctl sem create "$N" -v 1
	run -137 --separate-stderr ipcctl sem run "$N" sh -c 'kill -KILL $$'
	assert_equal "$output" ""
	assert_value "$N" 1
}

# ipcctl-sem(1), sem run: the guard's failure is run's failure: 71 with
# words that name the guard, never COMMAND's status or 126; what it
# guarded is ended and the token goes back.
@test "run: its guard killed meanwhile: 71 naming it, COMMAND ended, token released" {
	ipcctl sem create "$N" -v 1
	run -71 --separate-stderr ipcctl sem run "$N" -- sh -c '
		echo $$ >cmd; echo $PPID >guard
		kill -KILL $PPID; exec sleep 300'
	orphan_track "$(cat cmd)"
	assert_equal "$output" ""
	assert_equal "$stderr" "ipcctl: sem run: $N: the guard of COMMAND (pid $(cat guard)) died: COMMAND and its processes were ended, the token given back"
	gone "$(cat cmd)" || fail "COMMAND still runs"
	assert_value "$N" 1
}

@test "run: SIGTERM to ipcctl reaches COMMAND; token released; exit 143" {
	ipcctl sem create "$N" -v 1
	"$IPCCTL" sem run "$N" -- sh -c '
		trap "echo TERM >got; trap - TERM; kill -TERM \$\$" TERM
		: >ready
		while :; do sleep 0.02; done' >out 2>err 3>&- &
	local pid=$!
	bg_track "$pid"
	wait_for test -e ready
	assert_value "$N" 0
	kill -TERM "$pid"
	local st=0
	wait "$pid" || st=$?
	assert_equal "$st" 143 "ipcctl's status"
	assert_equal "$(cat got)" TERM
	assert_equal "$(cat out err)" ""
	assert_value "$N" 1
}

@test "run: forwards HUP INT QUIT TERM USR1 USR2; exits with COMMAND's status" {
	env --default-signal=INT true 2>/dev/null ||
	    skip "env --default-signal (coreutils 8.31) is needed"
	ipcctl sem create "$N" -v 1
	local sig st pid
	for sig in HUP INT QUIT TERM USR1 USR2; do
		rm -f ready got
		# A background job starts with INT and QUIT ignored; give ipcctl
		# the default dispositions a terminal job would have.
		env --default-signal "$IPCCTL" sem run "$N" -- sh -c '
			for s in HUP INT QUIT TERM USR1 USR2; do
				trap "echo $s >got; exit 7" $s
			done
			: >ready
			while :; do sleep 0.02; done' 3>&- &
		pid=$!
		bg_track "$pid"
		wait_for test -e ready
		kill -"$sig" "$pid"
		st=0
		wait "$pid" || st=$?
		assert_equal "$st" 7 "status after SIG$sig"
		assert_equal "$(cat got)" "$sig" "signal COMMAND got"
		assert_value "$N" 1
	done
}

# ---------------------------------------------------------- exit status

@test "permission denied: exit 77 (as user nobody)" {
	need_unprivileged
	ipcctl sem create "$N" -v 1 -m 0600
	run -77 --separate-stderr as_nobody "$IPCCTL" sem value "$N"
	assert_diag "ipcctl: sem value: $N: Permission denied"
	run -77 --separate-stderr as_nobody "$IPCCTL" sem acquire "$N" -t 0
	assert_diag "ipcctl: sem acquire: $N: Permission denied"
	run -77 --separate-stderr as_nobody "$IPCCTL" sem acquire "$N" -c
	assert_diag "ipcctl: sem acquire: $N: Permission denied"
	run -77 --separate-stderr as_nobody "$IPCCTL" sem release "$N"
	assert_diag "ipcctl: sem release: $N: Permission denied"
	run -77 --separate-stderr as_nobody "$IPCCTL" sem info "$N"
	assert_diag "ipcctl: sem info: $N: Permission denied"
	run -77 --separate-stderr as_nobody "$IPCCTL" sem run "$N" touch ran
	assert_diag "ipcctl: sem run: $N: Permission denied"
	[ ! -e ran ] || fail "run ran its command"
	run -77 --separate-stderr as_nobody "$IPCCTL" sem unlink "$N"
	assert_diag "ipcctl: sem unlink: $N: Permission denied"
	assert_sem_exists "$N"
	assert_value "$N" 1
}

@test "-m 0666 lets another user use it" {
	need_unprivileged
	ipcctl sem create "$N" -v 1 -m 0666
	run -0 --separate-stderr as_nobody "$IPCCTL" sem acquire "$N" -t 0
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr as_nobody "$IPCCTL" sem value "$N"
	assert_equal "$output" 0
}

@test "writing stdout fails: exit 74" {
	ipcctl sem create "$N" -v 3
	run -74 --separate-stderr sh -c '"$IPCCTL" sem value "$1" >/dev/full' \
	    sh "$N"
	assert_diag "ipcctl: sem value: write error: No space left on device"
	run -74 --separate-stderr sh -c '"$IPCCTL" sem info "$1" >/dev/full' \
	    sh "$N"
	assert_diag "ipcctl: sem info: write error: No space left on device"
	run -74 --separate-stderr sh -c \
	    '"$IPCCTL" sem info "$1" --json >/dev/full' sh "$N"
	assert_diag "ipcctl: sem info: write error: No space left on device"
	assert_value "$N" 3
}

# ------------------------------------------------------- damaged objects
# ipcctl-sem(1): a file under /dev/shm/sem.NAME that cannot be a semaphore
# (shorter than a sem_t, a FIFO, a directory) is reported in one line and
# the exit status is 65; it is never mapped and touched (SIGBUS), never
# waited on, and never removed or truncated.

# damaged_everywhere NAME WHY: every verb that opens semaphore NAME, with
# and without -c (an existing file is opened as it is, not made again),
# is 65 with WHY, and run never runs its command.
damaged_everywhere() {
	local v
	for v in value info "acquire -t 0" release holders recover create \
	    "acquire -c -t 0"; do
		# shellcheck disable=SC2086
		run -65 --separate-stderr ipcctl sem $v "$1"
		assert_diag "ipcctl: sem ${v%% *}: $1: $2" || return 1
	done
	for v in -t0 "-c -v 1"; do
		# shellcheck disable=SC2086
		run -65 --separate-stderr ipcctl sem run "$1" $v -- touch ran
		assert_diag "ipcctl: sem run: $1: $2" || return 1
		[ ! -e ran ] || fail "run $v ran its command" || return 1
	done
}

@test "damaged: a 0-byte file is not a semaphore: exit 65 from every verb, file kept" {
	local f
	f=$(sem_file "$N")
	: >"$f"
	damaged_everywhere "$N" "is 0 bytes, not a semaphore"
	# No error path removed or truncated it.
	[ -f "$f" ] || fail "$f is gone"
	assert_equal "$(stat -c %s "$f")" 0 "size of $f"
}

@test "damaged: a 16-byte file (shorter than a sem_t) is not a semaphore: exit 65" {
	local f
	f=$(sem_file "$N")
	head -c 16 /dev/zero >"$f"
	damaged_everywhere "$N" "is 16 bytes, not a semaphore"
	assert_equal "$(stat -c %s "$f")" 16 "size of $f"
	assert_equal "$(od -An -t x1 "$f" | tr -d ' \n')" \
	    00000000000000000000000000000000 "contents of $f"
}

@test "damaged: a FIFO is not a semaphore: exit 65 at once, no hang" {
	local f
	f=$(sem_file "$N")
	mkfifo "$f"
	local not="is a FIFO, not a semaphore"
	# timeout passes the status through; a hang ends as 124.
	run -65 --separate-stderr timeout 10 "$IPCCTL" sem value "$N"
	assert_diag "ipcctl: sem value: $N: $not"
	run -65 --separate-stderr timeout 10 "$IPCCTL" sem info "$N"
	assert_diag "ipcctl: sem info: $N: $not"
	run -65 --separate-stderr timeout 10 "$IPCCTL" sem acquire "$N" -t 0
	assert_diag "ipcctl: sem acquire: $N: $not"
	run -65 --separate-stderr timeout 10 "$IPCCTL" sem holders "$N"
	assert_diag "ipcctl: sem holders: $N: $not"
	[ -p "$f" ] || fail "$f is no longer a FIFO"
}

@test "damaged: a directory is not a semaphore: exit 65" {
	local f
	f=$(sem_file "$N")
	mkdir "$f"
	run -65 --separate-stderr ipcctl sem value "$N"
	assert_diag "ipcctl: sem value: $N: is a directory, not a semaphore"
	[ -d "$f" ] || fail "$f is no longer a directory"
}

# ipcctl-sem(1): while acquire waits, it checks the object again at least
# once a second, so a file truncated under it ends the wait with 65.

@test "acquire -t 3 waiting when the file is truncated to 0: exit 65, not SIGBUS" {
	ipcctl sem create "$N"
	"$IPCCTL" sem acquire "$N" -t 3 >out 2>err 3>&- &
	local pid=$! st=0
	bg_track "$pid"
	wait_blocked "$pid"
	truncate -s 0 "$(sem_file "$N")"
	wait "$pid" || st=$?
	assert_equal "$st" 65 "acquire's status"
	assert_equal "$(cat out)" "" "stdout"
	assert_equal "$(cat err)" \
	    "ipcctl: sem acquire: $N: is 0 bytes, not a semaphore" "stderr"
}

@test "acquire with no -t waiting when the file is truncated: exit 65 within 5 s" {
	ipcctl sem create "$N"
	"$IPCCTL" sem acquire "$N" >out 2>err 3>&- &
	local pid=$! st=0
	bg_track "$pid"
	wait_blocked "$pid"
	truncate -s 0 "$(sem_file "$N")"
	wait_for gone "$pid"
	wait "$pid" || st=$?
	assert_equal "$st" 65 "acquire's status"
	assert_equal "$(cat out)" "" "stdout"
	assert_equal "$(cat err)" \
	    "ipcctl: sem acquire: $N: is 0 bytes, not a semaphore" "stderr"
}

# ------------------------------------------------ run and process groups
# ipcctl-sem(1), run: a simple command to the shell. COMMAND runs in the
# caller's process group, and run never changes the terminal's
# foreground group; signals sent to run alone are passed on.

@test "run: COMMAND runs in the caller's process group" {
	local pgid
	pgid=$(ps -o pgid= -p "$BASHPID")
	run -0 --separate-stderr ipcctl sem run "$N" -c -- \
	    sh -c 'ps -o pgid= -p $$'
	assert_equal "${output//[[:space:]]/}" "${pgid//[[:space:]]/}" \
	    "COMMAND's process group"
	assert_equal "$stderr" ""
	assert_value "$N" 1
}

@test "run: what COMMAND leaves running ends before the token goes back" {
	# ipcctl-sem(1), run: a command never outlives its token, nor do the
	# processes it starts. The stray here ignores nothing: SIGTERM ends it.
	run -0 --separate-stderr ipcctl sem run "$N" -c -v 1 -- \
	    sh -c 'sleep 300 & echo $! >stray; echo started'
	assert_equal "$output" started
	assert_equal "$stderr" ""
	orphan_track "$(cat stray)"
	gone "$(cat stray)" || fail "the stray sleep still runs"
	assert_value "$N" 1
}

@test "run: a stray that ignores SIGTERM is killed after the grace time" {
	local t0 t1
	t0=$(now_ms)
	run -0 --separate-stderr ipcctl sem run "$N" -c -v 1 -- \
	    sh -c '(trap "" TERM; : >ready; exec sleep 300) & echo $! >stray
	    while [ ! -e ready ]; do sleep 0.01; done'
	t1=$(now_ms)
	assert_equal "$output$stderr" ""
	orphan_track "$(cat stray)"
	gone "$(cat stray)" || fail "the stray sleep still runs"
	((t1 - t0 >= 1900)) || fail "killed before the grace time: $((t1 - t0)) ms"
	assert_value "$N" 1
}

@test "run: SIGTERM to run alone reaches COMMAND; run dies by it (143)" {
	ipcctl sem create "$N" -v 1
	"$IPCCTL" sem run "$N" -- sh -c ': >ready; exec sleep 300' \
	    >out 2>err 3>&- &
	local pid=$! child st=0
	bg_track "$pid"
	wait_for test -e ready
	child=$(run_child "$pid")
	[ -n "$child" ] || fail "sem run $pid has no COMMAND"
	orphan_track "$child"
	kill -TERM "$pid"
	wait "$pid" || st=$?
	assert_equal "$st" 143 "run's status"
	assert_equal "$(cat out err)" ""
	wait_for gone "$child"
	assert_value "$N" 1
}

@test "run under a terminal: the foreground group stays the caller's, COMMAND in it" {
	command -v script >/dev/null 2>&1 ||
	    skip "script (util-linux) is needed to give run a terminal"
	local cmd
	printf -v cmd 'ps -o tpgid=,pgid= -p $$; %q sem run %q -c -- sh -c %q' \
	    "$IPCCTL" "$N" 'ps -o tpgid=,pgid= -p $$'
	run -0 --separate-stderr timeout 20 script -qec "$cmd" /dev/null \
	    </dev/null
	local -a l
	mapfile -t l <<<"${output//$'\r'/}"
	[ "${#l[@]}" = 2 ] || fail "not two lines: $output"
	assert_equal "$(echo ${l[1]})" "$(echo ${l[0]})" \
	    "COMMAND's terminal group and group, against its caller's"
	assert_value "$N" 1
}
