#!/usr/bin/env bats
# sem run as the shell meets it (ipcctl-sem(1), sem run): a simple command
# like flock(1), at a real terminal (an interactive bash in tmux) and in
# scripts and pipelines; a guard that never lets COMMAND outlive its
# token; one busy message.

load helpers
load tty

# wait_state PID STATES: until PID's state (proc_state) is one
# of STATES.
wait_state() {
	wait_for has_state "$1" "$2"
}

has_state() {
	[[ $2 == *"$(proc_state "$1")"* ]]
}

# comm_pid PATTERN: the process on the terminal whose command line
# matches PATTERN.
comm_pid() {
	tty_pid "$1"
}

# ------------------------------------------------------- at a terminal

@test "terminal: ^C in a script's loop of runs ends the script" {
	cat >loop.sh <<-EOF
		for i in 1 2 3; do
		    ipcctl sem run $N -c -- sleep 30
		    echo "iter \$i rc=\$?"
		done
		echo end
	EOF
	tty_start
	tty_line "bash loop.sh"
	wait_for comm_pid "^sleep 30$"
	tty_type C-c
	screen_wait '^\$ $'
	tty_line 'echo "script rc=$?"'
	screen_wait '^script rc=130$'
	assert_equal "$(screen_count 'iter|^end')" 0 "lines after ^C"
	assert_value "$N" 1
}

@test "terminal: ^Z, bg, then COMMAND ends: the shell goes on" {
	tty_start
	tty_line "ipcctl sem run $N -c -- sleep 1"
	wait_for comm_pid "^sleep 1$"
	tty_type C-z
	screen_wait 'Stopped +ipcctl sem run'
	tty_line "bg"
	screen_wait 'ipcctl sem run .* &$'
	# Once COMMAND ended, the shell still reads its terminal.
	wait_for value_is "$N" 1
	tty_line "echo still here"
	screen_wait '^still here$'
	tty_line 'jobs; echo "jobs done"'
	screen_wait '^jobs done$'
}

@test "terminal: ^Z and bg while waiting for the token; the token comes, the shell goes on" {
	ipcctl sem create "$N" -v 0
	tty_start
	tty_line "ipcctl sem run $N -- sh -c 'echo got it; sleep 0.3'"
	local pid
	wait_for comm_pid "^ipcctl sem run $N "
	pid=$(comm_pid "^ipcctl sem run $N ")
	wait_blocked "$pid"
	tty_type C-z
	screen_wait 'Stopped +ipcctl sem run'
	tty_line "bg"
	screen_wait 'ipcctl sem run .* &$'
	ipcctl sem release "$N"
	screen_wait 'got it$'
	wait_for gone "$pid"
	tty_line "echo still here"
	screen_wait '^still here$'
}

@test "terminal: run in a pipeline to less: less has the terminal" {
	printf 'line %s\n' {1..5} >file
	tty_start
	tty_line "ipcctl sem run $N -c -- cat file | less"
	screen_wait '^line 5$'
	tty_type q
	tty_line 'echo "after less"'
	screen_wait '^after less$'
	assert_equal "$(screen_count 'Stopped')" 0 "jobs stopped"
}

@test "terminal: two runs in a pipeline: the first reads the terminal" {
	tty_start
	tty_line "ipcctl sem run ${N}a -c -- cat | ipcctl sem run ${N}b -c -- cat"
	wait_for comm_pid "^cat$"
	tty_line "hello pipe"
	screen_wait '^hello pipe$'
	# Typed, then printed by the second cat.
	wait_for screen_has '^hello pipe$' 2
	tty_type C-d
	tty_line 'echo "rc=$?"'
	screen_wait '^rc=0$'
	assert_equal "$(screen_count 'Stopped')" 0 "jobs stopped"
	track "${N}a"
	track "${N}b"
}

