#!/usr/bin/env bats
# Semaphores kept in etcd: names written "etcd:NAME" (ipcctl(1), Objects
# across hosts; ipcctl-sem(1) for the verbs). The file starts an etcd of
# its own on two free loopback ports and stops it after its last test.
# Every test states the exact exit status and the exact output.

load helpers
load etcd
load sem-contract

# ------------------------------------------------------------ the server

setup_file() {
	etcd_file single
}

# ----------------------------------------------------------------- helpers

# The etcd name of the test's own object, and its capacity key
# (IPCCTL_ETCD_PREFIX, then "sem/", then NAME without its slash).
file_setup() {
	skip_if_skipped
	# A test that stopped the server and failed before resuming it.
	local pid
	pid=$(member_pid t)
	if is_etcd "$pid"; then kill -CONT "$pid"; fi
	E="etcd:$N"
	S=$E
	KEY="/ipcctl/sem/${N#/}"
}

# The hooks of sem-contract.bash, whose tests run here on a semaphore in
# etcd (S, which a test may point at another one): a waiter is counted
# WAITING.
wait_waiting() {
	local E=$S
	wait_for waiting_is 1
	kill -0 "$1"
}

# token_keys: the keys of tokens taken or awaited, one a line, oldest
# first (by create revision, as ipcctl(1), Objects across hosts, ranks
# them).
token_keys() {
	ectl get --prefix "$KEY/" --keys-only --sort-by=CREATE \
	    --order=ASCEND | grep -v '^$'
}

# n_tokens COUNT: exactly COUNT token keys exist.
n_tokens() {
	[ "$(token_keys | wc -l)" -eq "$1" ]
}

# field KEY NAME: the field NAME (CreateRevision, Lease, Value...) of KEY.
field() {
	ectl get "$1" -w fields | sed -n "s/^\"$2\" : //p"
}

# --------------------------------------------------------------- no etcd

@test "no endpoint answers: exit 69, the endpoints tried in the message" {
	IPCCTL_ETCD_ENDPOINTS=http://127.0.0.1:1 \
	    run -69 --separate-stderr ipcctl sem value "$E"
	assert_equal "$output" ""
	assert_equal "${#stderr_lines[@]}" 1 "stderr lines ($stderr)"
	# The reason after it is the HTTP client's.
	[[ $stderr == "ipcctl: sem value: $E: no etcd endpoint answered (http://127.0.0.1:1): "?* ]] ||
	    fail "stderr: $stderr"
}

# ipcctl(1), ENVIRONMENT: etcdctl's variable where ipcctl's is unset.
@test "ETCDCTL_ENDPOINTS stands in for an unset IPCCTL_ETCD_ENDPOINTS" {
	local mine=$IPCCTL_ETCD_ENDPOINTS
	unset IPCCTL_ETCD_ENDPOINTS
	ETCDCTL_ENDPOINTS=$mine run -0 --separate-stderr ipcctl sem create "$E" -v 2
	assert_equal "$output$stderr" ""
	ETCDCTL_ENDPOINTS=$mine run -0 --separate-stderr ipcctl sem value "$E"
	assert_equal "$output$stderr" 2
	# Set but empty is unset.
	IPCCTL_ETCD_ENDPOINTS= ETCDCTL_ENDPOINTS=$mine \
	    run -0 --separate-stderr ipcctl sem value "$E"
	assert_equal "$output$stderr" 2
	ETCDCTL_ENDPOINTS=http://127.0.0.1:1 \
	    run -69 --separate-stderr ipcctl sem value "$E"
	[[ $output$stderr == "ipcctl: sem value: $E: no etcd endpoint answered (http://127.0.0.1:1): "?* ]] ||
	    fail "stderr: $stderr"
	# ipcctl's own wins where both are set.
	IPCCTL_ETCD_ENDPOINTS=http://127.0.0.1:1 ETCDCTL_ENDPOINTS=$mine \
	    run -69 --separate-stderr ipcctl sem value "$E"
	[[ $output$stderr == "ipcctl: sem value: $E: no etcd endpoint answered (http://127.0.0.1:1): "?* ]] ||
	    fail "stderr: $stderr"
}

# --------------------------------------------------- create, value, unlink

