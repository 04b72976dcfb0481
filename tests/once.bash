# sem run --once-per and --once-key (ipcctl-sem(1), ONCE PER SCHEDULE):
# the behaviour both backends promise, written once. A test file loads
# this, sets O to its object (a local name, or an etcd: one) and calls
# each once_* function from a test of its own. "Hosts" are processes
# with IPCCTL_ETCD_HOST set; COMMAND logs the host that ran it. The file
# also defines kill_runner SUBSHELL COMMAND_PID (a runner's death, as its
# backend's world has it) and expect_host HOST (the host a record names).

# whole_slot SECONDS: wait, if need be, so that a slot of SECONDS does not
# end within the next 30 s (the test's calls all fall in one slot).
whole_slot() {
	local left=$(($1 - $(date +%s) % $1))
	((left > 30)) || sleep "$left"
}

# fire HOST OPTION...: sem run $O OPTION... -- COMMAND, in the background
# as host HOST; COMMAND appends HOST to ./ran and then runs $JOB (a shell
# line; default: sleep 0.2). Its status goes to ./st.HOST, its stderr to
# ./err.HOST; its pid to FIRED.
fire() {
	local host=$1
	shift
	(
		rc=0
		IPCCTL_ETCD_HOST=$host "$IPCCTL" sem run "$O" "$@" -- \
		    sh -c "echo $host >>ran; ${JOB:-sleep 0.2}" \
		    2>"err.$host" 3>&- || rc=$?
		echo "$rc" >"st.$host"
	) 3>&- &
	FIRED=$!
	bg_track "$FIRED"
}

# run_of SUBSHELL: the sem run that fire's subshell runs.
run_of() {
	pgrep -P "$1" | head -1
}

# settled HOST...: each HOST's call has ended.
settled() {
	local h
	for h; do [ -s "st.$h" ] || return 1; done
}

# assert_ended HOST STATUS: HOST's call ended with STATUS, stderr empty.
assert_ended() {
	wait_secs 40 settled "$1"
	assert_equal "$(cat "st.$1")" "$2" "status of $1"
	assert_equal "$(cat "err.$1")" "" "stderr of $1"
}

# record FIELD: a field of the last run, from sem info --json.
record() {
	"$IPCCTL" sem info "$O" --json | jq -r ".semaphores[0].$1"
}

# ran_lines: how many runs COMMAND logged.
ran_lines() {
	[ -e ran ] || { echo 0; return; }
	wc -l <ran
}

once_three_together() {
	whole_slot 86400
	JOB="sleep 2"
	fire a -c --once-per 1d
	fire b -c --once-per 1d
	fire c -c --once-per 1d
	assert_ended a 0
	assert_ended b 0
	assert_ended c 0
	assert_equal "$(ran_lines)" 1 "runs: $(cat ran)"
	assert_equal "$(record once)" \
	    "slot $(date -u +%Y-%m-%d)T00:00:00Z/86400s"
	assert_equal "$(record run_host)" "$(expect_host "$(cat ran)")"
	assert_equal "$(record run_status)" 0
}

once_one_apart() {
	whole_slot 86400
	fire a -c --once-per 1d
	sleep 1
	fire b -c --once-per 1d
	sleep 1
	fire c -c --once-per 1d
	assert_ended a 0
	assert_ended b 0
	assert_ended c 0
	assert_equal "$(cat ran)" a
}

# The runner dies mid-job: a call waiting in the same slot runs COMMAND.
# kill_runner PID does the killing as the backend's world would.
once_runner_dies() {
	local runner cmd
	JOB='echo $$ >cmd.a; exec sleep 30'
	fire a -c --once-key job "$@"
	runner=$FIRED
	wait_secs 10 test -s cmd.a
	JOB="sleep 0.2"
	fire b -c --once-key job -t 30
	sleep 0.5
	assert_equal "$(cat ran)" a
	orphan_track "$(cat cmd.a)"
	kill_runner "$runner" "$(cat cmd.a)"
	assert_ended b 0
	assert_equal "$(cat ran)" "a"$'\n'"b"
	assert_equal "$(record run_host)" "$(expect_host b)"
	assert_equal "$(record run_status)" 0
	# Done: the next call runs nothing.
	fire c --once-key job
	assert_ended c 0
	assert_equal "$(ran_lines)" 2
}

