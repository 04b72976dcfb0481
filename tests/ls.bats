#!/usr/bin/env bats
# ipcctl ls and ipcctl limits (ipcctl(1): ls, limits, OUTPUT,
# Names). Other tests and users make objects while these run, so a test
# looks only at the rows of its own names (their prefix), or runs in a
# namespace of its own where nothing else shows. Every test states the
# exact exit status and the exact output.

load helpers


# mkq NAME [OPTIONS]: create a queue that teardown removes.
mkq() {
	track "$1"
	"$IPCCTL" mq create "$@"
}

# Skip unless hermetic works: root, unshare, and /dev/mqueue to mount on.
need_hermetic() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for namespaces of its own"
	command -v unshare >/dev/null 2>&1 ||
	    skip "unshare (util-linux) is not installed"
	make_mq_dir || skip "cannot create /dev/mqueue"
	unshare -im sh -c 'mount -t tmpfs none /dev/shm &&
	    mount -t mqueue none /dev/mqueue' 2>/dev/null ||
	    skip "cannot make an IPC and mount namespace"
}

# hermetic SCRIPT: run the sh SCRIPT in an IPC namespace and a mount
# namespace of its own, on an empty /dev/shm and /dev/mqueue, so that only
# what SCRIPT makes is listed; all of it goes with the namespaces.
hermetic() {
	unshare -im sh -ec 'mount -t tmpfs -o mode=1777 none /dev/shm
	    mount -t mqueue none /dev/mqueue
	    ipcctl() { "$IPCCTL" "$@"; }
	    eval "$1"' sh "$1"
}

# my_json: this test's objects in the JSON of "ls --json", one compact
# array.
my_json() {
	jq -c --arg p "$PREFIX" '[.objects[] | select(.name | contains($p))]' \
	    <<<"$output"
}