@test "create, value, -x, -v 0, unlink; missing names: 66" {
	# The default capacity is 1, kept as decimal text.
	run -0 --separate-stderr ipcctl sem create "$E"
	assert_equal "$output$stderr" ""
	assert_equal "$(ectl get "$KEY" --print-value-only)" 1 "capacity key"
	run -0 --separate-stderr ipcctl sem value "$E"
	assert_equal "$output" 1
	assert_equal "$stderr" ""

	run -73 --separate-stderr ipcctl sem create "$E" -x -v 5
	assert_diag "ipcctl: sem create: $E: File exists"
	# Without -x, an existing one is left as it is.
	run -0 --separate-stderr ipcctl sem create "$E" -v 5
	assert_equal "$output$stderr" ""
	assert_equal "$(ectl get "$KEY" --print-value-only)" 1 "capacity key"

	run -0 --separate-stderr ipcctl sem unlink "$E"
	assert_equal "$output$stderr" ""
	assert_equal "$(ectl get --prefix "$KEY" --keys-only)" "" "keys left"
	run -66 --separate-stderr ipcctl sem unlink "$E"
	assert_diag "ipcctl: sem unlink: $E: No such file or directory"
	run -66 --separate-stderr ipcctl sem value "$E"
	assert_diag "ipcctl: sem value: $E: No such file or directory"

	# NAME with or without its slash; shown with it.
	run -0 --separate-stderr ipcctl sem create "etcd:${N#/}" -x -v 3
	assert_equal "$output$stderr" ""
	assert_equal "$(ectl get "$KEY" --print-value-only)" 3 "capacity key"
	run -0 --separate-stderr ipcctl sem value "$E"
	assert_equal "$output" 3
	run -0 --separate-stderr ipcctl sem unlink "etcd:${N#/}"
	run -66 --separate-stderr ipcctl sem value "etcd:${N#/}"
	assert_diag "ipcctl: sem value: $E: No such file or directory"

	local z
	z="etcd:$(name zero)"
	run -64 --separate-stderr ipcctl sem create "$z" -v 0
	assert_diag "ipcctl: sem create: $z: a capacity of 0 would never be taken"
	run -66 --separate-stderr ipcctl sem value "$z"
	assert_diag "ipcctl: sem value: $z: No such file or directory"

	S="etcd:$(name existing)"
	sem_create_existing
	S="etcd:$(name exclusive)"
	sem_create_exclusive
}

@test "-m with an etcd name: usage error 64, nothing created" {
	# In etcd, its roles govern access: there is no mode.
	run -64 --separate-stderr ipcctl sem create "$E" -m 0600
	assert_usage_error \
	    "ipcctl: sem create: $E: -m: in etcd, its roles govern access" \
	    sem create
	run -66 --separate-stderr ipcctl sem value "$E"
	assert_diag "ipcctl: sem value: $E: No such file or directory"
	run -64 --separate-stderr ipcctl sem acquire "$E" -c -m 0600
	assert_usage_error \
	    "ipcctl: sem acquire: $E: -m: in etcd, its roles govern access" \
	    sem acquire
	run -66 --separate-stderr ipcctl sem value "$E"
	assert_diag "ipcctl: sem value: $E: No such file or directory"
}

@test "shm with an etcd name: exit 69, shared memory is per host" {
	run -69 --separate-stderr ipcctl shm info etcd:/x
	assert_diag "ipcctl: shm info: etcd:/x: shared memory is per host"
	run -69 --separate-stderr ipcctl shm create "$E" -s 4096
	assert_diag "ipcctl: shm create: $E: shared memory is per host"
}