@test "terminal: ^Z stops a pipeline with a run; fg resumes it" {
	tty_start
	tty_line "ipcctl sem run $N -c -- cat | tee /dev/null"
	wait_for comm_pid "^cat$"
	tty_type C-z
	screen_wait 'Stopped +ipcctl sem run'
	tty_line "fg"
	tty_line "back again"
	wait_for screen_has '^back again$' 2
	tty_type C-d
	tty_line 'echo "rc=$?"'
	screen_wait '^rc=0$'
	assert_value "$N" 1
}

@test "terminal: ^Z stops a script that runs cat under run" {
	printf '%s\n' "ipcctl sem run $N -c -- cat" >cat.sh
	tty_start
	tty_line "bash cat.sh"
	wait_for comm_pid "^cat$"
	tty_type C-z
	screen_wait 'Stopped +bash cat.sh'
	tty_line "fg"
	tty_line "more"
	wait_for screen_has '^more$' 2
	tty_type C-d
	tty_line 'echo "rc=$?"'
	screen_wait '^rc=0$'
}

@test "terminal: a background run that reads the terminal stops, and spins not" {
	tty_start
	tty_line "bash -c 'trap \"\" TSTP; exec ipcctl sem run $N -c -- cat' &"
	local cat ipc t0 t1
	wait_for comm_pid "^cat$"
	cat=$(comm_pid "^cat$")
	ipc=$(comm_pid "^ipcctl sem run $N ")
	wait_state "$cat" T
	wait_state "$ipc" T
	# The shell tells of the stop before its next prompt.
	tty_type Enter
	screen_wait 'Stopped +bash -c'
	assert_equal "$(screen_count 'Stopped')" 1 "stops told"
	t0=$(awk '{print $14 + $15}' "/proc/$ipc/stat")
	sleep 0.5
	t1=$(awk '{print $14 + $15}' "/proc/$ipc/stat")
	assert_equal "$t1" "$t0" "CPU ticks of a stopped run"
	tty_line "kill -TERM %1; fg"
	wait_for gone "$ipc"
	assert_value "$N" 1
}

# ------------------------------------------------------------ signals

@test "run: a stopped COMMAND ends with a timeout's SIGTERM, in time" {
	local t0 t1
	ipcctl sem create "$N" -v 1
	t0=$(now_ms)
	run -124 --separate-stderr timeout -k 5 2 "$IPCCTL" sem run "$N" -- \
	    sh -c 'kill -STOP $$'
	t1=$(now_ms)
	((t1 - t0 < 4000)) || fail "ended after $((t1 - t0)) ms"
	assert_equal "$output$stderr" ""
	assert_value "$N" 1
}

@test "run: a SIGTERM to run alone reaches a stopped COMMAND" {
	ipcctl sem create "$N" -v 1
	"$IPCCTL" sem run "$N" -- sh -c 'echo $$ >cmd; kill -STOP $$' \
	    3>&- &
	local pid=$! st=0
	bg_track "$pid"
	wait_for test -s cmd
	wait_state "$(cat cmd)" T
	kill -TERM "$pid"
	wait "$pid" || st=$?
	assert_equal "$st" 143 "run's status"
	assert_value "$N" 1
}

@test "run: SIGCONT sent to run is passed on to COMMAND" {
	ipcctl sem create "$N" -v 1
	"$IPCCTL" sem run "$N" -- sh -c 'echo $$ >cmd; kill -STOP $$
	    echo resumed >out' 3>&- &
	local pid=$! st=0
	bg_track "$pid"
	wait_for test -s cmd
	wait_state "$(cat cmd)" T
	kill -CONT "$pid"
	wait "$pid" || st=$?
	assert_equal "$st" 0 "run's status"
	assert_equal "$(cat out)" resumed
	assert_value "$N" 1
}

# ------------------------------------------------------------- guard

