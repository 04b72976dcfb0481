# ipcctl sem: the behaviour every backend promises (ipcctl-sem(1);
# ipcctl(1), Objects across hosts), written once. A test file loads this,
# sets S to its semaphore (a local name, or an etcd: one) and calls each
# sem_* function from a test of its own, as once.bash does for sem run
# --once-per. The file also defines:
#
#   wait_waiting PID      PID, an acquire, waits for a token
#
# Each function makes the semaphore S; one that is called after another in
# the same test needs a fresh S.

# sem_create_existing: create on an existing semaphore exits 0 and leaves
# it as it is.
sem_create_existing() {
	ipcctl sem create "$S" -v 2
	run -0 --separate-stderr ipcctl sem create "$S" -v 9
	assert_equal "$output$stderr" ""
	assert_value "$S" 2
	run -0 --separate-stderr ipcctl sem create "$S" -c -v 9
	assert_equal "$output$stderr" ""
	assert_value "$S" 2
}

# sem_create_exclusive: create -x on an existing semaphore is 73, and
# leaves it as it is.
sem_create_exclusive() {
	ipcctl sem create "$S" -v 2
	run -73 --separate-stderr ipcctl sem create "$S" -x -v 9
	assert_diag "ipcctl: sem create: $S: File exists"
	assert_value "$S" 2
	run -73 --separate-stderr ipcctl sem create --exclusive "$S"
	assert_diag "ipcctl: sem create: $S: File exists"
	assert_value "$S" 2
}

# sem_acquire_to_zero: acquire takes a token; with none left, -t 0 is 75
# at once and -t 0.2 is 75 after that long, the value unchanged.
sem_acquire_to_zero() {
	ipcctl sem create "$S" -v 2
	run -0 --separate-stderr ipcctl sem acquire "$S"
	assert_equal "$output$stderr" ""
	assert_value "$S" 1
	run -0 --separate-stderr ipcctl sem acquire "$S" -t 0
	assert_equal "$output$stderr" ""
	assert_value "$S" 0
	run_within 0 1000 75 ipcctl sem acquire "$S" -t 0
	assert_diag "ipcctl: sem acquire: $S: timed out"
	run_within 150 2000 75 ipcctl sem acquire "$S" -t 0.2
	assert_diag "ipcctl: sem acquire: $S: timed out"
	assert_value "$S" 0
}

# release_lets_in PID: a release of S, silent, lets PID in: PID, an
# acquire writing to out and err, ends with 0, silently, within 5 s.
release_lets_in() {
	local t0 waited st=0
	t0=$(now_ms)
	run -0 --separate-stderr ipcctl sem release "$S"
	assert_equal "$output$stderr" ""
	wait_for gone "$1"
	waited=$(($(now_ms) - t0))
	wait "$1" || st=$?
	assert_equal "$st" 0 "acquire's status"
	assert_equal "$(cat out err)" ""
	((waited < 5000)) || fail "let in $waited ms after the release"
}

# sem_waiter_let_in [ACQUIRE_OPTION...]: an acquire that waits is let in
# (within 5 s) when another process releases, and then holds the token.
sem_waiter_let_in() {
	ipcctl sem create "$S" -v 1
	ipcctl sem acquire "$S"
	"$IPCCTL" sem acquire "$S" "$@" >out 2>err 3>&- &
	local pid=$!
	bg_track "$pid"
	wait_waiting "$pid"
	kill -0 "$pid"
	assert_value "$S" 0
	release_lets_in "$pid"
	# It holds now, though it has ended.
	assert_value "$S" 0
}

# sem_signal_ends_wait: SIGTERM ends an acquire that waits: 143, and the
# dead waiter took no token: a release is there for the next one.
sem_signal_ends_wait() {
	ipcctl sem create "$S" -v 1
	ipcctl sem acquire "$S"
	"$IPCCTL" sem acquire "$S" >out 2>err 3>&- &
	local pid=$! st=0
	bg_track "$pid"
	wait_waiting "$pid"
	kill -TERM "$pid"
	wait "$pid" || st=$?
	assert_equal "$st" 143 "acquire's status"
	assert_equal "$(cat out err)" ""
	assert_value "$S" 0
	ipcctl sem release "$S"
	assert_value "$S" 1
}

# sem_run_status: run passes COMMAND's status and output through, holding
# a token while COMMAND runs and giving it back after.
sem_run_status() {
	ipcctl sem create "$S" -v 1
	run -0 --separate-stderr ipcctl sem run "$S" -- sh -c \
	    'echo out; echo err >&2; echo "v=$("$IPCCTL" sem value "$1")"' sh "$S"
	assert_equal "$output" "out
v=0"
	assert_equal "$stderr" "err"
	assert_value "$S" 1
	run -42 --separate-stderr ipcctl sem run "$S" -- sh -c 'exit 42'
	assert_equal "$output$stderr" ""
	assert_value "$S" 1
	run -1 --separate-stderr ipcctl sem run "$S" false
	assert_equal "$output$stderr" ""
	assert_value "$S" 1
	run -255 --separate-stderr ipcctl sem run "$S" sh -c 'exit 255'
	assert_equal "$output$stderr" ""
	assert_value "$S" 1
}