# ipcctl-sem(1), ipcctl(1) Objects across hosts: holders lists every key,
# holding or waiting, with its host, its lease's time left, and alive or
# dead judged only on the host that recorded it.
# ipcctl(1), Listing objects and Objects across hosts: "ls etcd:" lists
# what the cluster keeps, with ls's columns; no owner, mode or time there,
# and processes are a host's.
@test "ls etcd: every semaphore and queue the cluster keeps; --unused: 64" {
	local q="etcd:${N}q" s="etcd:${N}s" want
	ipcctl sem create "$s" -v 3
	ipcctl sem acquire "$s"
	ipcctl mq create "$q" --max-messages 5 --message-size 100
	ipcctl mq send "$q" a b
	# Other tests' objects are in the same cluster: only ours are kept.
	run -0 --separate-stderr ipcctl ls etcd: -r -n
	assert_equal "$stderr" ""
	want=$(printf '%s\n' "sem $s    2" "mq $q     2")
	assert_equal "$(grep -F -e " $s " -e " $q " <<<"$output")" "$want"
	run -0 --separate-stderr ipcctl ls etcd: -t mq -o NAME,MESSAGES,MAX_MESSAGES,MESSAGE_SIZE,PROCS --json
	assert_equal "$(jq -c --arg q "$q" '.objects[] | select(.name == $q)' <<<"$output")" \
	    "{\"name\":\"$q\",\"messages\":2,\"max_messages\":5,\"message_size\":100,\"procs\":null}"
	run -0 --separate-stderr ipcctl ls etcd: -t sem -o NAME,VALUE,HOLDERS,OWNER,MODE,MTIME --json
	assert_equal "$(jq -c --arg s "$s" '.objects[] | select(.name == $s)' <<<"$output")" \
	    "{\"name\":\"$s\",\"value\":2,\"holders\":1,\"owner\":null,\"mode\":null,\"mtime\":null}"
	# Shared memory is per host: none there; an empty table prints
	# nothing, as ls does here.
	run -0 --separate-stderr ipcctl ls etcd: -t shm
	assert_equal "$output" ""
	run -64 --separate-stderr ipcctl ls etcd: --unused
	assert_usage_error "ipcctl: ls: --unused: processes are per host" ls
	run -64 --separate-stderr ipcctl ls "$s"
	assert_usage_error "ipcctl: ls: unexpected operand: $s" ls
	IPCCTL_ETCD_ENDPOINTS=http://127.0.0.1:1 run -69 --separate-stderr \
	    ipcctl ls etcd:
	[[ $stderr == "ipcctl: ls: etcd:: no etcd endpoint answered (http://127.0.0.1:1): "?* ]] ||
	    fail "stderr: $stderr"
	ipcctl mq unlink "$q"
}

# ipcctl(1), Limits: "limits etcd:" gives the cluster's version, the
# request limit in force and the largest message that fits.
@test "limits etcd: version, request limit, largest message" {
	local version
	version=$(etcd --version | sed -n 's/^etcd Version: //p')
	run -0 --separate-stderr ipcctl limits etcd:
	assert_equal "$stderr" ""
	assert_equal "$output" "$(printf '%s\n' \
	    "KEY                VALUE" \
	    "etcd_version       $version" \
	    "etcd_max_request   1572864" \
	    "mq_prio_max        32768" \
	    "mq_msg_default     10" \
	    "mq_msgsize_default 8192" \
	    "mq_msgsize_max     1178112")"
	IPCCTL_ETCD_MAX_REQUEST=64K run -0 --separate-stderr \
	    ipcctl limits etcd: --pairs
	assert_equal "$output" "ETCD_VERSION=\"$version\" ETCD_MAX_REQUEST=\"65536\" MQ_PRIO_MAX=\"32768\" MQ_MSG_DEFAULT=\"10\" MQ_MSGSIZE_DEFAULT=\"8192\" MQ_MSGSIZE_MAX=\"47616\""
	# One JSON object, the version a string.
	IPCCTL_ETCD_MAX_REQUEST=64K run -0 --separate-stderr \
	    ipcctl limits etcd: -J
	assert_equal "$(jq -c . <<<"$output")" "{\"etcd_version\":\"$version\",\"etcd_max_request\":65536,\"mq_prio_max\":32768,\"mq_msg_default\":10,\"mq_msgsize_default\":8192,\"mq_msgsize_max\":47616}"
	IPCCTL_ETCD_MAX_REQUEST=1x run -64 --separate-stderr ipcctl limits etcd:
	run -64 --separate-stderr ipcctl limits etcd:/x
	assert_usage_error "ipcctl: limits: unexpected operand: etcd:/x" limits
}

@test "holders: every key, holding or waiting, host, lease and command" {
	need_jq
	ipcctl sem create "$E"
	ipcctl sem acquire "$E"
	"$IPCCTL" sem run "$E" -- sh -c 'exec sleep 30' >run.out 2>&1 3>&- &
	local run=$!
	bg_track "$run"
	wait_for n_tokens 2
	run -0 --separate-stderr ipcctl sem holders "$E" --json
	assert_equal "$stderr" ""
	assert_equal "$(jq -c '[.holders[] | [.host, .pid, .state, .token,
	    (.lease | type), .command]]' <<<"$output")" \
	    "[[\"$(hostname)\",0,\"unknown\",\"holding\",\"null\",null],[\"$(hostname)\",$run,\"alive\",\"waiting\",\"number\",\"sh -c exec sleep 30\"]]"
	run -0 --separate-stderr ipcctl sem holders "$E" -r
	assert_equal "${lines[0]}" "HOST PID STATE SINCE TOKEN LEASE COMMAND"
}

