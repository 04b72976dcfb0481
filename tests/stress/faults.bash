# Loaded by the stress files of random faults across hosts (issue 20),
# after helpers.bash and etcd.bash. The file that loads it defines
# start_proxies (fault proxies in front of its members, their addresses
# in WORKERS_URL) and DURING (a command run while the workers work, or
# nothing). Knobs: STRESS_SEED, STRESS_RUNS (rounds per semaphore
# worker, default 12), STRESS_MESSAGES (per sender, default 150).

: "${STRESS_RUNS:=12}"
: "${STRESS_MESSAGES:=150}"

# faults_setup: each test's names (E, the semaphore; KEY, its capacity
# key) and its seed, said on fd 3.
faults_setup() {
	E="etcd:$N"
	KEY="/ipcctl/sem/${N#/}"
	: "${STRESS_SEED:=$RANDOM}"
	echo "# seed $STRESS_SEED" >&3
}

# faults: random faults on every kind of request the verbs make.
faults() {
	rules '/v3/kv/txn p=0.06 delayreset=200' '/v3/kv/txn p=0.03 cut=5' \
	    '/v3/kv/txn p=0.03 drop' '/v3/lease/keepalive p=0.1 delay=400' \
	    '/v3/lease/grant p=0.05 drop' '/v3/lease/revoke p=0.1 drop' \
	    '/v3/watch p=0.1 reset' '/v3/kv/range p=0.05 drop'
}

# A critical section that counts who is inside: more than CAP at once is
# an overlap. SIGTERM (a token lost) leaves it cleanly.
write_critical() {
	cat >critical <<-'EOF'
	#!/bin/sh
	cap=$1
	exec 9>>lock
	leave() {
		flock 9
		echo $(($(cat inside) - 1)) >inside
		flock -u 9
	}
	flock 9
	n=$(($(cat inside) + 1))
	echo "$n" >inside
	[ "$n" -le "$cap" ] || echo "overlap: $n inside" >>overlaps
	flock -u 9
	trap 'leave; exit 143' TERM
	sleep 0.03
	leave
	EOF
	chmod +x critical
	echo 0 >inside
	: >overlaps
}

# sem_worker CAP: STRESS_RUNS rounds of the critical section, by turns
# under "sem run" and between "sem acquire" and "sem release" (a release
# a fault ended is tried again until it returns, or finds none: 65);
# each exit status appended to ./statuses.
sem_worker() {
	local i rc try
	for ((i = 0; i < STRESS_RUNS; i++)); do
		rc=0
		if ((i % 2 == 0)); then
			IPCCTL_ETCD_ENDPOINTS=$WORKERS_URL "$IPCCTL" sem run "$E" \
			    -t 60 -- ./critical "$1" 2>>errors || rc=$?
			echo "run $rc" >>statuses
			continue
		fi
		IPCCTL_ETCD_ENDPOINTS=$WORKERS_URL "$IPCCTL" sem acquire "$E" \
		    -t 60 2>>errors || rc=$?
		echo "acquire $rc" >>statuses
		((rc == 0)) || continue
		./critical "$1"
		for ((try = 0; try < 10; try++)); do
			rc=0
			IPCCTL_ETCD_ENDPOINTS=$WORKERS_URL "$IPCCTL" sem release \
			    "$E" 2>>errors || rc=$?
			((rc == 0 || rc == 65)) && break
		done
		echo "release $rc" >>statuses
	done
}

# stranded: token keys under no lease, held by no process: none may stay.
stranded() {
	ectl get --prefix "$KEY/" -w json | jq '[.kvs[]? | select(.lease
	    == null or .lease == 0)] | length'
}

