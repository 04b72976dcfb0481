# Loaded by the .bats files that need an etcd of their own ("load etcd",
# after "load helpers"): they start one member or a few on free loopback
# ports, with data in the file's temporary folder, and stop them after
# their last test (file_teardown, which helpers.bash's teardown_file
# calls). See ipcctl(1), Objects across hosts.

# Every member started, "NAME PID" a line.
ETCD_MEMBERS="$BATS_FILE_TMPDIR/etcd.members"
# Why the file's tests are skipped, if they are: bats 1.8 cannot skip
# from setup_file, so setup_file writes the reason and file_setup skips.
SKIP_FILE="$BATS_FILE_TMPDIR/skip-reason"

# skip_file REASON: skip every test of the file.
skip_file() {
	printf '%s\n' "$1" >"$SKIP_FILE"
}

# skip_if_skipped: in file_setup: skip the test if the file is skipped.
skip_if_skipped() {
	if [ -s "$SKIP_FILE" ]; then skip "$(cat "$SKIP_FILE")"; fi
}

# etcd_missing: the reason the etcd tests cannot run here, or nothing.
etcd_missing() {
	if ! command -v etcd >/dev/null 2>&1; then
		echo "etcd is not installed (Debian: apt-get install etcd-server)"
	elif ! command -v etcdctl >/dev/null 2>&1; then
		echo "etcdctl is not installed (Debian: apt-get install etcd-client)"
	elif IPCCTL_ETCD_ENDPOINTS=http://127.0.0.1:1 "$IPCCTL" sem value \
	    etcd:/x 2>&1 | grep -q "built without etcd support"; then
		echo "ipcctl was built without etcd support"
	fi
}