# ipcctl-sem(1), recover; ipcctl(1), Objects across hosts: recover gives
# back the tokens recorded with --holder whose holder is dead on this host,
# or, with --host H, those of host H; never a token of no process or one
# under a lease. Processes are a host's: procs is 69.
@test "recover: dead holders here, --host for a host that is gone; procs: 69" {
	local dead
	ipcctl sem create "$E" -v 5
	sh -c 'echo $$ >pid; exec "$IPCCTL" sem acquire "$1" --holder $$' \
	    sh "$E"
	dead=$(cat pid)
	ipcctl sem acquire "$E"				# of no process
	ipcctl sem acquire "$E" --lease 60		# under a lease
	ipcctl sem acquire "$E" --holder $$		# alive
	IPCCTL_ETCD_HOST=gone.example ipcctl sem acquire "$E" --holder $$
	assert_value "$E" 0
	run -0 --separate-stderr ipcctl sem recover "$E"
	assert_equal "$stderr" ""
	[[ $output == "$E: recovered the token of pid $dead, dead, held since "*": $IPCCTL sem acquire $E --holder $dead" ]] ||
	    fail "recover said: $output"
	assert_value "$E" 1
	run -0 --separate-stderr ipcctl sem recover "$E" --host gone.example
	[[ $output == "$E: recovered the token of pid $$, dead, held since "* ]] ||
	    fail "recover --host said: $output"
	assert_value "$E" 2
	run -0 --separate-stderr ipcctl sem recover "$E"
	assert_equal "$output$stderr" ""
	assert_value "$E" 2
	run -69 --separate-stderr ipcctl sem procs "$E"
	assert_diag "ipcctl: sem procs: $E: processes are per host"
}

# ipcctl(1), Objects across hosts: a signal ends a wait and revokes the
# waiter's lease, so its key goes at once, not at the lease's end.
@test "a waiter ended by SIGTERM leaves no key behind" {
	sem_signal_ends_wait
	n_tokens 0 || fail "the waiter's key is still there: $(token_keys)"
}