sem_faults() {
	local cap=$1 w pids=()
	ipcctl sem create "$E" -v "$cap"
	write_critical
	: >statuses
	start_proxies
	faults
	for w in 1 2 3 4 5 6; do
		sem_worker "$cap" &
		pids+=("$!")
		bg_track "$!"
	done
	"${DURING[@]}"
	for w in "${pids[@]}"; do wait "$w" || true; done
	echo "# capacity $cap: $(wc -l <statuses) verbs ended; statuses:" \
	    "$(sort statuses | uniq -c | tr -s ' \n' ' ');" \
	    "faults: $(grep -cv ' pass$' proxy.log); overlaps:" \
	    "$(wc -l <overlaps)" >&3
	assert_equal "$(cat overlaps)" "" "overlaps"
	# Each verb: 0, or a fault's 69 or 71; run: a lost token's 75;
	# release: 65 where a try whose answer was lost returned it;
	# acquire: 66 where its detach's answer was lost and another's
	# release returned the token, which belonged to no process, meanwhile.
	# An acquire that waits its 60 s out waits for a token stranded.
	assert_equal "$(grep -cvE '^(run (0|69|71|75)|acquire (0|66|69|71)|release (0|65|69|71))$' \
	    statuses)" 0 "other statuses"
	assert_equal "$(stranded)" 0 "tokens stranded"
	# Keys of runs whose revoke was lost go with their lease.
	wait_secs 15 value_is "$cap"
}

# sender ID: STRESS_MESSAGES messages "ID-n", one send each, tried again
# until it exits 0; one that said it may have been sent is in ./maybe.
sender() {
	local i try rc
	for ((i = 1; i <= STRESS_MESSAGES; i++)); do
		for ((try = 0; try < 20; try++)); do
			rc=0
			IPCCTL_ETCD_ENDPOINTS=$WORKERS_URL "$IPCCTL" mq send "$E" \
			    -t 30 "$1-$i" 2>err.$1 || rc=$?
			grep -q "may have been sent" err.$1 && echo "$1-$i" >>maybe
			((rc == 0)) && break
		done
		((rc == 0)) && echo "$1-$i" >>sent
	done
}

# receiver ID [URL]: receives (through URL, else directly) until ./stop
# exists and the queue stays empty for 3 s; a receive a fault ended is
# started again, and counted.
receiver() {
	local rc
	while :; do
		rc=0
		IPCCTL_ETCD_ENDPOINTS=${2:-$IPCCTL_ETCD_ENDPOINTS} "$IPCCTL" mq \
		    receive "$E" -f -t 3 >>"received.$1" 2>>"rerr.$1" || rc=$?
		if ((rc == 75)); then
			[ -e stop ] && return 0
		else
			echo "$rc" >>restarts
		fi
	done
}

# mq_faults [RECEIVERS_URL]: two senders through the proxy, two receivers
# (through RECEIVERS_URL too, or directly); counts of what came through.
mq_faults() {
	local pids=() r
	ipcctl mq create "$E" --max-messages 50
	: >sent
	: >maybe
	: >restarts
	start_proxies
	faults
	for r in 1 2; do
		receiver "$r" ${1:+"$WORKERS_URL"} &
		bg_track "$!"
		pids+=("$!")
	done
	sender a &
	local sa=$!
	sender b &
	local sb=$!
	bg_track "$sa"
	bg_track "$sb"
	"${DURING[@]}"
	wait "$sa" || true
	wait "$sb" || true
	touch stop
	for r in "${pids[@]}"; do wait "$r" || true; done
	# Claims of receivers a fault ended come back once their lease
	# (10 s) is gone: one receive, with no proxy, takes them.
	echo "# claims left by receivers a fault ended:" \
	    "$(ectl get --prefix "/ipcctl/mqclaim/${N#/}/" --keys-only |
	    grep -c .)" >&3
	ipcctl mq receive "$E" -f -t 15 >received.drain || true
	sort received.* >received
	LOST=$(sort sent | comm -23 - <(sort -u received) | wc -l)
	DUP=$(uniq -d received | wc -l)
	DOUBT=$(sort -u maybe | wc -l)
	echo "# sent $(wc -l <sent) of $((2 * STRESS_MESSAGES)), received" \
	    "$(wc -l <received), lost $LOST, duplicates $DUP (sends in doubt:" \
	    "$DOUBT; receives restarted: $(wc -l <restarts)); faults:" \
	    "$(grep -cv ' pass$' proxy.log)" >&3
}