# no_controls: $output holds no control character but its newlines.
no_controls() {
	local o=${output//$'\n'/}
	[[ $o != *[$'\001'-$'\037'$'\177']* ]] ||
	    fail "a control character reached the output: $(printf %q "$output")"
}

MQ_NOTE="ipcctl: ls: /dev/mqueue is not mounted, so no queue is listed; to mount it: mount -t mqueue none /dev/mqueue"

# ------------------------------------------------------------ the listing

@test "ls: the whole table, exactly, where nothing else shows" {
	need_hermetic
	run -0 --separate-stderr hermetic '
		ipcctl sem create /a -v 3 -m 0640
		ipcctl shm create /b -s 4K
		ipcctl mq create /c --max-messages 5 --message-size 64
		ipcctl mq send /c hello
		ipcctl mq send /c world!
		printf "" >/dev/shm/sem.bad
		ipcctl ls'
	assert_equal "$stderr" ""
	assert_equal "$output" "$(printf '%s\n' \
	    'TYPE NAME OWNER MODE SIZE VALUE MESSAGES NOTE' \
	    'sem  /a   root  0640          3' \
	    'sem  /bad root  0644                     damaged' \
	    'shm  /b   root  0600   4K' \
	    'mq   /c   root  0600  11B              2')"
	# No row ends in blanks, whatever its last cells hold.
	[[ $output != *" "$'\n'* && $output != *" " ]] ||
	    fail "a trailing blank: $output"
}

@test "ls: sizes as lsipc shows them (8K, 1.5M), -b for bytes; no trailing blank" {
	need_hermetic
	local make='ipcctl shm create /a -s 1536K
		ipcctl shm create /b -s 4K
		ipcctl shm create /c -s 1000
		ipcctl shm create /d -s 1048575
		ipcctl shm create /e -s 3G'
	run -0 --separate-stderr hermetic "$make"'
		ipcctl ls -o NAME,SIZE
		ipcctl ls -o NAME,SIZE -b
		ipcctl ls -o NAME,SIZE,NOTE --bytes'
	assert_equal "$stderr" ""
	assert_equal "$output" "$(printf '%s\n' \
	    'NAME  SIZE' '/a    1.5M' '/b      4K' '/c   1000B' '/d   1024K' \
	    '/e      3G' \
	    'NAME       SIZE' '/a      1572864' '/b         4096' \
	    '/c         1000' '/d      1048575' '/e   3221225472' \
	    'NAME       SIZE NOTE' '/a      1572864' '/b         4096' \
	    '/c         1000' '/d      1048575' '/e   3221225472')"
	# Scripts' forms keep bytes.
	run -0 --separate-stderr hermetic "$make; ipcctl ls -o NAME,SIZE -r"
	assert_equal "$output" "$(printf '%s\n' 'NAME SIZE' '/a 1572864' \
	    '/b 4096' '/c 1000' '/d 1048575' '/e 3221225472')"
	run -0 --separate-stderr hermetic "$make; ipcctl ls -o NAME,SIZE --pairs"
	assert_equal "${lines[0]}" 'NAME="/a" SIZE="1572864"'
	run -0 --separate-stderr hermetic "$make; ipcctl ls -o NAME,SIZE -J"
	assert_equal "$(jq -c '[.objects[].size]' <<<"$output")" \
	    '[1572864,4096,1000,1048575,3221225472]'
}

@test "ls -t TYPE: only the columns that apply to TYPE, unless -o says" {
	need_hermetic
	run -0 --separate-stderr hermetic '
		ipcctl sem create /a -v 3
		ipcctl shm create /b -s 4K
		ipcctl mq create /c --max-messages 5 --message-size 64
		ipcctl mq send /c hello
		ipcctl ls -t shm
		ipcctl ls -t sem
		ipcctl ls -t mq
		ipcctl ls -t sem,shm
		ipcctl ls -t sem -o +SIZE
		ipcctl ls -t mq -l | head -n 1
		ipcctl ls -t sem -l | head -n 1'
	assert_equal "$stderr" ""
	assert_equal "$output" "$(printf '%s\n' \
	    'TYPE NAME OWNER MODE SIZE NOTE' \
	    'shm  /b   root  0600   4K' \
	    'TYPE NAME OWNER MODE VALUE NOTE' \
	    'sem  /a   root  0600     3' \
	    'TYPE NAME OWNER MODE SIZE MESSAGES NOTE' \
	    'mq   /c   root  0600   5B        1' \
	    'TYPE NAME OWNER MODE SIZE VALUE NOTE' \
	    'sem  /a   root  0600          3' \
	    'shm  /b   root  0600   4K' \
	    'TYPE NAME OWNER MODE VALUE NOTE SIZE' \
	    'sem  /a   root  0600     3' \
	    'TYPE NAME OWNER GROUP MODE SIZE MESSAGES PROCS MTIME                    NOTE' \
	    'TYPE NAME OWNER GROUP MODE VALUE HOLDERS PROCS MTIME                    NOTE')"
	run -0 --separate-stderr hermetic '
		ipcctl sem create /a -v 3
		ipcctl ls -t sem --json'
	assert_equal "$(jq -c . <<<"$output")" \
	    '{"objects":[{"type":"sem","name":"/a","owner":"root","mode":"0600","value":3,"note":null}]}'
}

@test "ls: an empty host prints nothing; --json an empty array" {
	need_hermetic
	run -0 --separate-stderr hermetic 'ipcctl ls'
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr hermetic 'ipcctl ls --json'
	assert_equal "$stderr" ""
	assert_equal "$(jq -c . <<<"$output")" '{"objects":[]}'
}

@test "ls: a semaphore, a segment and a queue it made, sorted by type" {
	need_mqueue
	local me
	me=$(id -un)
	ipcctl sem create "$(name s)" -v 3 -m 0640
	ipcctl shm create "$(name m)" -s 4K
	mkq "$(name q)" --max-messages 5 --message-size 64
	ipcctl mq send "$(name q)" hello
	ipcctl mq send "$(name q)" -p 3 world!
	run -0 --separate-stderr with_mq "$IPCCTL" ls -r
	assert_equal "$stderr" ""
	assert_equal "${lines[0]}" "TYPE NAME OWNER MODE SIZE VALUE MESSAGES NOTE"
	assert_equal "$(mine)" "$(printf '%s\n' \
	    "sem $(name s) $me 0640  3" \
	    "shm $(name m) $me 0600 4096" \
	    "mq $(name q) $me 0600 11  2")"
	# list is ls
	run -0 --separate-stderr with_mq "$IPCCTL" list -r
	assert_equal "$(mine)" "$(printf '%s\n' \
	    "sem $(name s) $me 0640  3" \
	    "shm $(name m) $me 0600 4096" \
	    "mq $(name q) $me 0600 11  2")"
}

@test "ls: rows sorted by type, then by name byte by byte" {
	ipcctl shm create "$(name b)" -s 1
	ipcctl shm create "$(name B)" -s 1
	ipcctl shm create "$(name a)" -s 1
	ipcctl sem create "$(name z)"
	run -0 --separate-stderr ipcctl ls -t shm,sem -o TYPE,NAME -r -n
	assert_equal "$(mine)" "$(printf '%s\n' "sem $(name z)" \
	    "shm $(name B)" "shm $(name a)" "shm $(name b)")"
}

@test "ls -t: only the types asked for, in any order, repeatable" {
	ipcctl sem create "$(name s)"
	ipcctl shm create "$(name m)" -s 1
	run -0 --separate-stderr ipcctl ls -t sem -o TYPE,NAME -r -n
	assert_equal "$stderr" ""
	assert_equal "$(mine)" "sem $(name s)"
	local l
	for l in "${lines[@]}"; do
		[[ $l == "sem "* ]] || fail "not a semaphore: $l"
	done
	run -0 --separate-stderr ipcctl ls --type=shm -o TYPE,NAME -r -n
	assert_equal "$(mine)" "shm $(name m)"
	run -0 --separate-stderr ipcctl ls -t shm,sem -o TYPE,NAME -r -n
	assert_equal "$(mine)" "$(printf '%s\n' "sem $(name s)" "shm $(name m)")"
	run -0 --separate-stderr ipcctl ls -t shm -t sem -o TYPE,NAME -r -n
	assert_equal "$(mine)" "$(printf '%s\n' "sem $(name s)" "shm $(name m)")"
}

@test "ls -t with a bad type, -o with a bad column, an operand: exit 64" {
	run -64 --separate-stderr ipcctl ls -t sem,bogus
	assert_usage_error "ipcctl: ls: unknown type: bogus (sem, shm or mq)" ls
	run -64 --separate-stderr ipcctl ls -t sem,
	assert_usage_error "ipcctl: ls: an empty type in -t" ls
	run -64 --separate-stderr ipcctl ls -o NAME,,TYPE
	assert_usage_error "ipcctl: ls: an empty column in -o" ls
	run -64 --separate-stderr ipcctl ls -o +
	assert_usage_error "ipcctl: ls: an empty column in -o" ls
	run -64 --separate-stderr ipcctl ls -t SEM
	assert_usage_error "ipcctl: ls: unknown type: SEM (sem, shm or mq)" ls
	run -64 --separate-stderr ipcctl ls -o NAME,BOGUS
	assert_usage_error \
	    "ipcctl: ls: unknown column: BOGUS (see --list-columns)" ls
	run -64 --separate-stderr ipcctl ls /x
	assert_usage_error "ipcctl: ls: unexpected operand: /x" ls
	run -64 --separate-stderr ipcctl list -x
	assert_usage_error "ipcctl: ls: unknown option: -x" ls
	run -64 --separate-stderr ipcctl ls -o
	assert_usage_error "ipcctl: ls: option requires an argument: -o" ls
}

@test "ls -l: group, holders, procs and mtime" {
	local me group mtime plus
	me=$(id -un) group=$(id -gn)
	ipcctl sem create "$(name s)" -v 2
	ipcctl shm create "$(name m)" -s 100
	touch -d @1700000000 "/dev/shm/$PREFIX"m "$(sem_file "$(name s)")"
	mtime=$(date -d @1700000000 +%Y-%m-%dT%H:%M:%S%z)
	plus=$(procs_plus)
	run -0 --separate-stderr ipcctl ls -l -t sem,shm -r
	assert_equal "${lines[0]}" \
	    "TYPE NAME OWNER GROUP MODE SIZE VALUE HOLDERS PROCS MTIME NOTE"
	assert_equal "$(mine)" "$(printf '%s\n' \
	    "sem $(name s) $me $group 0600  2  0$plus $mtime" \
	    "shm $(name m) $me $group 0600 100   0$plus $mtime")"

	# A holder recorded in the semaphore's ledger: still a healthy
	# semaphore, its file longer now.
	ipcctl sem acquire "$(name s)" --holder $$
	run -0 --separate-stderr ipcctl ls -l -t sem -o NAME,VALUE,HOLDERS,NOTE \
	    --pairs
	assert_equal "$(mine)" \
	    "NAME=\"$(name s)\" VALUE=\"1\" HOLDERS=\"1\" NOTE=\"\""
	run -0 --separate-stderr ipcctl ls -l -t sem --json
	assert_equal "$(my_json | jq -c '.[] | [.value, .holders, .note]')" \
	    '[1,1,null]'
	ipcctl sem release "$(name s)" --holder $$
	run -0 --separate-stderr ipcctl ls -t sem -o NAME,VALUE,HOLDERS -r -n
	assert_equal "$(mine)" "$(name s) 2 0"
}

@test "ls: a semaphore whose ledger someone holds locked does not stall it" {
	command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
	ipcctl sem create "$(name s)" -v 2
	ipcctl sem acquire "$(name s)" --holder $$
	# A lock on the ledger's first byte, held as an updater stopped
	# mid-update would hold it.
	python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "r+")
fcntl.lockf(f, fcntl.LOCK_EX, 1, 4096)
print("locked", flush=True)
time.sleep(60)' "$(sem_file "$(name s)")" >locked &
	local pid=$!
	bg_track "$pid"
	wait_for grep -q locked locked
	run -0 --separate-stderr timeout 5 "$IPCCTL" ls -l -t sem \
	    -o NAME,VALUE,HOLDERS -r -n
	assert_equal "$(mine)" "$(name s) 1 1"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
}