@test "info: VALUE, CAPACITY, HELD, WAITING; no MODE, OWNER or GROUP" {
	ipcctl sem create "$E" -v 2
	ipcctl sem acquire "$E"
	ipcctl sem acquire "$E"
	"$IPCCTL" sem acquire "$E" -t 30 >out 2>err 3>&- &
	bg_track "$!"
	wait_for n_tokens 3
	run -0 --separate-stderr ipcctl sem info "$E"
	assert_equal "$stderr" ""
	assert_equal "$output" "$(printf '%-*s %s\n%s     0        2    2       1' \
	    "${#E}" NAME "VALUE CAPACITY HELD WAITING" "$E")"
	run -0 --separate-stderr ipcctl sem info "$E" --pairs
	assert_equal "$output" \
	    "NAME=\"$E\" VALUE=\"0\" CAPACITY=\"2\" HELD=\"2\" WAITING=\"1\""
	run -0 --separate-stderr ipcctl sem info "$E" -r
	assert_equal "$output" \
	    "NAME VALUE CAPACITY HELD WAITING"$'\n'"$E 0 2 2 1"
	run -66 --separate-stderr ipcctl sem info "etcd:$(name missing)"
	assert_diag "ipcctl: sem info: etcd:/${PREFIX}missing: No such file or directory"
}

# ------------------------------------------------------ acquire, release

@test "acquire to 0, -t 0 busy: 75; release; release with none: 65" {
	sem_acquire_to_zero
	# A token held stays after its acquire ends: a key of no lease; the
	# acquires that timed out left no key behind.
	n_tokens 2
	assert_equal "$(field "$(token_keys | head -n 1)" Lease)" 0 "lease"

	run -0 --separate-stderr ipcctl sem release "$E"
	assert_equal "$output$stderr" ""
	assert_value "$E" 1
	run -0 --separate-stderr ipcctl sem release "$E"
	assert_value "$E" 2
	n_tokens 0
	run -65 --separate-stderr ipcctl sem release "$E"
	assert_diag "ipcctl: sem release: $E: no token that belongs to no process is held"
	assert_value "$E" 2
}

@test "release -n 3 with 2 held: returns the 2, exit 65" {
	ipcctl sem create "$E" -v 3
	ipcctl sem acquire "$E"
	ipcctl sem acquire "$E"
	assert_value "$E" 1
	run -65 --separate-stderr ipcctl sem release "$E" -n 3
	assert_diag "ipcctl: sem release: $E: returned 2 of 3: no more belong to no process"
	assert_value "$E" 3
	n_tokens 0
}

@test "a waiter is let in when a token is released (within 5 s)" {
	sem_waiter_let_in -t 30
	n_tokens 1
	assert_equal "$(field "$(token_keys)" Lease)" 0 "lease"
}

# ipcctl(1), Objects across hosts: a waiter whose key went away queues
# again, at the end, and is let in as any other.
@test "a waiter whose key is deleted queues again, then is let in" {
	local pid st=0 old
	ipcctl sem create "$E"
	ipcctl sem acquire "$E"
	"$IPCCTL" sem acquire "$E" -t 30 >out 2>err 3>&- &
	pid=$!
	bg_track "$pid"
	wait_for n_tokens 2
	old=$(token_keys | tail -n 1)
	ectl del "$old" >/dev/null
	wait_for eval '[ "$(token_keys | wc -l)" -eq 2 ] &&
	    [ "$(token_keys | tail -n 1)" != "$old" ]'
	kill -0 "$pid"
	ipcctl sem release "$E"
	wait "$pid" || st=$?
	assert_equal "$st" 0 "acquire's status"
	assert_equal "$(cat out err)" ""
	assert_value "$E" 0
	n_tokens 1
}

@test "capacity 2: a release lets a waiter in while a run holds the other" {
	ipcctl sem create "$E" -v 2
	ipcctl sem acquire "$E"
	"$IPCCTL" sem run "$E" -- sh -c ': >ready; exec sleep 30' \
	    >run.out 2>run.err 3>&- &
	local run=$! pid
	bg_track "$run"
	wait_for test -e ready
	assert_value "$E" 0

	"$IPCCTL" sem acquire "$E" -t 30 >out 2>err 3>&- &
	pid=$!
	bg_track "$pid"
	wait_for n_tokens 3
	kill -0 "$pid"

	# release returns the token of no process: the acquired one, not
	# the run's.
	release_lets_in "$pid"
	! gone "$run" || fail "sem run ended: $(cat run.err)"
	assert_value "$E" 0
	n_tokens 2
}

# -------------------------------------------------------------------- run

@test "run: IPCCTL_FENCE and IPCCTL_TOKEN, COMMAND's status, key gone after" {
	ipcctl sem create "$E" -v 2
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -0 --separate-stderr ipcctl sem run "$E" -- sh -c '
		echo "$IPCCTL_FENCE"
		echo "$IPCCTL_TOKEN"
		"$IPCCTL" sem value "$1"
		ETCDCTL_API=3 etcdctl --endpoints="$IPCCTL_ETCD_ENDPOINTS" \
		    get "$IPCCTL_TOKEN" -w fields |
		    sed -n "s/^\"CreateRevision\" : //p"' sh "$E"
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 4 "lines ($output)"
	[[ ${lines[0]} =~ ^[1-9][0-9]*$ ]] || fail "IPCCTL_FENCE: ${lines[0]}"
	[[ ${lines[1]} =~ ^"$KEY"/[0-9a-f]+$ ]] ||
	    fail "IPCCTL_TOKEN: ${lines[1]}"
	assert_equal "${lines[2]}" 1 "value inside"
	# The fence is the key's create revision.
	assert_equal "${lines[3]}" "${lines[0]}" "create revision"
	assert_equal "$(ectl get "${lines[1]}" --keys-only)" "" "key after"
	assert_value "$E" 2
	n_tokens 0

	run -7 --separate-stderr ipcctl sem run "$E" -- sh -c 'exit 7'
	assert_equal "$output$stderr" ""
	assert_value "$E" 2
	n_tokens 0

	S="etcd:$(name status)"
	sem_run_status
}

@test "run: the key deleted meanwhile ends COMMAND; exit 75" {
	local pid child st=0
	ipcctl sem create "$E"
	run_holding
	pid=$RUN_PID child=$CHILD
	assert_value "$E" 0

	ipcctl sem unlink "$E"
	wait "$pid" || st=$?
	assert_equal "$st" 75 "run's status"
	assert_equal "$(cat out)" "" "stdout"
	assert_equal "$(cat err)" \
	    "ipcctl: sem run: $E: the token was lost: COMMAND was ended"
	gone "$child" || fail "COMMAND $child still runs"
}

@test "run killed by SIGKILL: COMMAND ends at once, the token comes back" {
	local pid child st=0
	ipcctl sem create "$E"
	run_holding
	pid=$RUN_PID child=$CHILD
	assert_value "$E" 0

	kill -KILL "$pid"
	wait "$pid" || st=$?
	assert_equal "$st" 137 "run's status"
	wait_for gone "$child"
	# Its guard revokes the lease (ipcctl-sem(1), sem run): well within
	# the 10 s the lease would take by itself.
	wait_secs 4 value_is 1
	n_tokens 0
}

@test "run -c on a new name makes a lock (capacity 1), as locally" {
	run -0 --separate-stderr ipcctl sem run "$E" -c -t 1 -- echo hi
	assert_equal "$output$stderr" hi
	run -0 --separate-stderr ipcctl sem info "$E" --pairs
	assert_equal "$output$stderr" \
	    "NAME=\"$E\" VALUE=\"1\" CAPACITY=\"1\" HELD=\"0\" WAITING=\"0\""
}

# ------------------------------------------------------- etcdctl lock

@test "etcdctl lock and ipcctl exclude each other" {
	ipcctl sem create "$E"
	# etcdctl gives its lock up once its command ends.
	ETCDCTL_API=3 etcdctl --endpoints="$IPCCTL_ETCD_ENDPOINTS" \
	    lock "$KEY" -- sh -c 'until [ -e finished ]; do sleep 0.02; done' \
	    >lock.out 2>lock.err 3>&- &
	local pid=$! st=0
	bg_track "$pid"
	wait_for n_tokens 1
	assert_value "$E" 0
	run -75 --separate-stderr ipcctl sem acquire "$E" -t 0
	assert_diag "ipcctl: sem acquire: $E: timed out"
	: >finished
	wait "$pid" || st=$?
	assert_equal "$st" 0 "etcdctl's status"
	assert_equal "$(cat lock.out lock.err)" ""
	run -0 --separate-stderr ipcctl sem acquire "$E" -t 10
	assert_equal "$output$stderr" ""

	# And the other way: what ipcctl holds, etcdctl does not get
	# (timeout ends it: 124).
	run -124 --separate-stderr timeout 2 \
	    env ETCDCTL_API=3 etcdctl --endpoints="$IPCCTL_ETCD_ENDPOINTS" \
	    lock "$KEY" -- touch got-it
	[ ! -e got-it ] || fail "etcdctl lock ran its command"
	n_tokens 1
	ipcctl sem release "$E"
	run -0 --separate-stderr timeout 10 \
	    env ETCDCTL_API=3 etcdctl --endpoints="$IPCCTL_ETCD_ENDPOINTS" \
	    lock "$KEY" -- touch got-it
	[ -e got-it ] || fail "etcdctl lock did not run its command"
	assert_value "$E" 1
	n_tokens 0
}

# ipcctl-sem(1), --lease: a token acquired with --lease T comes back by
# itself at the end of T; --lease is for etcd names only, 2 s at least.
@test "acquire --lease 2: the token comes back by itself; bad leases: 64" {
	ipcctl sem create "$E"
	run -0 --separate-stderr ipcctl sem acquire "$E" --lease 2
	assert_equal "$output$stderr" ""
	assert_value "$E" 0
	run -0 --separate-stderr ipcctl sem holders "$E" -r
	[[ ${lines[1]} =~ \ holding\ [12]($|\ ) ]] ||
	    fail "not under a lease of 2 s: ${lines[1]}"
	wait_secs 10 value_is 1
	run -64 --separate-stderr ipcctl sem acquire "$E" --lease 1
	assert_usage_error "ipcctl: sem acquire: lease 1: from 2s to a year" \
	    sem acquire
	ipcctl sem create "$N"
	track "$N"
	run -64 --separate-stderr ipcctl sem acquire "$N" --lease 5
	assert_usage_error \
	    "ipcctl: sem acquire: $N: --lease: only a semaphore kept across hosts has a lease" \
	    sem acquire
	assert_value "$N" 0
}

# ipcctl(1), Objects across hosts: a holder cut off from the cluster (its
# one member stopped) ends COMMAND before the lease can end there, and
# exits 75; after SIGCONT the cluster goes on.
@test "run --lease 3, the cluster stopped: COMMAND ends before the lease; 75" {
	local etcd pid child st=0 t0 took
	etcd=$(member_pid t)
	ipcctl sem create "$E"
	run_holding --lease 3
	pid=$RUN_PID child=$CHILD

	t0=$(now_ms)
	kill -STOP "$etcd"
	wait_for gone "$child"
	took=$(($(now_ms) - t0))
	wait "$pid" || st=$?
	kill -CONT "$etcd"
	assert_equal "$st" 75 "run's status"
	assert_equal "$(cat err)" \
	    "ipcctl: sem run: $E: the token was lost: COMMAND was ended"
	# The last renewal was sent at most a third of the lease before the
	# stop: COMMAND must be gone before that renewal's lease ends.
	((took < 3000)) || fail "COMMAND ended ${took} ms after the stop"
	wait_secs 10 value_is 1
}

# release_one: one token that belongs to no process goes back.
release_one() {
	"$IPCCTL" sem release "$E" 2>/dev/null
}

# ipcctl(1), Objects across hosts: herds are spared. A waiter watches
# only the key just ahead of it (the first one, the holders' deletes),
# so each release wakes a waiter or two, not every one: N waiters let in
# one by one cost O(N) watches, where watching all deletes cost N*N/2.
@test "herds are spared: 16 waiters let in one by one cost a few watches each" {
	local i n=16
	ipcctl sem create "$E"
	ipcctl sem acquire "$E"
	proxy_start
	for ((i = 0; i < n; i++)); do
		proxied "$IPCCTL" sem acquire "$E" -t 60 >/dev/null 2>&1 3>&- &
		bg_track "$!"
	done
	wait_secs 20 waiting_is "$n"
	# Each release returns the token the last waiter let in detached.
	for ((i = n - 1; i >= 0; i--)); do
		wait_secs 10 release_one
		wait_secs 10 waiting_is "$i"
	done
	local watches
	watches=$(grep -c ' /v3/watch ' proxy.log)
	echo "# $n waiters: $watches watches" >&3
	((watches <= 4 * n)) || fail "$watches watches for $n waiters"
}

# ipcctl(1), Objects across hosts: a waiter keeps the lease of its key
# alive (10 s) for as long as it waits, woken or not.
@test "a waiter that waits longer than its lease keeps its key and gets the token" {
	ipcctl sem create "$E"
	ipcctl sem acquire "$E"
	"$IPCCTL" sem acquire "$E" -t 60 >out 2>err 3>&- &
	local pid=$! st=0
	bg_track "$pid"
	wait_for n_tokens 2
	local keys
	keys=$(token_keys)
	sleep 13
	# The same key: not one made again after the lease ran out.
	assert_equal "$(token_keys)" "$keys" "the keys after 13 s"
	ipcctl sem release "$E"
	wait "$pid" || st=$?
	assert_equal "$st" 0 "the waiter's status"
	assert_equal "$(cat out err)" ""
	n_tokens 1 || fail "keys: $(token_keys)"
}

# ipcctl(1), Objects across hosts: a waiter of this host that died is
# found dead by the waiters behind it, which revoke its lease at once.
@test "a waiter of this host killed by SIGKILL blocks nobody, not even for its lease" {
	ipcctl sem create "$E"
	ipcctl sem acquire "$E"
	"$IPCCTL" sem acquire "$E" -t 30 >out 2>err 3>&- &
	local dead=$! st=0
	bg_track "$dead"
	wait_for n_tokens 2
	"$IPCCTL" sem acquire "$E" -t 30 >out2 2>err2 3>&- &
	local next=$!
	bg_track "$next"
	wait_for n_tokens 3
	kill -KILL "$dead"
	wait "$dead" || st=$?
	assert_equal "$st" 137 "the dead waiter's status"
	local t0
	t0=$(now_ms)
	ipcctl sem release "$E"
	st=0
	wait "$next" || st=$?
	assert_equal "$st" 0 "the next waiter's status"
	(($(now_ms) - t0 < 5000)) ||
	    fail "let in after $(($(now_ms) - t0)) ms: the dead one's lease"
	assert_equal "$(cat out2 err2)" ""
}