once_command_fails() {
	JOB="sleep 1; exit 1"
	fire a -c --once-key job
	sleep 0.3
	JOB="sleep 0.2"
	fire b -c --once-key job -t 30
	assert_ended a 1
	assert_ended b 0
	assert_equal "$(cat ran)" "a"$'\n'"b"
	assert_equal "$(record run_status)" 0
	assert_equal "$(record run_host)" "$(expect_host b)"
}

# -t runs out while the slot's run goes on: exit 0, silently.
once_in_hand() {
	JOB="sleep 3"
	fire a -c --once-key job
	sleep 0.5
	fire b -c --once-key job -t 0.5
	assert_ended b 0
	assert_equal "$(cat ran)" a
	assert_ended a 0
}

once_next_slot() {
	local t
	JOB=true
	# At the start of a 5 s slot, so that two calls share it even on a
	# slow machine (valgrind).
	t=$(date +%s%N)
	sleep "$(((5000000000 - t % 5000000000) / 1000000000)).$(printf '%09d' \
	    $(((5000000000 - t % 5000000000) % 1000000000)))"
	fire a -c --once-per 5s
	assert_ended a 0
	fire b -c --once-per 5s
	assert_ended b 0
	assert_equal "$(cat ran)" a
	wait_secs 6 slot_changed "$(record once)"
	fire c -c --once-per 5s
	assert_ended c 0
	assert_equal "$(cat ran)" "a"$'\n'"c"
}

# slot_changed ONCE: the 5 s slot of now is not ONCE.
slot_changed() {
	local s=$(($(date +%s) / 5 * 5))
	[ "slot $(date -u -d "@$s" +%Y-%m-%dT%H:%M:%SZ)/5s" != "$1" ]
}

once_per_key() {
	JOB=true
	fire a -c --once-key k1
	assert_ended a 0
	fire b -c --once-key k1
	assert_ended b 0
	fire c -c --once-key k2
	assert_ended c 0
	assert_equal "$(cat ran)" "a"$'\n'"c"
	assert_equal "$(record once)" "key k2"
}

once_info() {
	JOB=true
	run -3 --separate-stderr ipcctl sem run "$O" -c --once-key report -- \
	    sh -c 'exit 3'
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr ipcctl sem info "$O" --json
	assert_equal "$stderr" ""
	assert_equal "$(jq -c '.semaphores[0] | [.once, .run_status,
	    (.run_pid | type), (.run_start | type), (.run_end | type)]' \
	    <<<"$output")" '["key report",3,"number","string","string"]'
	run -0 --separate-stderr ipcctl sem info "$O" --raw
	[[ ${lines[0]} == *" ONCE RUN_HOST RUN_PID RUN_START RUN_END RUN_STATUS" ]] ||
	    fail "header: ${lines[0]}"
	[[ ${lines[1]} == *" key\\x20report "*" 3" ]] || fail "row: ${lines[1]}"
}

once_usage() {
	run -64 --separate-stderr ipcctl sem run "$O" --once-per 1m \
	    --once-key x -- true
	assert_equal "${stderr%%$'\n'*}" \
	    "ipcctl: sem run: --once-per and --once-key: one or the other"
	run -64 --separate-stderr ipcctl sem run "$O" --once-per 500ms -- true
	assert_equal "${stderr%%$'\n'*}" \
	    "ipcctl: sem run: once-per 500ms: at least 1s"
	run -64 --separate-stderr ipcctl sem run "$O" --once-key "" -- true
	assert_equal "${stderr%%$'\n'*}" \
	    "ipcctl: sem run: once-key: from 1 to 100 bytes"
}

# A semaphore made again under the name starts with no record.
once_unlink() {
	JOB=true
	fire a -c --once-key k
	assert_ended a 0
	ipcctl sem unlink "$O"
	fire b -c --once-key k
	assert_ended b 0
	assert_equal "$(cat ran)" "a"$'\n'"b"
}