@test "run: COMMAND's processes that detach (setsid, double fork) end before the token goes back" {
	run -0 --separate-stderr ipcctl sem run "$N" -c -- sh -c '
		setsid sh -c "echo \$\$ >a; exec sleep 300" &
		( ( echo $BASHPID >/dev/null; sh -c "echo \$\$ >b; exec sleep 300" & ) & )
		while [ ! -s a ] || [ ! -s b ]; do sleep 0.01; done'
	orphan_track "$(cat a)"
	orphan_track "$(cat b)"
	assert_equal "$output$stderr" ""
	gone "$(cat a)" || fail "the setsid process still runs"
	gone "$(cat b)" || fail "the double-forked process still runs"
	assert_value "$N" 1
}

@test "run: killed by SIGKILL while COMMAND ignores SIGTERM: all ended, token back in time" {
	"$IPCCTL" sem run "$N" -c -- sh -c 'trap "" TERM; echo $$ >cmd
	    while :; do sleep 0.05; done' 3>&- &
	local pid=$! t0
	bg_track "$pid"
	wait_for test -s cmd
	orphan_track "$(cat cmd)"
	assert_value "$N" 0
	t0=$(now_ms)
	kill -KILL "$pid"
	wait_for gone "$(cat cmd)"
	wait_for value_is "$N" 1
	(($(now_ms) - t0 < 4500)) || fail "token back after $(($(now_ms) - t0)) ms"
}

# The guard sees COMMAND end and run gone at the same wake: it is stopped
# (by COMMAND) while COMMAND SIGKILLs run and ends, then continued. It
# must give the token back, though run can no longer hear COMMAND's end.
@test "run: killed by SIGKILL as COMMAND ends: the guard gives the token back" {
	run -137 --separate-stderr ipcctl sem run "$N" -c -- sh -c '
		g=$PPID; r=$(cut -d" " -f4 "/proc/$g/stat")
		kill -STOP "$g"; kill -KILL $r
		(sleep 0.2; kill -CONT "$g") & exit 0'
	assert_equal "$output$stderr" ""
	wait_for value_is "$N" 1
	run -0 --separate-stderr ipcctl sem holders "$N" --pairs
	assert_equal "$output$stderr" ""
}

# value_is NAME N: the value of NAME is N.
value_is() {
	[ "$("$IPCCTL" sem value "$1" 2>/dev/null)" = "$2" ]
}

# ---------------------------------------------------- create, busy

@test "run -c and acquire -c make a semaphore at 1; create makes it at 0" {
	run -0 --separate-stderr ipcctl sem run "$N" -c -t 1 -- echo hi
	assert_equal "$output$stderr" "hi"
	assert_value "$N" 1
	local m
	m=$(name m)
	run -0 --separate-stderr ipcctl sem acquire "$m" -c -t 0
	assert_equal "$output$stderr" ""
	assert_value "$m" 0
	run -0 --separate-stderr ipcctl sem run "$(name v)" -c -v 3 -- true
	assert_value "$(name v)" 3
	run -0 --separate-stderr ipcctl sem create "$(name z)"
	assert_value "$(name z)" 0
}

@test "busy: -t 0 and -t T say the same words, naming the holder" {
	ipcctl sem create "$N" -v 1
	"$IPCCTL" sem run "$N" -- sleep 300 3>&- &
	local pid=$!
	bg_track "$pid"
	wait_for value_is "$N" 0
	run -75 --separate-stderr ipcctl sem run "$N" -t 0 -- echo ran
	assert_diag "ipcctl: sem run: $N: timed out; held by pid $pid (alive)"
	run -75 --separate-stderr ipcctl sem run "$N" -t 0.2 -- echo ran
	assert_diag "ipcctl: sem run: $N: timed out; held by pid $pid (alive)"
	run -75 --separate-stderr ipcctl sem acquire "$N" -t 0
	assert_diag "ipcctl: sem acquire: $N: timed out; held by pid $pid (alive)"
	# No ledger, no holder to name.
	local m
	m=$(name m)
	ipcctl sem create "$m"
	run -75 --separate-stderr ipcctl sem acquire "$m" -t 0
	assert_diag "ipcctl: sem acquire: $m: timed out"
	run -75 --separate-stderr ipcctl sem acquire "$m" -t 0.1
	assert_diag "ipcctl: sem acquire: $m: timed out"
}
