#!/usr/bin/env bats
# Semaphores kept in etcd ("etcd:NAME"; ipcctl(1), Objects across hosts;
# ipcctl-sem(1) for the verbs) over TLS with client certificates, and with
# etcd's authentication on. The file makes its own CAs and certificates
# with openssl, starts an etcd of its own on free loopback ports that
# wants a client certificate, enables authentication in it, and stops it
# after its last test. Every test states the exact exit status, and the
# exact output where ipcctl writes it (libcurl's reason for a failed
# connection is its own text: only what comes before it is checked).
#
# ipcctl(1), Objects across hosts: IPCCTL_ETCD_CACERT, IPCCTL_ETCD_CERT and
# IPCCTL_ETCD_KEY are the CA bundle, the client certificate and its key;
# IPCCTL_ETCD_USER and IPCCTL_ETCD_PASSWORD_FILE are etcd's authentication,
# the password read from the file's first line, never taken from a command
# line, and never printed. No endpoint reachable, or TLS failing, is exit
# 69 with the reason; etcd refusing the credentials or the permission is 77.

load helpers
load etcd

# ------------------------------------------------------------ the server

# Certificates, keys and password files.
PKI="$BATS_FILE_TMPDIR/pki"
# tls_missing: the reason these tests cannot run here, or nothing.
tls_missing() {
	etcd_missing
	if ! command -v openssl >/dev/null 2>&1; then
		echo "openssl is not installed (Debian: apt-get install openssl)"
	fi
}

# ectl_root ARG...: the same as user root, the password passed in
# etcdctl's environment (ETCDCTL_PASSWORD), not on its command line.
ectl_root() {
	ETCDCTL_USER=root ETCDCTL_PASSWORD="$(cat "$PKI/root.pw")" ectl "$@"
}

# ectl_on_tls: ectl (etcd.bash) on this file's etcd, over TLS with the
# client certificate, as no user.
ectl_on_tls() {
	export ECTL_ENDPOINTS=$ETCD_URL ECTL_FLAGS="--cacert=$PKI/ca.crt \
	    --cert=$PKI/client.crt --key=$PKI/client.key --dial-timeout=2s \
	    --command-timeout=5s"
}