@test "ls -o: any column for any type; lower case; + adds to the default" {
	need_mqueue
	ipcctl sem create "$(name s)" -v 4
	ipcctl shm create "$(name m)" -s 4096
	mkq "$(name q)" --max-messages 3 --message-size 16
	ipcctl mq send "$(name q)" 12345
	run -0 --separate-stderr with_mq "$IPCCTL" ls -o NAME,SIZE --pairs
	assert_equal "$stderr" ""
	assert_equal "$(mine)" "$(printf '%s\n' \
	    "NAME=\"$(name s)\" SIZE=\"\"" \
	    "NAME=\"$(name m)\" SIZE=\"4096\"" \
	    "NAME=\"$(name q)\" SIZE=\"5\"")"
	run -0 --separate-stderr with_mq "$IPCCTL" ls \
	    -o name,value,messages,max_messages,message_size --pairs
	assert_equal "$(mine)" "$(printf '%s\n' \
	    "NAME=\"$(name s)\" VALUE=\"4\" MESSAGES=\"\" MAX_MESSAGES=\"\" MESSAGE_SIZE=\"\"" \
	    "NAME=\"$(name m)\" VALUE=\"\" MESSAGES=\"\" MAX_MESSAGES=\"\" MESSAGE_SIZE=\"\"" \
	    "NAME=\"$(name q)\" VALUE=\"\" MESSAGES=\"1\" MAX_MESSAGES=\"3\" MESSAGE_SIZE=\"16\"")"
	run -0 --separate-stderr with_mq "$IPCCTL" ls -o +GROUP -r
	assert_equal "${lines[0]}" \
	    "TYPE NAME OWNER MODE SIZE VALUE MESSAGES NOTE GROUP"
	run -0 --separate-stderr with_mq "$IPCCTL" ls -l -o +mtime,name -r
	assert_equal "${lines[0]}" \
	    "TYPE NAME OWNER GROUP MODE SIZE VALUE MESSAGES HOLDERS PROCS MTIME NOTE MTIME NAME"
}