# port_free PORT: nothing listens on 127.0.0.1:PORT.
port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port [BUT...]: a random loopback port that nothing listens on (and
# that is none of BUT), below the kernel's ephemeral ports: a member
# killed and started again must find its ports free, not taken meanwhile
# by a client's connection.
free_port() {
	local p i low=20000 high
	read -r high _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null ||
	    high=32768
	((high - low >= 2000)) || low=1024
	for ((i = 0; i < 100; i++)); do
		p=$((low + (RANDOM * 32768 + RANDOM) % (high - low)))
		[[ " $* " != *" $p "* ]] && port_free "$p" && {
			printf '%s\n' "$p"
			return 0
		}
	done
	return 1
}

# member_pid NAME: the pid of member NAME.
member_pid() {
	awk -v n="$1" '$1 == n { p = $2 } END { print p }' "$ETCD_MEMBERS"
}

# etcd_member NAME CLIENT_URL PEER_URL CLUSTER STATE [ETCD_ARG...]: start
# member NAME (data in BATS_FILE_TMPDIR/etcd-NAME, kept across restarts),
# its log beside it.
etcd_member() {
	local name=$1 curl=$2 purl=$3 cluster=$4 state=$5
	shift 5
	etcd --name "$name" --data-dir "$BATS_FILE_TMPDIR/etcd-$name" \
	    --listen-client-urls "$curl" --advertise-client-urls "$curl" \
	    --listen-peer-urls "$purl" --initial-advertise-peer-urls "$purl" \
	    --initial-cluster "$cluster" --initial-cluster-state "$state" \
	    "$@" </dev/null >>"$BATS_FILE_TMPDIR/etcd-$name.log" 2>&1 3>&- &
	printf '%s %s\n' "$name" "$!" >>"$ETCD_MEMBERS"
	# Out of the job table: no "Killed" line when a test kills it.
	disown "$!"
}

# etcd_healthy [ETCDCTL_ARG...]: within 20 s, every endpoint of
# IPCCTL_ETCD_ENDPOINTS answers.
etcd_healthy() {
	local i
	for ((i = 0; i < 100; i++)); do
		ETCDCTL_API=3 etcdctl --endpoints="$IPCCTL_ETCD_ENDPOINTS" \
		    --dial-timeout=1s --command-timeout=1s "$@" endpoint health \
		    >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# etcd_single: one member on two free ports; exports IPCCTL_ETCD_ENDPOINTS
# and the defaults of ipcctl(1), Objects across hosts. Another run may
# take a port between the probe and etcd's bind: then new ports are tried.
etcd_single() {
	local cp pp try
	for ((try = 0; try < 3; try++)); do
		cp=$(free_port) && pp=$(free_port "$cp") || return 1
		rm -rf "$BATS_FILE_TMPDIR/etcd-t"
		etcd_member t "http://127.0.0.1:$cp" "http://127.0.0.1:$pp" \
		    "t=http://127.0.0.1:$pp" new
		export IPCCTL_ETCD_ENDPOINTS="http://127.0.0.1:$cp"
		etcd_healthy && break
		etcd_stop t
	done
	((try < 3)) || return 1
	etcd_defaults
}

# etcd_cluster: three members, m0 m1 m2, on free ports ("NAME CLIENT
# PEER" a line in BATS_FILE_TMPDIR/ports); exports IPCCTL_ETCD_ENDPOINTS
# (all three) and the defaults. Ports taken meanwhile: new ones are tried.
etcd_cluster() {
	local cp pp i try cluster
	for ((try = 0; try < 3; try++)); do
		cp=() pp=() cluster=
		for i in 0 1 2; do
			cp[i]=$(free_port "${cp[@]}" "${pp[@]}") &&
			    pp[i]=$(free_port "${cp[@]}" "${pp[@]}") || return 1
			cluster+=${cluster:+,}m$i=http://127.0.0.1:${pp[i]}
		done
		printf '%s\n' "$cluster" >"$BATS_FILE_TMPDIR/cluster"
		: >"$BATS_FILE_TMPDIR/ports"
		for i in 0 1 2; do
			printf 'm%s %s %s\n' "$i" "${cp[i]}" "${pp[i]}" \
			    >>"$BATS_FILE_TMPDIR/ports"
			rm -rf "$BATS_FILE_TMPDIR/etcd-m$i"
			etcd_member "m$i" "http://127.0.0.1:${cp[i]}" \
			    "http://127.0.0.1:${pp[i]}" "$cluster" new
		done
		export IPCCTL_ETCD_ENDPOINTS="http://127.0.0.1:${cp[0]},http://127.0.0.1:${cp[1]},http://127.0.0.1:${cp[2]}"
		etcd_healthy && break
		for i in 0 1 2; do etcd_stop "m$i"; done
	done
	((try < 3)) || return 1
	etcd_defaults
}

# restart MEMBER: start a stopped member of etcd_cluster again, on its
# ports and data.
restart() {
	local cp pp
	read -r _ cp pp < <(grep "^$1 " "$BATS_FILE_TMPDIR/ports")
	etcd_member "$1" "http://127.0.0.1:$cp" "http://127.0.0.1:$pp" \
	    "$(cat "$BATS_FILE_TMPDIR/cluster")" existing
}

# leader: the name of the member of etcd_cluster that leads now.
leader() {
	local id port
	id=$(ectl endpoint status -w json 2>/dev/null |
	    jq -r '.[0].Status.leader')
	port=$(ectl endpoint status -w json 2>/dev/null | jq -r --arg id "$id" \
	    '.[] | select((.Status.header.member_id | tostring) == $id) |
	    .Endpoint' | sed 's/.*://')
	awk -v p="$port" '$2 == p { print $1 }' "$BATS_FILE_TMPDIR/ports"
}

# kill_leader [SECONDS]: the leader killed by SIGKILL once SECONDS (2)
# went by, and started again 3 s later; its name in the file "killed".
kill_leader() {
	local l
	sleep "${1:-2}"
	l=$(leader)
	[ -n "$l" ] || fail "no leader found"
	echo "$l" >killed
	etcd_stop "$l" KILL
	sleep 3
	restart "$l"
}

# etcd_file single|cluster: a file's setup_file: a member of its own
# (etcd_single), or three (etcd_cluster, which needs jq too); or every test
# of the file skipped, with the reason.
etcd_file() {
	local why
	why=$(etcd_missing)
	if [ -z "$why" ] && [ "$1" = cluster ] && ! command -v jq >/dev/null 2>&1
	then
		why="jq is not installed"
	fi
	if [ -n "$why" ]; then
		skip_file "$why"
	elif [ "$1" = cluster ]; then
		etcd_cluster || fail "the cluster did not come up; m0's log:" \
		    "$(tail -n 20 "$BATS_FILE_TMPDIR/etcd-m0.log")"
	else
		etcd_single || fail "etcd did not start; its log:" \
		    "$(tail -n 20 "$BATS_FILE_TMPDIR/etcd-t.log")"
	fi
}

# etcd_defaults: ipcctl's etcd settings as they are by default, whatever
# the caller's.
etcd_defaults() {
	export IPCCTL_ETCD_PREFIX=/ipcctl/
	unset IPCCTL_ETCD_TIMEOUT IPCCTL_ETCD_HOST IPCCTL_ETCD_CACERT \
	    IPCCTL_ETCD_CERT IPCCTL_ETCD_KEY IPCCTL_ETCD_USER \
	    IPCCTL_ETCD_PASSWORD_FILE ETCDCTL_ENDPOINTS ETCDCTL_CACERT \
	    ETCDCTL_CERT ETCDCTL_KEY ETCDCTL_USER
}

# is_etcd PID: PID is an etcd that has not ended -- not a pid of a member
# long gone that the kernel gave to another process since.
is_etcd() {
	[ "$(cat "/proc/$1/comm" 2>/dev/null)" = etcd ] && ! gone "$1"
}

# etcd_stop NAME [SIGNAL]: stop member NAME (SIGTERM, SIGKILL after 5 s;
# or SIGNAL at once) and wait for it.
etcd_stop() {
	local pid i
	pid=$(member_pid "$1")
	[ -n "$pid" ] && is_etcd "$pid" || return 0
	kill -CONT "$pid" 2>/dev/null || true
	kill "-${2:-TERM}" "$pid" 2>/dev/null || true
	for ((i = 0; i < 250; i++)); do
		is_etcd "$pid" || break
		sleep 0.02
	done
	is_etcd "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true	# a child of this shell, or not
	return 0
}

# ectl ARG...: etcdctl (API v3) on ECTL_ENDPOINTS, else on
# IPCCTL_ETCD_ENDPOINTS, with the flags of ECTL_FLAGS (TLS, timeouts)
# where a file sets them. Not etcdctl's ETCDCTL_* variables: ipcctl
# reads some of them too.
ectl() {
	# shellcheck disable=SC2086 # flags, split on purpose
	ETCDCTL_API=3 etcdctl \
	    --endpoints="${ECTL_ENDPOINTS:-$IPCCTL_ETCD_ENDPOINTS}" \
	    ${ECTL_FLAGS-} "$@"
}

# value_is N: "sem value $E" prints N.
value_is() {
	[ "$("$IPCCTL" sem value "$E" 2>/dev/null)" = "$1" ]
}

# waiting_is N: "sem info $E" counts N waiting.
waiting_is() {
	"$IPCCTL" sem info "$E" --pairs 2>/dev/null | grep -q " WAITING=\"$1\"\$"
}


# run_holding [RUN_OPTION...]: "sem run $E" holding a "sleep 300" in the
# background, out and err its output; RUN_PID is sem run's pid, CHILD the
# sleep's, once it runs.
run_holding() {
	"$IPCCTL" sem run "$E" "$@" -- \
	    sh -c 'echo $$ >pidfile; exec sleep 300' >out 2>err 3>&- &
	RUN_PID=$!
	bg_track "$RUN_PID"
	wait_for test -s pidfile
	CHILD=$(cat pidfile)
	orphan_track "$CHILD"
	wait_for is_comm "$CHILD" sleep
}

# Stops every member (called by helpers.bash's teardown_file).
file_teardown() {
	local name
	[ -s "$ETCD_MEMBERS" ] || return 0
	for name in $(awk '{ print $1 }' "$ETCD_MEMBERS" | sort -u); do
		etcd_stop "$name"
	done
	return 0
}

# The fault proxy (tests/fault-proxy.c), built beside the binary under
# test unless make check names it.
: "${FAULT_PROXY:=$(dirname "$(dirname "$IPCCTL")")/tests/fault-proxy}"

# proxy_start [FAULT_PROXY_ARG...]: a fault proxy in front of the first
# endpoint, in the background, for 60 s at most: its rules in the file
# "rules" of the test's folder (rewrite it to change them), its log in
# "proxy.log"; PROXY_URL is its address, PROXY_PID its pid. With -n as
# first argument: no upstream, a fake server.
proxy_start() {
	local up=${IPCCTL_ETCD_ENDPOINTS%%,*}
	if [ "${1:-}" = -n ]; then
		shift
		set -- "$@"
	else
		set -- -u "${up#http://}" "$@"
	fi
	: >>rules
	rm -f proxy.port
	"$FAULT_PROXY" -r rules -l proxy.log -p proxy.port -T 60 "$@" \
	    </dev/null 2>>proxy.err 3>&- &
	PROXY_PID=$!
	bg_track "$PROXY_PID"
	# Out of the job table: no "Killed" line when teardown kills it.
	disown "$PROXY_PID"
	wait_for test -s proxy.port
	PROXY_URL="http://127.0.0.1:$(cat proxy.port)"
}

# rules RULE...: the proxy's rules are these from now on (counts anew).
rules() {
	printf '%s\n' "$@" >rules.new
	mv rules.new rules
}

# proxied COMMAND...: COMMAND with the proxy as the only endpoint.
proxied() {
	IPCCTL_ETCD_ENDPOINTS=$PROXY_URL "$@"
}

# fired N: the proxy's log holds N requests that a rule acted on.
fired() {
	[ "$(grep -cv ' pass$' proxy.log 2>/dev/null)" -ge "$1" ]
}