# make_pki: a CA and a second one; a server certificate for 127.0.0.1 and
# localhost, signed by the first; a client certificate from each. No
# client certificate has a CN: with authentication on, etcd would take a
# CN for the user's name.
make_pki() {
	local ca name
	mkdir -m 0700 "$PKI" || return 1
	cat >"$PKI/ext.cnf" <<-'EOF' || return 1
	[server]
	basicConstraints = CA:FALSE
	subjectAltName = IP:127.0.0.1, DNS:localhost
	extendedKeyUsage = serverAuth, clientAuth
	[client]
	basicConstraints = CA:FALSE
	extendedKeyUsage = clientAuth
	EOF
	for ca in ca other-ca; do
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
		    -subj "/O=ipcctl-test/CN=ipcctl test $ca" \
		    -keyout "$PKI/$ca.key" -out "$PKI/$ca.crt" || return 1
	done
	# name, CA, extensions, in turn.
	set -- server ca server client ca client other-client other-ca client
	while (($# >= 3)); do
		name=$1
		openssl req -new -newkey rsa:2048 -nodes -subj "/O=ipcctl-test" \
		    -keyout "$PKI/$name.key" -out "$PKI/$name.csr" &&
		openssl x509 -req -days 2 -in "$PKI/$name.csr" \
		    -CA "$PKI/$2.crt" -CAkey "$PKI/$2.key" -CAcreateserial \
		    -extfile "$PKI/ext.cnf" -extensions "$3" \
		    -out "$PKI/$name.crt" || return 1
		shift 3
	done
}

# start_etcd: one member: clients over TLS on a free port, a client
# certificate from the CA required; peers over plain http on another.
# Another run may take a port between the probe and etcd's bind: then
# etcd exits, and new ports are tried. Exports ETCD_URL and ETCD_PORT.
start_etcd() {
	local cp pp try
	for ((try = 0; try < 3; try++)); do
		cp=$(free_port) && pp=$(free_port "$cp") || return 1
		rm -rf "$BATS_FILE_TMPDIR/etcd-t"
		etcd_member t "https://127.0.0.1:$cp" "http://127.0.0.1:$pp" \
		    "t=http://127.0.0.1:$pp" new \
		    --cert-file "$PKI/server.crt" --key-file "$PKI/server.key" \
		    --client-cert-auth --trusted-ca-file "$PKI/ca.crt"
		export ETCD_PORT=$cp ETCD_URL="https://127.0.0.1:$cp"
		IPCCTL_ETCD_ENDPOINTS=$ETCD_URL etcd_healthy \
		    --cacert="$PKI/ca.crt" --cert="$PKI/client.crt" \
		    --key="$PKI/client.key" && ectl_on_tls && return 0
		etcd_stop t
	done
	return 1
}

# enable_auth: users root, alice (role rw: read and write under /ipcctl/)
# and bob (no role), then authentication on. Passwords are random, each
# in a file of mode 0600 (given to etcdctl on its standard input).
enable_auth() {
	local u
	(
		umask 077
		for u in root alice bob; do
			printf '%s-%s\n' "$u" "$(openssl rand -hex 16)" \
			    >"$PKI/$u.pw" || exit 1
		done
		# A password etcd has for nobody, for the wrong-password test.
		printf 'wrong-%s\n' "$(openssl rand -hex 16)" \
		    >"$PKI/wrong.pw" || exit 1
	) || return 1
	for u in root alice bob; do
		ectl user add "$u" --interactive=false <"$PKI/$u.pw" || return 1
	done
	ectl role add root &&
	ectl user grant-role root root &&
	ectl role add rw &&
	ectl role grant-permission rw --prefix=true readwrite /ipcctl/ &&
	ectl user grant-role alice rw &&
	ectl auth enable
}

setup_file() {
	local why
	why=$(tls_missing)
	if [ -n "$why" ]; then
		skip_file "$why"
		return 0
	fi
	make_pki >"$BATS_FILE_TMPDIR/openssl.log" 2>&1 ||
	    fail "openssl could not make the certificates:" \
	    "$(tail -n 20 "$BATS_FILE_TMPDIR/openssl.log")" || return 1
	start_etcd || fail "etcd did not start; its log:" \
	    "$(tail -n 20 "$BATS_FILE_TMPDIR/etcd-t.log")" || return 1
	enable_auth >"$BATS_FILE_TMPDIR/auth.log" 2>&1 ||
	    fail "etcd's authentication could not be enabled:" \
	    "$(tail -n 20 "$BATS_FILE_TMPDIR/auth.log")" || return 1
	# Every test connects as alice with the right CA and client
	# certificate unless it says otherwise; the other settings are
	# ipcctl's defaults, whatever the caller's.
	export IPCCTL_ETCD_ENDPOINTS="$ETCD_URL" \
	    IPCCTL_ETCD_CACERT="$PKI/ca.crt" \
	    IPCCTL_ETCD_CERT="$PKI/client.crt" \
	    IPCCTL_ETCD_KEY="$PKI/client.key" \
	    IPCCTL_ETCD_USER=alice \
	    IPCCTL_ETCD_PASSWORD_FILE="$PKI/alice.pw" \
	    IPCCTL_ETCD_PREFIX=/ipcctl/
	unset IPCCTL_ETCD_TIMEOUT IPCCTL_ETCD_HOST
}

# ----------------------------------------------------------------- helpers

# The etcd name of the test's own object, its capacity key
# (IPCCTL_ETCD_PREFIX, then "sem/", then NAME without its slash), and
# the passwords.
file_setup() {
	skip_if_skipped
	E="etcd:$N"
	KEY="/ipcctl/sem/${N#/}"
	ALICE_PW=$(cat "$PKI/alice.pw")
	WRONG_PW=$(cat "$PKI/wrong.pw")
}

# assert_unavailable VERB: after "run -69 --separate-stderr ipcctl sem
# VERB $E": stdout empty, and one line on stderr naming the endpoint
# tried, then libcurl's reason.
assert_unavailable() {
	local want="ipcctl: sem $1: $E: no etcd endpoint answered ($IPCCTL_ETCD_ENDPOINTS): "
	assert_equal "$output" "" "stdout" &&
	assert_equal "${#stderr_lines[@]}" 1 "stderr lines ($stderr)" &&
	{ [[ $stderr == "$want"?* ]] ||
	    fail "stderr: expected '$want' and a reason; got '$stderr'"; }
}

# ----------------------------------------------------- the right client

@test "TLS, client certificate, alice: create, value, acquire, release, unlink" {
	run -0 --separate-stderr ipcctl sem create "$E" -v 2
	assert_equal "$output$stderr" ""
	# On this file's etcd, as decimal text.
	assert_equal "$(ectl_root get "$KEY" --print-value-only)" 2 \
	    "capacity key"
	run -0 --separate-stderr ipcctl sem value "$E"
	assert_equal "$output" 2
	assert_equal "$stderr" ""
	run -0 --separate-stderr ipcctl sem acquire "$E"
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr ipcctl sem value "$E"
	assert_equal "$output" 1
	assert_equal "$stderr" ""
	run -0 --separate-stderr ipcctl sem release "$E"
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr ipcctl sem value "$E"
	assert_equal "$output" 2
	assert_equal "$stderr" ""
	run -0 --separate-stderr ipcctl sem unlink "$E"
	assert_equal "$output$stderr" ""
	assert_equal "$(ectl_root get --prefix "$KEY" --keys-only)" "" \
	    "keys left"
	run -66 --separate-stderr ipcctl sem value "$E"
	assert_diag "ipcctl: sem value: $E: No such file or directory"
}

@test "the password is the first line of IPCCTL_ETCD_PASSWORD_FILE" {
	local pw="$BATS_TEST_TMPDIR/two-lines.pw"
	(umask 077 && printf '%s\n%s\n' "$ALICE_PW" "$WRONG_PW" >"$pw")
	IPCCTL_ETCD_PASSWORD_FILE=$pw \
	    run -0 --separate-stderr ipcctl sem create "$E" -v 3
	assert_equal "$output$stderr" ""
	IPCCTL_ETCD_PASSWORD_FILE=$pw \
	    run -0 --separate-stderr ipcctl sem value "$E"
	assert_equal "$output" 3
	assert_equal "$stderr" ""
}

# ------------------------------------------------ credentials refused: 77

@test "wrong password or unknown user: 77, etcd refused the user or password" {
	ipcctl sem create "$E"
	IPCCTL_ETCD_PASSWORD_FILE="$PKI/wrong.pw" \
	    run -77 --separate-stderr ipcctl sem value "$E"
	assert_diag "ipcctl: sem value: $E: etcd refused the user or password"
	IPCCTL_ETCD_PASSWORD_FILE="$PKI/wrong.pw" \
	    run -77 --separate-stderr ipcctl sem acquire "$E"
	assert_diag "ipcctl: sem acquire: $E: etcd refused the user or password"
	# A user etcd does not know, with alice's password.
	IPCCTL_ETCD_USER=mallory \
	    run -77 --separate-stderr ipcctl sem value "$E"
	assert_diag "ipcctl: sem value: $E: etcd refused the user or password"
	# Nothing was taken.
	run -0 --separate-stderr ipcctl sem value "$E"
	assert_equal "$output" 1

	# Nor made.
	local other
	other="etcd:$(name other)"
	IPCCTL_ETCD_PASSWORD_FILE="$PKI/wrong.pw" \
	    run -77 --separate-stderr ipcctl sem create "$other"
	assert_diag "ipcctl: sem create: $other: etcd refused the user or password"
	run -66 --separate-stderr ipcctl sem value "$other"
	assert_diag "ipcctl: sem value: $other: No such file or directory"
}

@test "a user without the role: 77, permission denied; nothing taken" {
	ipcctl sem create "$E" -v 2
	IPCCTL_ETCD_USER=bob IPCCTL_ETCD_PASSWORD_FILE="$PKI/bob.pw" \
	    run -77 --separate-stderr ipcctl sem value "$E"
	assert_diag "ipcctl: sem value: $E: etcd: etcdserver: permission denied"
	IPCCTL_ETCD_USER=bob IPCCTL_ETCD_PASSWORD_FILE="$PKI/bob.pw" \
	    run -77 --separate-stderr ipcctl sem acquire "$E"
	assert_diag "ipcctl: sem acquire: $E: etcd: etcdserver: permission denied"
	IPCCTL_ETCD_USER=bob IPCCTL_ETCD_PASSWORD_FILE="$PKI/bob.pw" \
	    run -77 --separate-stderr ipcctl sem run "$E" -- true
	assert_diag "ipcctl: sem run: $E: etcd: etcdserver: permission denied"
	run -0 --separate-stderr ipcctl sem value "$E"
	assert_equal "$output" 2
	assert_equal "$(ectl_root get --prefix "$KEY/" --keys-only)" "" \
	    "token keys"

	local other
	other="etcd:$(name other)"
	IPCCTL_ETCD_USER=bob IPCCTL_ETCD_PASSWORD_FILE="$PKI/bob.pw" \
	    run -77 --separate-stderr ipcctl sem create "$other"
	assert_diag "ipcctl: sem create: $other: etcd: etcdserver: permission denied"
	run -66 --separate-stderr ipcctl sem value "$other"
	assert_diag "ipcctl: sem value: $other: No such file or directory"
}

# ipcctl(1), ENVIRONMENT: etcdctl's variables where ipcctl's are unset;
# never a password from the environment.
@test "ETCDCTL_CACERT, _CERT, _KEY and _USER stand in for unset IPCCTL_ETCD_*" {
	export ETCDCTL_CACERT=$IPCCTL_ETCD_CACERT \
	    ETCDCTL_CERT=$IPCCTL_ETCD_CERT ETCDCTL_KEY=$IPCCTL_ETCD_KEY
	# etcdctl's "user:password": the name only; the password is the file's.
	export ETCDCTL_USER="alice:$WRONG_PW"
	unset IPCCTL_ETCD_CACERT IPCCTL_ETCD_CERT IPCCTL_ETCD_KEY \
	    IPCCTL_ETCD_USER
	run -0 --separate-stderr ipcctl sem create "$E" -v 2
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr ipcctl sem value "$E"
	assert_equal "$output$stderr" 2
	# ipcctl's own wins where set: bob has no role.
	IPCCTL_ETCD_USER=bob IPCCTL_ETCD_PASSWORD_FILE="$PKI/bob.pw" \
	    run -77 --separate-stderr ipcctl sem value "$E"
	assert_diag "ipcctl: sem value: $E: etcd: etcdserver: permission denied"
	# No password file: neither ETCDCTL_USER's nor ETCDCTL_PASSWORD is
	# taken for one.
	unset IPCCTL_ETCD_PASSWORD_FILE
	ETCDCTL_USER="alice:$ALICE_PW" ETCDCTL_PASSWORD=$ALICE_PW \
	    run -77 --separate-stderr ipcctl sem value "$E"
	assert_diag "ipcctl: sem value: $E: etcd refused the user or password"
	# Without ETCDCTL_CACERT the server is not trusted.
	unset ETCDCTL_CACERT
	IPCCTL_ETCD_PASSWORD_FILE="$PKI/alice.pw" \
	    run -69 --separate-stderr ipcctl sem value "$E"
	assert_equal "$output" ""
}

# ipcctl(1), Objects across hosts: etcd refusing the credentials is 77; a
# request with none, where authentication is on, is refused.
@test "no user where etcd's authentication is on: 77" {
	ipcctl sem create "$E"
	unset IPCCTL_ETCD_USER IPCCTL_ETCD_PASSWORD_FILE
	run -77 --separate-stderr ipcctl sem value "$E"
	assert_equal "$output" ""
	assert_equal "${#stderr_lines[@]}" 1 "stderr lines ($stderr)"
	[[ $stderr == "ipcctl: sem value: $E: "?* ]] || fail "stderr: $stderr"
}

# ------------------------------------------------------- TLS failing: 69

@test "no client certificate: 69, the handshake refused" {
	ipcctl sem create "$E"
	unset IPCCTL_ETCD_CERT IPCCTL_ETCD_KEY
	run -69 --separate-stderr ipcctl sem value "$E"
	assert_unavailable value
	run -69 --separate-stderr ipcctl sem create "$E"
	assert_unavailable create
}

@test "a client certificate from another CA: 69" {
	ipcctl sem create "$E"
	IPCCTL_ETCD_CERT="$PKI/other-client.crt" \
	    IPCCTL_ETCD_KEY="$PKI/other-client.key" \
	    run -69 --separate-stderr ipcctl sem value "$E"
	assert_unavailable value
}

@test "the server's certificate untrusted (no CA, or another): 69" {
	ipcctl sem create "$E"
	IPCCTL_ETCD_CACERT="$PKI/other-ca.crt" \
	    run -69 --separate-stderr ipcctl sem value "$E"
	assert_unavailable value
	unset IPCCTL_ETCD_CACERT
	run -69 --separate-stderr ipcctl sem value "$E"
	assert_unavailable value
}

@test "an endpoint on a closed port: 69, no etcd endpoint answered" {
	local port
	port=$(free_port "$ETCD_PORT")
	IPCCTL_ETCD_ENDPOINTS="https://127.0.0.1:$port"
	run -69 --separate-stderr ipcctl sem value "$E"
	assert_unavailable value
}

# ------------------------------------------------------- the password

# ipcctl(1), Objects across hosts: the password is read from its file,
# never taken from a command line, and never printed.
@test "the password is in no argv, no environment, no diagnostic" {
	ipcctl sem create "$E"
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -0 --separate-stderr ipcctl sem run "$E" -- sh -c '
	    tr "\0" "\n" </proc/$$/environ >env.txt
	    tr "\0" "\n" </proc/$PPID/environ >run-env.txt
	    ps -eo args >ps.txt'
	assert_equal "$output$stderr" ""
	# What was read is what was meant: COMMAND's environment, and
	# every process's argv with the "sem run" among them.
	grep -qx "IPCCTL_ETCD_PASSWORD_FILE=$PKI/alice.pw" env.txt ||
	    fail "env.txt: $(cat env.txt)"
	grep -q '^IPCCTL_FENCE=[0-9]' env.txt || fail "env.txt: $(cat env.txt)"
	grep -qF "sem run $E -- sh -c" ps.txt || fail "ps.txt: $(cat ps.txt)"
	if grep -nF -- "$ALICE_PW" env.txt run-env.txt ps.txt; then
		fail "the password is shown above"
	fi

	IPCCTL_ETCD_PASSWORD_FILE="$PKI/wrong.pw" \
	    run -77 --separate-stderr ipcctl sem value "$E"
	assert_equal "$output" ""
	[[ $stderr != *"$WRONG_PW"* ]] || fail "wrong password in: $stderr"
	[[ $stderr != *"$ALICE_PW"* ]] || fail "password in: $stderr"
	[[ $stderr != *"${WRONG_PW#wrong-}"* ]] ||
	    fail "wrong password in: $stderr"
}

# ------------------------------------------------------------- sem run

# ipcctl(1), Objects across hosts: run gives COMMAND IPCCTL_FENCE, its
# fencing number (its key's create revision), and IPCCTL_TOKEN, its key.
@test "sem run under TLS and authentication: 0, IPCCTL_FENCE set" {
	ipcctl sem create "$E"
	run -0 --separate-stderr ipcctl sem run "$E" -- true
	assert_equal "$output$stderr" ""

	# COMMAND reads its key as root while it holds it.
	export -f ectl ectl_root
	export PKI
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -0 --separate-stderr ipcctl sem run "$E" -- bash -c '
	    printf "%s\n" "${IPCCTL_FENCE-unset}" "${IPCCTL_TOKEN-unset}"
	    ectl_root get "$IPCCTL_TOKEN" -w fields |
	        sed -n "s/^\"CreateRevision\" : //p"'
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 3 "output lines ($output)"
	[[ ${lines[0]} =~ ^[1-9][0-9]*$ ]] || fail "IPCCTL_FENCE: ${lines[0]}"
	[[ ${lines[1]} == "$KEY/"?* ]] || fail "IPCCTL_TOKEN: ${lines[1]}"
	assert_equal "${lines[2]}" "${lines[0]}" "create revision of the token"

	# The token came back.
	run -0 --separate-stderr ipcctl sem value "$E"
	assert_equal "$output" 1
	assert_equal "$(ectl_root get --prefix "$KEY/" --keys-only)" "" \
	    "token keys"
}
