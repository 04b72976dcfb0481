#!/usr/bin/env bats
# The fault proxy of the etcd tests (tests/fault-proxy.c): what each rule
# does to a request and its answer, through curl to etcd's JSON gateway.
# The file starts an etcd of its own; every proxy lives 60 s at most and
# goes in teardown. Every test states the exact exit status and output.

load helpers
load etcd

setup_file() {
	etcd_file single
}

file_setup() {
	skip_if_skipped
	command -v curl >/dev/null 2>&1 || skip "curl is not installed"
	K=$(printf '%s' "/fp/${N#/}" | base64 -w0)
	V=$(printf 'v' | base64 -w0)
}

# put [URL]: put the test's key through URL (the proxy's), curl's output.
put() {
	curl -sS -m 3 -X POST -d "{\"key\":\"$K\",\"value\":\"$V\"}" \
	    "${1:-$PROXY_URL}/v3/kv/put"
}

# stored: the test's key holds "v" in etcd (asked directly).
stored() {
	[ "$(ectl get "/fp/${N#/}" --print-value-only)" = v ]
}

@test "pass: answers relayed, one connection kept alive for several" {
	proxy_start
	run -0 curl -sS -m 3 -o /dev/null -o /dev/null \
	    -w '%{http_code} %{num_connects}\n' \
	    -X POST -d '{"key":"eA=="}' "$PROXY_URL/v3/kv/range" \
	    -X POST -d '{"key":"eA=="}' "$PROXY_URL/v3/kv/range"
	assert_equal "$output" "200 1
200 0"
	run -0 cat proxy.log
	assert_equal "$output" "1 /v3/kv/range pass
2 /v3/kv/range pass"
}

@test "drop: the request applies, the answer is lost" {
	proxy_start -e '/v3/kv/put * drop'
	run -52 put
	assert_equal "$output" "curl: (52) Empty reply from server"
	stored
}

@test "cut=B: the request applies, the answer's body stops after B bytes" {
	proxy_start -e '/v3/kv/put * cut=5'
	run -18 --separate-stderr curl -sS -m 3 -w '%{size_download}' -X POST \
	    -d "{\"key\":\"$K\",\"value\":\"$V\"}" "$PROXY_URL/v3/kv/put"
	assert_equal "$output" '{"hea5'
	[[ $stderr == 'curl: (18) transfer closed with '*' bytes remaining to read' ]] ||
	    fail "curl said: $stderr"
	stored
}

@test "delay=MS: the answer comes whole, MS later" {
	proxy_start -e '/v3/kv/put * delay=600'
	local t0=$(now_ms)
	run -0 put
	[[ $output == '{"header":{'*'}}' ]] || fail "answer: $output"
	(($(now_ms) - t0 >= 600)) || fail "came after $(($(now_ms) - t0)) ms"
	stored
}

@test "delayreset=MS: the request applies, a reset MS later" {
	proxy_start -e '/v3/kv/put * delayreset=400'
	local t0=$(now_ms)
	run -56 put
	assert_equal "$output" "curl: (56) Recv failure: Connection reset by peer"
	(($(now_ms) - t0 >= 400)) || fail "reset after $(($(now_ms) - t0)) ms"
	stored
}

@test "reset: a reset before the request goes on, which never applies" {
	proxy_start -e '/v3/kv/put * reset'
	run -56 put
	assert_equal "$output" "curl: (56) Recv failure: Connection reset by peer"
	run -0 ectl get "/fp/${N#/}" --print-value-only
	assert_equal "$output" ""
}

@test "stall: nothing goes on, nothing comes back" {
	proxy_start -e '/v3/kv/put * stall'
	run -28 curl -sS -m 1 -X POST -d "{\"key\":\"$K\",\"value\":\"$V\"}" \
	    "$PROXY_URL/v3/kv/put"
	[[ $output == "curl: (28) Operation timed out after "* ]] ||
	    fail "curl said: $output"
	run -0 ectl get "/fp/${N#/}" --print-value-only
	assert_equal "$output" ""
}

@test "n=K and n=K-: the Kth request on, counted per path" {
	proxy_start -e '/v3/kv/range n=2 status=503' \
	    -e '/v3/kv/range n=4- status=500'
	local i codes=
	for i in 1 2 3 4 5; do
		curl -sS -m 3 -o /dev/null -X POST -d '{"key":"eA=="}' \
		    "$PROXY_URL/v3/kv/put" || fail "put $i"
		codes+=$(curl -sS -m 3 -o /dev/null -w '%{http_code} ' -X POST \
		    -d '{"key":"eA=="}' "$PROXY_URL/v3/kv/range")
	done
	assert_equal "$codes" "200 503 200 500 500 "
}

@test "p=F with a seed: the same requests hit under the same seed" {
	local i a b
	for i in 1 2; do
		rm -f proxy.log
		proxy_start -s 42 -e '/v3/kv/range p=0.5 status=503'
		curl -sS -m 5 -o /dev/null -w '%{http_code} ' -X POST \
		    -d '{"key":"eA=="}' $(for ((j = 0; j < 40; j++)); do
		    printf '%s/v3/kv/range ' "$PROXY_URL"; done) >codes$i
		kill "$PROXY_PID"
	done
	a=$(cat codes1) b=$(cat codes2)
	assert_equal "$a" "$b"
	# Some of each: 40 draws at one half.
	[[ $a == *200* && $a == *503* ]] || fail "codes: $a"
}

@test "the rules file is read again when a test rewrites it" {
	proxy_start
	run -0 curl -sS -m 3 -o /dev/null -w '%{http_code}' -X POST \
	    -d '{"key":"eA=="}' "$PROXY_URL/v3/kv/range"
	assert_equal "$output" 200
	rules '/v3/kv/range * status=503'
	run -0 curl -sS -m 3 -o /dev/null -w '%{http_code}' -X POST \
	    -d '{"key":"eA=="}' "$PROXY_URL/v3/kv/range"
	assert_equal "$output" 503
}

@test "a watch streams through, chunk by chunk, as events come" {
	proxy_start
	curl -sS -m 3 -N -X POST -d "{\"create_request\":{\"key\":\"$K\"}}" \
	    "$PROXY_URL/v3/watch" >watch.out 2>&1 &
	bg_track $!
	wait_for grep -q created watch.out
	ectl put "/fp/${N#/}" v >/dev/null
	wait_for grep -q '"events"' watch.out
	run -0 grep -c '"result"' watch.out
	assert_equal "$output" 2
}

@test "fake server: body=, status=, empty 200" {
	echo '{"kvs":[1]}' >answer.json
	proxy_start -n -e '/v3/a * body=@answer.json' -e '/v3/b * body=' \
	    -e '/v3/c * status=503'
	run -0 curl -sS -m 3 -X POST -d '{}' "$PROXY_URL/v3/a"
	assert_equal "$output" '{"kvs":[1]}'
	run -0 curl -sS -m 3 -w '%{http_code} %{size_download}' -X POST \
	    -d '{}' "$PROXY_URL/v3/b"
	assert_equal "$output" "200 0"
	run -0 curl -sS -m 3 -w ' %{http_code}' -X POST -d '{}' \
	    "$PROXY_URL/v3/c"
	assert_equal "$output" "{} 503"
	# No rule, no upstream: 404.
	run -0 curl -sS -m 3 -w ' %{http_code}' -X POST -d '{}' \
	    "$PROXY_URL/v3/d"
	assert_equal "$output" "{} 404"
}

@test "fake server: huge, endless and garbage bodies go on until cut off" {
	proxy_start -n -e '/v3/huge * huge' -e '/v3/endless * endless' \
	    -e '/v3/garbage * garbage'
	run -28 curl -sS -m 1 -o /dev/null -D head -X POST -d '{}' \
	    "$PROXY_URL/v3/huge"
	grep -q '^Content-Length: 5000000000' head || fail "$(cat head)"
	local v
	for v in endless garbage; do
		run -28 curl -sS -m 1 -o body -X POST -d '{}' "$PROXY_URL/v3/$v"
		(($(stat -c %s body) > 10000)) || fail "$v: $(stat -c %s body) bytes"
	done
	grep -aq garbage body
}

@test "fake server: a watch answered with an event at once" {
	proxy_start -n -e '/v3/watch * events'
	run -28 curl -sS -m 1 -N -X POST -d '{}' "$PROXY_URL/v3/watch"
	[[ ${lines[1]} == '{"result":{"header":{"revision":"1"},"events":'* ]] ||
	    fail "output: $output"
}

@test "bounded: the proxy ends after -T seconds, and with its parent" {
	"$FAULT_PROXY" -T 1 -p port </dev/null &
	local pid=$!
	bg_track "$pid"
	wait_for test -s port
	wait_secs 3 gone "$pid"
	# Its parent killed: a shell whose child it is.
	bash -c '"$1" -p port2 -T 60 & echo $! >ppid; exec sleep 30' _ \
	    "$FAULT_PROXY" </dev/null 3>&- &
	local sh=$!
	bg_track "$sh"
	wait_for test -s port2
	pid=$(cat ppid)
	kill -KILL "$sh"
	wait_secs 3 gone "$pid"
}