@test "ls --list-columns: every column, and what it holds" {
	ipcctl sem create "$(name s)"
	run -0 --separate-stderr ipcctl ls --list-columns
	assert_equal "$stderr" ""
	local names=() l
	for l in "${lines[@]}"; do
		l=${l#"${l%%[! ]*}"}
		names+=("${l%% *}")
	done
	assert_equal "${names[*]}" \
	    "TYPE NAME OWNER GROUP MODE SIZE VALUE MESSAGES MAX_MESSAGES MESSAGE_SIZE HOLDERS PROCS MTIME NOTE"
	# Each of them works with -o.
	for l in "${names[@]}"; do
		run -0 --separate-stderr ipcctl ls -t sem -o "$l" -r
		assert_equal "${lines[0]}" "$l"
	done
}

@test "ls -n: no heading line" {
	ipcctl sem create "$(name s)" -v 1
	run -0 --separate-stderr ipcctl ls -t sem -n -o NAME,VALUE -r
	assert_equal "$(mine)" "$(name s) 1"
	[[ ${lines[0]} != NAME* ]] || fail "a heading: ${lines[0]}"
	run -0 --separate-stderr ipcctl ls -t sem --noheadings -o NAME,VALUE
	[[ ${lines[0]} != NAME* ]] || fail "a heading: ${lines[0]}"
	[[ $output == *"$(name s)"*" 1"* ]] || fail "no row: $output"
}

@test "ls --json: typed numbers, null for what is unknown or does not apply" {
	need_mqueue
	local me group
	me=$(id -un) group=$(id -gn)
	ipcctl sem create "$(name s)" -v 3
	ipcctl shm create "$(name m)" -s 4K -m 0640
	mkq "$(name q)" --max-messages 5 --message-size 64
	ipcctl mq send "$(name q)" hello
	run -0 --separate-stderr with_mq "$IPCCTL" ls --json
	assert_equal "$stderr" ""
	jq -e . <<<"$output" >/dev/null || fail "not JSON: $output"
	assert_equal "$(my_json)" "$(printf '%s' \
	    "[{\"type\":\"sem\",\"name\":\"$(name s)\",\"owner\":\"$me\",\"mode\":\"0600\",\"size\":null,\"value\":3,\"messages\":null,\"note\":null}," \
	    "{\"type\":\"shm\",\"name\":\"$(name m)\",\"owner\":\"$me\",\"mode\":\"0640\",\"size\":4096,\"value\":null,\"messages\":null,\"note\":null}," \
	    "{\"type\":\"mq\",\"name\":\"$(name q)\",\"owner\":\"$me\",\"mode\":\"0600\",\"size\":5,\"value\":null,\"messages\":1,\"note\":null}]")"

	run -0 --separate-stderr with_mq "$IPCCTL" ls -l --json \
	    -o +MAX_MESSAGES,MESSAGE_SIZE
	jq -e --arg p "$PREFIX" --arg g "$group" '
	    [.objects[] | select(.name | contains($p))] |
	    length == 3 and
	    all(.group == $g and (.mtime | type) == "string" and
	        (.mtime | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[-+][0-9]{4}$"))) and
	    (map(.holders) == [null, null, null]) and
	    (map(.max_messages) == [null, null, 5]) and
	    (map(.message_size) == [null, null, 64])' <<<"$output" >/dev/null ||
	    fail "unexpected JSON: $(my_json)"
}

@test "ls -r: raw rows, empty cells empty" {
	ipcctl sem create "$(name s)" -v 7 -m 0644
	ipcctl shm create "$(name m)" -s 1
	run -0 --separate-stderr ipcctl ls -t sem,shm -r \
	    -o TYPE,NAME,MODE,SIZE,VALUE,NOTE
	assert_equal "${lines[0]}" "TYPE NAME MODE SIZE VALUE NOTE"
	assert_equal "$(mine)" "$(printf '%s\n' \
	    "sem $(name s) 0644  7" "shm $(name m) 0600 1")"
}

@test "ls --pairs: safe for eval, whatever the name holds" {
	local odd="${PREFIX}\$(touch pwned)\`touch pwned2\`\"q'x"
	ipcctl shm create "/$odd" -s 3
	run -0 --separate-stderr ipcctl ls -t shm --pairs -o NAME,SIZE
	assert_equal "$(mine)" "NAME=\"/${PREFIX}\\x24(touch pwned)\\x60touch pwned2\\x60\\x22q'x\" SIZE=\"3\""
	local line NAME SIZE
	line=$(mine)
	eval "$line"
	assert_equal "$NAME" "/${PREFIX}\\x24(touch pwned)\\x60touch pwned2\\x60\\x22q'x"
	assert_equal "$SIZE" 3
	[ ! -e pwned ] && [ ! -e pwned2 ] || fail "eval ran a command"
	# JSON carries the name as it is.
	run -0 --separate-stderr ipcctl ls -t shm --json -o NAME
	assert_equal "$(my_json | jq -r '.[].name')" "/$odd"
}

@test "ls: names with escape sequences and control characters are escaped" {
	printf '' >"/dev/shm/${PREFIX}x"$'\e[31mred'
	printf '' >"/dev/shm/${PREFIX}nl"$'\n'"tab"$'\t'"del"$'\177'
	printf '' >"/dev/shm/${PREFIX}back\\slash"
	printf '' >"/dev/shm/sem.${PREFIX}"$'\e]0;title\a'
	run -0 --separate-stderr ipcctl ls -t sem,shm -o NAME
	no_controls
	assert_equal "$(mine)" "$(printf '%s\n' \
	    "/${PREFIX}\\033]0;title\\a" \
	    "/${PREFIX}back\\slash" \
	    "/${PREFIX}nl\\ntab\\tdel\\177" \
	    "/${PREFIX}x\\033[31mred")"
	run -0 --separate-stderr ipcctl ls -t sem,shm -o NAME --json
	assert_equal "$(my_json | jq -r '.[].name')" "$(printf '%s\n' \
	    "/${PREFIX}\\033]0;title\\a" \
	    "/${PREFIX}back\\slash" \
	    "/${PREFIX}nl\\ntab\\tdel\\177" \
	    "/${PREFIX}x\\033[31mred")"
	# Raw and pairs: libsmartcols writes the backslash as \x5c, as lsblk.
	run -0 --separate-stderr ipcctl ls -t shm -o NAME -r
	no_controls
	[[ $(mine) == *"/${PREFIX}x\\x5c033[31mred"* ]] || fail "raw: $(mine)"
	run -0 --separate-stderr ipcctl ls -t shm -o NAME --pairs
	no_controls
}

@test "ls: bytes that are not UTF-8 are escaped; UTF-8 stays in a UTF-8 locale" {
	printf '' >"/dev/shm/${PREFIX}bad"$'\xff\xc2\x9b'
	printf '' >"/dev/shm/${PREFIX}caf"$'\xc3\xa9'
	LC_ALL=C run -0 --separate-stderr ipcctl ls -t shm -o NAME -n
	assert_equal "$(mine)" "$(printf '%s\n' \
	    "/${PREFIX}bad\\377\\302\\233" "/${PREFIX}caf\\303\\251")"
	locale -a 2>/dev/null | grep -qix 'c\.utf-\?8' ||
	    skip "no C.UTF-8 locale"
	LC_ALL=C.UTF-8 run -0 --separate-stderr ipcctl ls -t shm -o NAME -n
	assert_equal "$(mine)" "$(printf '%s\n' \
	    "/${PREFIX}bad\\377\\302\\233" "/${PREFIX}caf"$'\xc3\xa9')"
	LC_ALL=C.UTF-8 run -0 --separate-stderr ipcctl ls -t shm -o NAME --json
	jq -e . <<<"$output" >/dev/null || fail "not JSON: $output"
}

@test "ls: a bidi override (U+202E) is escaped in every form, in C and C.UTF-8" {
	# ipcctl(1), ls: names are printed safely, so that a name made to
	# fool the terminal never reaches it raw. U+202E RIGHT-TO-LEFT
	# OVERRIDE reverses the text that follows it: it is written as C
	# escapes like a control character, while other UTF-8 prints as
	# itself in a UTF-8 locale. In raw and pairs form libsmartcols
	# writes each backslash as \x5c.
	# The bytes spelled out: bash makes $'\u202e' by the locale, and in
	# the C locale leaves it as the six characters \u202E.
	local rlo=$'\xe2\x80\xae' rn cafe cafe_shown loc
	rn=$(name "a${rlo}b")
	cafe=$(name "caf"$'\xc3\xa9')
	[ "$(printf %s "${rn#"/$PREFIX"}" | od -An -tx1 | tr -d ' \n')" = 61e280ae62 ] ||
	    fail "the name is not a, e2 80 ae, b"
	ipcctl shm create "$rn" -s 1
	ipcctl shm create "$cafe" -s 1
	for loc in C C.UTF-8; do
		echo "LC_ALL=$loc"
		if [ "$loc" = C.UTF-8 ]; then
			locale -a 2>/dev/null | grep -qix 'c\.utf-\?8' ||
			    skip "no C.UTF-8 locale"
			cafe_shown="/${PREFIX}caf"$'\xc3\xa9'
		else
			cafe_shown="/${PREFIX}caf\\303\\251"
		fi

		LC_ALL=$loc run -0 --separate-stderr ipcctl ls -t shm -o NAME -n
		assert_equal "$stderr" ""
		[[ $output != *"$rlo"* ]] || fail "plain: U+202E written raw"
		assert_equal "$(mine)" "$(printf '%s\n' \
		    "/${PREFIX}a\\342\\200\\256b" "$cafe_shown")" "plain"

		LC_ALL=$loc run -0 --separate-stderr ipcctl ls -t shm -o NAME -r -n
		assert_equal "$stderr" ""
		[[ $output != *"$rlo"* ]] || fail "raw: U+202E written raw"
		assert_equal "$(mine | grep -F -- "/${PREFIX}a")" \
		    "/${PREFIX}a\\x5c342\\x5c200\\x5c256b" "raw"

		LC_ALL=$loc run -0 --separate-stderr ipcctl ls -t shm -o NAME --pairs
		assert_equal "$stderr" ""
		[[ $output != *"$rlo"* ]] || fail "pairs: U+202E written raw"
		assert_equal "$(mine | grep -F -- "/${PREFIX}a")" \
		    "NAME=\"/${PREFIX}a\\x5c342\\x5c200\\x5c256b\"" "pairs"

		LC_ALL=$loc run -0 --separate-stderr ipcctl ls -t shm -o NAME --json
		assert_equal "$stderr" ""
		[[ $output != *"$rlo"* ]] || fail "JSON: U+202E written raw"
		jq -e . <<<"$output" >/dev/null || fail "not JSON: $output"
		assert_equal "$(my_json | jq -r '.[].name')" "$(printf '%s\n' \
		    "/${PREFIX}a\\342\\200\\256b" "$cafe_shown")" "JSON"
	done
}

@test "ls: directories, links, fifos and sockets in /dev/shm are not listed" {
	ipcctl shm create "$(name m)" -s 1
	ipcctl sem create "$(name s)"
	mkdir "/dev/shm/${PREFIX}dir" "/dev/shm/sem.${PREFIX}semdir"
	ln -s "/dev/shm/${PREFIX}m" "/dev/shm/${PREFIX}link"
	ln -s "$(sem_file "$(name s)")" "/dev/shm/sem.${PREFIX}semlink"
	ln -s /nonexistent "/dev/shm/${PREFIX}dangling"
	mkfifo "/dev/shm/${PREFIX}fifo" "/dev/shm/sem.${PREFIX}semfifo"
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import socket, sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "/dev/shm/${PREFIX}sock"
		[ -S "/dev/shm/${PREFIX}sock" ] || fail "no socket made"
	fi
	run -0 --separate-stderr ipcctl ls -t sem,shm -o TYPE,NAME -r -n
	assert_equal "$stderr" ""
	assert_equal "$(mine)" "$(printf '%s\n' "sem $(name s)" "shm $(name m)")"
}

@test "ls: a damaged sem.* file is listed as damaged, never opened as one" {
	ipcctl sem create "$(name good)" -v 1
	: >"/dev/shm/sem.${PREFIX}empty"
	head -c 16 /dev/zero >"/dev/shm/sem.${PREFIX}short"
	head -c 100 /dev/zero >"/dev/shm/sem.${PREFIX}odd"
	head -c 8192 /dev/zero >"/dev/shm/sem.${PREFIX}noledger"
	# A copy of a healthy semaphore's bytes is a healthy semaphore.
	cp "$(sem_file "$(name good)")" "/dev/shm/sem.${PREFIX}copy"
	run -0 --separate-stderr ipcctl ls -t sem -o NAME,VALUE,NOTE --pairs
	assert_equal "$stderr" ""
	assert_equal "$(mine)" "$(printf '%s\n' \
	    "NAME=\"$(name copy)\" VALUE=\"1\" NOTE=\"\"" \
	    "NAME=\"$(name empty)\" VALUE=\"\" NOTE=\"damaged\"" \
	    "NAME=\"$(name good)\" VALUE=\"1\" NOTE=\"\"" \
	    "NAME=\"$(name noledger)\" VALUE=\"\" NOTE=\"damaged\"" \
	    "NAME=\"$(name odd)\" VALUE=\"\" NOTE=\"damaged\"" \
	    "NAME=\"$(name short)\" VALUE=\"\" NOTE=\"damaged\"")"
	run -0 --separate-stderr ipcctl ls -t sem --json -l
	assert_equal "$(my_json | jq -c 'map([.value, .holders, .note])')" \
	    '[[1,null,null],[null,null,"damaged"],[1,null,null],[null,null,"damaged"],[null,null,"damaged"],[null,null,"damaged"]]'
	# Nothing was written to them.
	assert_equal "$(stat -c %s "/dev/shm/sem.${PREFIX}empty")" 0
	assert_equal "$(stat -c %s "/dev/shm/sem.${PREFIX}short")" 16
}

@test "ls: root's 0600 objects, listed to an unprivileged user, values unknown" {
	need_unprivileged
	ipcctl sem create "$(name s)" -v 5
	ipcctl sem create "$(name p)" -v 6 -m 0644
	ipcctl shm create "$(name m)" -s 4K
	run -0 --separate-stderr as_nobody "$IPCCTL" ls -t sem,shm \
	    -o NAME,OWNER,MODE,SIZE,VALUE,NOTE --pairs
	assert_equal "$stderr" ""
	assert_equal "$(mine)" "$(printf '%s\n' \
	    "NAME=\"$(name p)\" OWNER=\"root\" MODE=\"0644\" SIZE=\"\" VALUE=\"6\" NOTE=\"\"" \
	    "NAME=\"$(name s)\" OWNER=\"root\" MODE=\"0600\" SIZE=\"\" VALUE=\"\" NOTE=\"denied\"" \
	    "NAME=\"$(name m)\" OWNER=\"root\" MODE=\"0600\" SIZE=\"4096\" VALUE=\"\" NOTE=\"\"")"
	run -0 --separate-stderr as_nobody "$IPCCTL" ls -t sem --json -l
	assert_equal "$(my_json | jq -c 'map([.value, .holders, .note])')" \
	    '[[6,null,null],[null,null,"denied"]]'
}

@test "ls: root's 0600 queue, listed to an unprivileged user, depth unknown" {
	need_unprivileged
	need_mqueue
	mkq "$(name q)"
	ipcctl mq send "$(name q)" x
	run -0 --separate-stderr with_mq setpriv --reuid=nobody \
	    --regid="$NOBODY_GROUP" --clear-groups "$IPCCTL" ls -t mq \
	    -o NAME,OWNER,SIZE,MESSAGES,MAX_MESSAGES,NOTE --pairs
	assert_equal "$stderr" ""
	assert_equal "$(mine)" \
	    "NAME=\"$(name q)\" OWNER=\"root\" SIZE=\"\" MESSAGES=\"\" MAX_MESSAGES=\"\" NOTE=\"denied\""
}

@test "ls: /dev/mqueue not mounted: a note on stderr, the rest listed, exit 0" {
	ipcctl sem create "$(name s)" -v 1
	# Unmounted where root unmounts it privately, or here if it is not.
	local -a cmd=("$IPCCTL")
	if can_mount_mq; then
		cmd=(unshare -m sh -c 'while grep -q " /dev/mqueue " /proc/self/mounts
		    do umount -l /dev/mqueue || exit 9; done; exec "$@"' sh
		    "$IPCCTL")
	elif mq_mounted; then
		skip "/dev/mqueue is mounted and unmounting it needs root"
	fi
	run -0 --separate-stderr "${cmd[@]}" ls -o TYPE,NAME -r -n
	assert_equal "$stderr" "$MQ_NOTE"
	assert_equal "$(mine)" "sem $(name s)"
	run -0 --separate-stderr "${cmd[@]}" ls -t mq --json
	assert_equal "$stderr" "$MQ_NOTE"
	assert_equal "$(jq -c . <<<"$output")" '{"objects":[]}'
	# Not asked for queues: no note.
	run -0 --separate-stderr "${cmd[@]}" ls -t sem,shm -o NAME -n
	assert_equal "$stderr" ""
	assert_equal "$(mine)" "$(name s)"
	run -0 --separate-stderr "${cmd[@]}" limits --pairs
	[[ $output == *' MQ_MOUNTED="no"' ]] || fail "limits: $output"
	[[ $output == *' RLIMIT_MSGQUEUE_USED="" '* ]] || fail "limits: $output"
}

@test "ls: a write error on stdout is exit 74" {
	ipcctl sem create "$(name s)"
	run -74 --separate-stderr sh -c '"$IPCCTL" ls -t sem >/dev/full'
	assert_equal "$stderr" "ipcctl: ls: write error: No space left on device"
	run -74 --separate-stderr sh -c '"$IPCCTL" limits >/dev/full'
	assert_equal "$stderr" \
	    "ipcctl: limits: write error: No space left on device"
}

@test "ls and limits: --help, help VERB" {
	local verb
	for verb in ls list limits; do
		run -0 --separate-stderr ipcctl "$verb" --help
		assert_equal "$stderr" ""
		case $verb in
		limits) assert_equal "${lines[0]}" \
			    "usage: ipcctl limits [etcd:] [-b] [--json | -r | --pairs]" ;;
		*) assert_equal "${lines[0]}" \
			    "usage: ipcctl ls [etcd:] [-t sem,shm,mq] [-l] [-o COLUMNS] [-n] [--unused] [-b] [--json | -r | --pairs]" ;;
		esac
	done
	run -0 --separate-stderr ipcctl help ls
	assert_equal "${lines[0]}" \
	    "usage: ipcctl ls [etcd:] [-t sem,shm,mq] [-l] [-o COLUMNS] [-n] [--unused] [-b] [--json | -r | --pairs]"
	assert_equal "${lines[1]}" "alias: list"
}

# ----------------------------------------------------------------- limits

# The keys of "limits", in order.
LIMIT_KEYS="page_size sem_value_max sem_value_supported sem_timeout_supported mq_supported mq_prio_max mq_msg_default mq_msgsize_default mq_msg_max mq_msgsize_max mq_queues_max rlimit_msgqueue rlimit_msgqueue_hard rlimit_msgqueue_used user_signal_min user_signal_max shm_dir shm_size shm_free mq_dir mq_mounted"

# What "limits -r" says of KEY.
raw_value() {
	local l
	for l in "${lines[@]}"; do
		[[ $l == "$1 "* ]] && { printf '%s\n' "${l#"$1 "}"; return; }
	done
	return 1
}

@test "limits: every key, in order, with this system's values" {
	local q keys=() l
	run -0 --separate-stderr ipcctl limits -r
	assert_equal "$stderr" ""
	assert_equal "${lines[0]}" "KEY VALUE"
	for l in "${lines[@]:1}"; do
		keys+=("${l%% *}")
	done
	assert_equal "${keys[*]}" "$LIMIT_KEYS"
	assert_equal "$(raw_value page_size)" "$(getconf PAGESIZE)"
	assert_equal "$(raw_value sem_value_max)" "$(getconf SEM_VALUE_MAX)"
	assert_equal "$(raw_value sem_value_supported)" yes
	assert_equal "$(raw_value sem_timeout_supported)" yes
	assert_equal "$(raw_value mq_supported)" yes
	assert_equal "$(raw_value mq_prio_max)" "$(getconf MQ_PRIO_MAX)"
	for q in msg_default msgsize_default msg_max msgsize_max queues_max; do
		assert_equal "$(raw_value "mq_$q")" \
		    "$(cat "/proc/sys/fs/mqueue/$q")" "mq_$q"
	done
	assert_equal "$(raw_value rlimit_msgqueue)" "$(ulimit -q)"
	assert_equal "$(raw_value rlimit_msgqueue_hard)" "$(ulimit -Hq)"
	assert_equal "$(raw_value user_signal_min)" "$(kill -l SIGRTMIN)"
	assert_equal "$(raw_value user_signal_max)" "$(kill -l SIGRTMAX)"
	assert_equal "$(raw_value shm_dir)" /dev/shm
	assert_equal "$(raw_value shm_size)" \
	    "$(($(stat -f -c '%b * %S' /dev/shm)))"
	[[ $(raw_value shm_free) =~ ^[0-9]+$ ]] || fail "shm_free: $output"
	assert_equal "$(raw_value mq_dir)" /dev/mqueue
	# Others may mount or unmount it meanwhile; the value is tested where
	# this file alone decides it.
	[[ $(raw_value mq_mounted) =~ ^(yes|no)$ ]] || fail "mq_mounted: $output"

	# The plain table with -b holds the same.
	local raw=("${lines[@]}") a
	run -0 --separate-stderr ipcctl limits -b
	assert_equal "${#lines[@]}" "${#raw[@]}"
	for ((l = 0; l < ${#raw[@]}; l++)); do
		read -ra a <<<"${lines[l]}"
		# What others change meanwhile.
		[[ ${raw[l]} == @(shm_free|rlimit_msgqueue_used|mq_mounted)\ * ]] &&
		    continue
		assert_equal "${a[*]}" "${raw[l]}"
	done
}

@test "limits: sizes as lsipc shows them (4K), -b and -r in bytes" {
	local page=$(($(getconf PAGESIZE) / 1024))K
	run -0 --separate-stderr ipcctl limits
	assert_equal "$stderr" ""
	assert_equal "${lines[1]}" "page_size             $page"
	assert_equal "${lines[2]}" "sem_value_max         $(getconf SEM_VALUE_MAX)"
	local l
	for l in "${lines[@]}"; do
		[[ $l != *" " ]] || fail "a trailing blank: '$l'"
		case $l in
		mq_msgsize_*|rlimit_msgqueue\ *|rlimit_msgqueue_hard*|shm_size*)
			[[ $l =~ \ [0-9]+(\.[0-9])?[BKMGTPE]$|\ unlimited$ ]] ||
			    fail "not a size: $l" ;;
		esac
	done
	run -0 --separate-stderr ipcctl limits --bytes
	assert_equal "${lines[1]}" "page_size             $(getconf PAGESIZE)"
	run -0 --separate-stderr ipcctl limits -r
	assert_equal "${lines[1]}" "page_size $(getconf PAGESIZE)"
}

@test "limits --json: one object of typed values" {
	run -0 --separate-stderr ipcctl limits --json
	assert_equal "$stderr" ""
	# Not {"limits":[{...}]}: jq .page_size, not .limits[0].page_size.
	assert_equal "${lines[0]}" "{"
	assert_equal "${lines[1]}" "   \"page_size\": $(getconf PAGESIZE),"
	assert_equal "${lines[-1]}" "}"
	jq -e --arg keys "$LIMIT_KEYS" '
	    type == "object" and
	    (keys_unsorted | join(" ")) == $keys and
	    (to_entries | all(
	        if (.key | test("supported|mounted")) then
	            (.value | type) == "boolean"
	        elif (.key | test("_dir$")) then
	            (.value | type) == "string"
	        elif (.key | test("^rlimit")) then
	            (.value | type) == "number" or .value == null
	        else
	            (.value | type) == "number"
	        end))' <<<"$output" >/dev/null || fail "unexpected JSON: $output"
	assert_equal "$(jq '.sem_value_max' <<<"$output")" \
	    "$(getconf SEM_VALUE_MAX)"
	assert_equal "$(jq '.page_size' <<<"$output")" \
	    "$(getconf PAGESIZE)"
	assert_equal "$(jq -c '. | [.sem_value_supported,
	    .sem_timeout_supported, .mq_supported, .shm_dir, .mq_dir]' \
	    <<<"$output")" '[true,true,true,"/dev/shm","/dev/mqueue"]'
}

@test "limits --pairs: one line to eval" {
	run -0 --separate-stderr ipcctl limits --pairs
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 1
	local PAGE_SIZE SEM_VALUE_MAX SEM_TIMEOUT_SUPPORTED SHM_DIR MQ_MSG_MAX
	eval "$output"
	assert_equal "$PAGE_SIZE" "$(getconf PAGESIZE)"
	assert_equal "$SEM_VALUE_MAX" "$(getconf SEM_VALUE_MAX)"
	assert_equal "$SEM_TIMEOUT_SUPPORTED" yes
	assert_equal "$SHM_DIR" /dev/shm
	assert_equal "$MQ_MSG_MAX" "$(cat /proc/sys/fs/mqueue/msg_max)"
}

@test "limits: an unlimited RLIMIT_MSGQUEUE is unlimited, null in JSON" {
	bash -c 'ulimit -q unlimited' 2>/dev/null ||
	    skip "RLIMIT_MSGQUEUE cannot be lifted here"
	run -0 --separate-stderr bash -c 'ulimit -q unlimited &&
	    exec "$IPCCTL" limits --json'
	assert_equal "$(jq -c '[.rlimit_msgqueue,
	    .rlimit_msgqueue_hard]' <<<"$output")" '[null,null]'
	run -0 --separate-stderr bash -c 'ulimit -q unlimited &&
	    exec "$IPCCTL" limits -r'
	assert_equal "$(raw_value rlimit_msgqueue)" unlimited
	assert_equal "$(raw_value rlimit_msgqueue_hard)" unlimited
	run -0 --separate-stderr bash -c 'ulimit -q unlimited &&
	    exec "$IPCCTL" limits --pairs'
	[[ $output == *' RLIMIT_MSGQUEUE="unlimited" RLIMIT_MSGQUEUE_HARD="unlimited" '* ]] ||
	    fail "pairs: $output"
}

@test "limits: rlimit_msgqueue_used counts a queue as the kernel does" {
	need_hermetic
	local word=$(($(getconf LONG_BIT) / 8))
	run -0 --separate-stderr hermetic 'ipcctl limits -r'
	assert_equal "$(raw_value rlimit_msgqueue_used)" 0
	assert_equal "$(raw_value mq_mounted)" yes
	# Each message slot: a struct msg_msg and a priority tree node, six
	# words each, and the message itself.
	run -0 --separate-stderr hermetic '
		ipcctl mq create /q --max-messages 2 --message-size 100
		ipcctl mq create /r --max-messages 3 --message-size 10
		ipcctl limits -r'
	assert_equal "$(raw_value rlimit_msgqueue_used)" \
	    "$(( (2 + 2) * 6 * word + 200 + (3 + 3) * 6 * word + 30 ))"
}

@test "limits: an operand or an unknown option is exit 64" {
	run -64 --separate-stderr ipcctl limits extra
	assert_usage_error "ipcctl: limits: unexpected operand: extra" limits
	run -64 --separate-stderr ipcctl limits -n
	assert_usage_error "ipcctl: limits: unknown option: -n" limits
}

# ------------------------------------------------------------ completions

# bash_complete LINE: what bash completion offers at the end of LINE.
bash_complete() {
	PATH=${IPCCTL%/*}:$PATH bash -c '
		bc=/usr/share/bash-completion/bash_completion
		if [ -r "$bc" ]; then . "$bc"; fi
		. "$2" || exit 2
		read -ra COMP_WORDS <<<"$1"
		[[ $1 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE=$1
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		_ipcctl ipcctl "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
		printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort' bash "$1" \
	    "$IPCCTL_SRCDIR/completions/ipcctl"
}

@test "bash completion: ls, list and limits, their options and values" {
	run -0 bash_complete "ipcctl l"
	assert_equal "${lines[*]}" "limits list ls"
	run -0 bash_complete "ipcctl ls --"
	assert_equal "${lines[*]}" \
	    "--bytes --help --json --list-columns --long --noheadings --output --pairs --raw --type --unused"
	run -0 bash_complete "ipcctl list -t "
	assert_equal "${lines[*]}" "mq sem shm"
	run -0 bash_complete "ipcctl ls -o M"
	assert_equal "${lines[*]}" "MAX_MESSAGES MESSAGES MESSAGE_SIZE MODE MTIME"
	run -0 bash_complete "ipcctl limits --"
	assert_equal "${lines[*]}" "--bytes --help --json --pairs --raw"
}

@test "fish completion: ls, list and limits, their options and values" {
	command -v fish >/dev/null 2>&1 || skip "fish is not installed"
	local comp="$IPCCTL_SRCDIR/completions/ipcctl.fish"
	PATH=${IPCCTL%/*}:$PATH
	run -0 fish -c 'source $argv[1]; complete -C "ipcctl l"' "$comp"
	assert_equal "$(cut -f1 <<<"$output" | LC_ALL=C sort | xargs)" "limits list ls"
	run -0 fish -c 'source $argv[1]; complete -C "ipcctl ls --t"' "$comp"
	assert_equal "$(cut -f1 <<<"$output")" "--type"
	run -0 fish -c 'source $argv[1]; complete -C "ipcctl list -t "' "$comp"
	assert_equal "$(cut -f1 <<<"$output" | LC_ALL=C sort | xargs)" "mq sem shm"
	run -0 fish -c 'source $argv[1]; complete -C "ipcctl limits --"' "$comp"
	assert_equal "$(cut -f1 <<<"$output" | LC_ALL=C sort | xargs)" \
	    "--bytes --help --json --pairs --raw"
}
