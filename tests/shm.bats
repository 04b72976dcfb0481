#!/usr/bin/env bats
# ipcctl shm (ipcctl-shm(1), and ipcctl(1): names, opening and creating,
# output, exit status). Every test states the exact exit status and the
# exact output.

load helpers

# The file Linux keeps a segment in.
shm_file() {
	printf '/dev/shm/%s\n' "${1#/}"
}

# assert_size NAME BYTES: the segment exists and has exactly this size.
assert_size() {
	local got
	got=$(stat -c %s "$(shm_file "$1")") || fail "segment $1 is missing" ||
	    return 1
	assert_equal "$got" "$2" "size of $1"
}

# assert_bytes NAME FILE: the segment's bytes are exactly FILE's.
assert_bytes() {
	cmp -- "$(shm_file "$1")" "$2" ||
	    fail "the bytes of $1 differ from $2"
}

assert_shm_missing() {
	[ ! -e "$(shm_file "$1")" ] || fail "segment $1 exists"
}

# snapshot NAME: copy the segment's bytes aside, to compare after a call.
snapshot() {
	cp -- "$(shm_file "$1")" "$BATS_TEST_TMPDIR/before"
}

# A segment of SIZE bytes holding the bytes of FILE at offset 0.
make_seg() {
	ipcctl shm create "$1" -s "$2" &&
	ipcctl shm write "$1" "$3"
}

# ---------------------------------------------------------------- create

@test "create NAME -s SIZE: silent, exact size, mode 0600, zeros" {
	run -0 --separate-stderr ipcctl shm create "$N" -s 4096
	assert_equal "$output" ""
	assert_equal "$stderr" ""
	assert_size "$N" 4096
	assert_equal "$(stat -c %a "$(shm_file "$N")")" 600 "mode"
	head -c 4096 /dev/zero >zeros
	assert_bytes "$N" zeros
	# "jobs" and "/jobs" are one object
	run -0 --separate-stderr ipcctl shm info "${N#/}" -r
	assert_equal "${lines[1]%% *}" "$N"
}

@test "create with no NAME prints a fresh name that exists" {
	run -0 --separate-stderr ipcctl shm create -s 64
	track "$output"
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 1
	[[ "$output" =~ ^/[^/]+$ ]] || fail "not a name: '$output'"
	local first=$output
	assert_size "$first" 64

	run -0 --separate-stderr ipcctl shm create --size 1K -m 0640
	track "$output"
	[[ "$output" =~ ^/[^/]+$ ]] || fail "not a name: '$output'"
	[ "$output" != "$first" ] || fail "the same name twice: $output"
	assert_size "$output" 1024
	assert_equal "$(stat -c %a "$(shm_file "$output")")" 640 "mode"
}

@test "create --size with suffixes: stat and info agree" {
	# K and KiB are 1024, KB 1000, fractions allowed: as ipcmk(1).
	local size bytes
	for size in 4096:4096 64K:65536 1M:1048576 2k:2048 0:0 8KiB:8192 \
	    8KB:8000 1.5M:1572864 0.5kb:500 1.1K:1126; do
		bytes=${size#*:} size=${size%:*}
		run -0 --separate-stderr ipcctl shm create "$(name "$size")" \
		    --size "$size"
		assert_equal "$output$stderr" ""
		assert_size "$(name "$size")" "$bytes"
		run -0 --separate-stderr ipcctl shm info "$(name "$size")" --pairs
		assert_equal "$stderr" ""
		[[ "$output" == *" SIZE=\"$bytes\" "* ]] ||
		    fail "info of $size: $output"
	done
}

@test "create without --size: exit 64, nothing created" {
	run -64 --separate-stderr ipcctl shm create "$N"
	assert_usage_error "ipcctl: shm create: missing --size" shm create
	assert_no_objects
	run -64 --separate-stderr ipcctl shm create -x -m 0600
	assert_usage_error "ipcctl: shm create: missing --size" shm create
	assert_no_objects
}

@test "create -x on an existing segment: exit 73, size and data untouched" {
	head -c 100 /dev/urandom >data
	make_seg "$N" 100 data
	run -73 --separate-stderr ipcctl shm create "$N" -x -s 10
	assert_diag "ipcctl: shm create: $N: File exists"
	assert_size "$N" 100
	assert_bytes "$N" data
	run -73 --separate-stderr ipcctl shm create --exclusive --truncate \
	    -s 200 "$N"
	assert_diag "ipcctl: shm create: $N: File exists"
	assert_bytes "$N" data
}

@test "create on an existing segment sets its size and keeps its bytes and mode" {
	printf 'abcdefgh' >data
	make_seg "$N" 8 data
	run -0 --separate-stderr ipcctl shm create "$N" -s 12 -m 0666
	assert_equal "$output$stderr" ""
	assert_size "$N" 12
	printf 'abcdefgh\0\0\0\0' >want
	assert_bytes "$N" want
	assert_equal "$(stat -c %a "$(shm_file "$N")")" 600 "mode"
	run -0 --separate-stderr ipcctl shm create "$N" -c -s 12
	assert_bytes "$N" want
}

@test "create -m: exactly MODE under umask 077" {
	umask 077
	run -0 --separate-stderr ipcctl shm create "$N" -s 1 -m 0666
	assert_equal "$output$stderr" ""
	assert_equal "$(stat -c %a "$(shm_file "$N")")" 666 "mode"
	run -0 --separate-stderr ipcctl shm create "$(name sym)" -s 1 \
	    --mode u=rw,g=rw,o=r
	assert_equal "$(stat -c %a "$(shm_file "$(name sym)")")" 664 "mode"
	run -0 --separate-stderr ipcctl shm create "$(name dflt)" -s 1
	assert_equal "$(stat -c %a "$(shm_file "$(name dflt)")")" 600 "mode"
}

@test "create --truncate: an existing segment's bytes become zeros" {
	head -c 64 /dev/urandom >data
	make_seg "$N" 64 data
	run -0 --separate-stderr ipcctl shm create "$N" -s 64 --truncate
	assert_equal "$output$stderr" ""
	assert_size "$N" 64
	head -c 64 /dev/zero >zeros
	assert_bytes "$N" zeros
	# a new segment: --truncate changes nothing
	run -0 --separate-stderr ipcctl shm create "$(name new)" -s 8 --truncate
	assert_size "$(name new)" 8
}

# ---------------------------------------------------------------- write / read

@test "write FILE, then read: the same bytes" {
	printf 'hello, world' >data
	ipcctl shm create "$N" -s 12
	run -0 --separate-stderr ipcctl shm write "$N" data
	assert_equal "$output$stderr" ""
	assert_bytes "$N" data
	run -0 --separate-stderr ipcctl shm read "$N"
	assert_equal "$output" "hello, world"
	assert_equal "$stderr" ""
}

@test "write from stdin: a pipe, a redirected file, and '-'" {
	ipcctl shm create "$N" -s 5
	run -0 --separate-stderr bash -c 'printf abcde | "$IPCCTL" shm write "$1"' \
	    _ "$N"
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr ipcctl shm read "$N"
	assert_equal "$output" abcde

	printf 'vwxyz' >data
	run -0 --separate-stderr bash -c '"$IPCCTL" shm write "$1" <data' _ "$N"
	assert_equal "$output$stderr" ""
	assert_bytes "$N" data

	run -0 --separate-stderr bash -c 'printf 12345 | "$IPCCTL" shm write "$1" -' \
	    _ "$N"
	run -0 --separate-stderr ipcctl shm read "$N"
	assert_equal "$output" 12345
}

@test "write: options after NAME and FILE, long forms, '--'" {
	ipcctl shm create "$N" -s 8
	printf 'ab' >data
	run -0 --separate-stderr ipcctl shm write "$N" data --offset 2
	run -0 --separate-stderr ipcctl shm write -o 4 -- "$N" data
	run -0 --separate-stderr ipcctl shm read "$N" --offset 2 --length 4
	assert_equal "$output" abab
	assert_equal "$stderr" ""
}

@test "binary round-trip of random data: file in, pipe in, file out" {
	head -c 65536 /dev/urandom >data
	ipcctl shm create "$N" -s 64K
	run -0 --separate-stderr ipcctl shm write "$N" data
	assert_equal "$output$stderr" ""
	assert_bytes "$N" data
	run -0 --separate-stderr bash -c '"$IPCCTL" shm read "$1" >out' _ "$N"
	assert_equal "$output$stderr" ""
	cmp data out

	head -c 65536 /dev/urandom >data2
	run -0 --separate-stderr bash -c 'cat data2 | "$IPCCTL" shm write "$1"' \
	    _ "$N"
	assert_equal "$output$stderr" ""
	assert_bytes "$N" data2
	run -0 --separate-stderr bash -c '"$IPCCTL" shm read "$1" | cat >out2' \
	    _ "$N"
	cmp data2 out2
}

@test "binary round-trip of 8 MiB: pipe in with --grow, pipe and file out" {
	head -c 8M /dev/urandom >data
	ipcctl shm create "$N" -s 0
	run -0 --separate-stderr bash -c 'cat data | "$IPCCTL" shm write "$1" --grow' \
	    _ "$N"
	assert_equal "$output$stderr" ""
	assert_size "$N" 8388608
	run -0 --separate-stderr bash -c '"$IPCCTL" shm read "$1" | cat >out' _ "$N"
	assert_equal "$output$stderr" ""
	cmp data out
	run -0 --separate-stderr bash -c '"$IPCCTL" shm read "$1" >out2' _ "$N"
	cmp data out2
	# and back in, through a pipe that must fit: read whole, then written
	run -0 --separate-stderr bash -c 'cat out2 | "$IPCCTL" shm write "$1"' _ "$N"
	assert_equal "$output$stderr" ""
	assert_bytes "$N" data
}

@test "write -o and read -o -l: offsets and slices" {
	ipcctl shm create "$N" -s 16
	printf hello >h
	run -0 --separate-stderr ipcctl shm write "$N" h
	run -0 --separate-stderr bash -c 'printf abc | "$IPCCTL" shm write "$1" -o 5' \
	    _ "$N"
	assert_equal "$output$stderr" ""
	printf 'helloabc\0\0\0\0\0\0\0\0' >want
	assert_bytes "$N" want

	run -0 --separate-stderr ipcctl shm read "$N" -o 3 -l 4
	assert_equal "$output" loab
	assert_equal "$stderr" ""
	run -0 --separate-stderr ipcctl shm read "$N" -l 5
	assert_equal "$output" hello
	run -0 --separate-stderr ipcctl shm read "$N" -o 7 -l 1
	assert_equal "$output" c
	# a length of 0, and an offset at the very end: nothing, exit 0
	run -0 --separate-stderr ipcctl shm read "$N" -o 3 -l 0
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr ipcctl shm read "$N" -o 16
	assert_equal "$output$stderr" ""
	# default length: from OFFSET to the end
	run -0 --separate-stderr bash -c '"$IPCCTL" shm read "$1" -o 5 >out' _ "$N"
	printf 'abc\0\0\0\0\0\0\0\0' >want
	cmp want out

	# data that ends exactly at the end fits
	run -0 --separate-stderr bash -c 'printf XY | "$IPCCTL" shm write "$1" -o 14' \
	    _ "$N"
	run -0 --separate-stderr ipcctl shm read "$N" -o 14
	assert_equal "$output" XY
}

@test "offsets with suffixes" {
	ipcctl shm create "$N" -s 3K
	printf 'at 1K' >data
	run -0 --separate-stderr ipcctl shm write "$N" -o 1K data
	run -0 --separate-stderr ipcctl shm read "$N" -o 1024 -l 5
	assert_equal "$output" "at 1K"
	run -0 --separate-stderr ipcctl shm read "$N" -o 1k -l 2
	assert_equal "$output" at
}

@test "write past the end from a FILE: exit 65, nothing written" {
	head -c 16 /dev/urandom >data
	make_seg "$N" 16 data
	printf hello >h
	run -65 --separate-stderr ipcctl shm write "$N" -o 14 h
	assert_diag "ipcctl: shm write: $N: 5 bytes at offset 14 pass the end (16 bytes): nothing written"
	assert_size "$N" 16
	assert_bytes "$N" data
	head -c 17 /dev/urandom >long
	run -65 --separate-stderr ipcctl shm write "$N" long
	assert_diag "ipcctl: shm write: $N: 17 bytes at offset 0 pass the end (16 bytes): nothing written"
	assert_bytes "$N" data
	# and stdin redirected from such a file
	run -65 --separate-stderr bash -c '"$IPCCTL" shm write "$1" <long' _ "$N"
	assert_diag "ipcctl: shm write: $N: 17 bytes at offset 0 pass the end (16 bytes): nothing written"
	assert_bytes "$N" data
}

@test "write past the end from a pipe: exit 65, nothing written" {
	head -c 16 /dev/urandom >data
	make_seg "$N" 16 data
	run -65 --separate-stderr bash -c 'printf XYZW | "$IPCCTL" shm write "$1" -o 14' \
	    _ "$N"
	assert_diag "ipcctl: shm write: $N: the data is longer than the 2 bytes from offset 14 to the end: nothing written"
	assert_size "$N" 16
	assert_bytes "$N" data
	# a long pipe: the first 16 bytes would fit, none is written
	run -65 --separate-stderr bash -c 'head -c 100000 /dev/urandom |
	    "$IPCCTL" shm write "$1"' _ "$N"
	assert_diag "ipcctl: shm write: $N: the data is longer than the 16 bytes from offset 0 to the end: nothing written"
	assert_bytes "$N" data
	# an offset past the end
	run -65 --separate-stderr bash -c 'printf x | "$IPCCTL" shm write "$1" -o 20' \
	    _ "$N"
	assert_diag "ipcctl: shm write: $N: the data is longer than the 0 bytes from offset 20 to the end: nothing written"
	assert_bytes "$N" data
}

@test "write from a pipe into a large sparse segment" {
	# 1 PiB of tmpfs costs nothing until written; the data is 2 bytes
	ipcctl shm create "$N" -s 1P
	run -0 --separate-stderr bash -c 'printf ab | "$IPCCTL" shm write "$1"' _ "$N"
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr ipcctl shm read "$N" -l 2
	assert_equal "$output" ab
}

@test "write --grow from a FILE extends the segment" {
	printf 'abcdefgh' >data
	make_seg "$N" 8 data
	printf hello >h
	run -0 --separate-stderr ipcctl shm write "$N" -o 6 --grow h
	assert_equal "$output$stderr" ""
	assert_size "$N" 11
	printf 'abcdefhello' >want
	assert_bytes "$N" want
	# past the end: the gap is zeros
	run -0 --separate-stderr ipcctl shm write "$N" -o 13 --grow h
	assert_size "$N" 18
	printf 'abcdefhello\0\0hello' >want
	assert_bytes "$N" want
	# data that fits: the segment is not shrunk
	run -0 --separate-stderr ipcctl shm write "$N" --grow h
	assert_size "$N" 18
	printf 'hellofhello\0\0hello' >want
	assert_bytes "$N" want
}

@test "write --grow from a pipe extends the segment" {
	printf 'abcdefgh' >data
	make_seg "$N" 8 data
	run -0 --separate-stderr bash -c 'printf 123456 | "$IPCCTL" shm write "$1" -o 6 --grow' \
	    _ "$N"
	assert_equal "$output$stderr" ""
	assert_size "$N" 12
	printf 'abcdef123456' >want
	assert_bytes "$N" want
	run -0 --separate-stderr bash -c 'printf XY | "$IPCCTL" shm write "$1" --grow' \
	    _ "$N"
	assert_size "$N" 12
	printf 'XYcdef123456' >want
	assert_bytes "$N" want
	head -c 100000 /dev/urandom >big
	run -0 --separate-stderr bash -c 'cat big | "$IPCCTL" shm write "$1" --grow' \
	    _ "$N"
	assert_size "$N" 100000
	assert_bytes "$N" big
}

@test "read past the end: exit 65, nothing written" {
	printf 'abcdefgh' >data
	make_seg "$N" 8 data
	run -65 --separate-stderr ipcctl shm read "$N" -o 9
	assert_diag "ipcctl: shm read: $N: offset 9 is past the end (8 bytes)"
	run -65 --separate-stderr ipcctl shm read "$N" -o 8 -l 1
	assert_diag "ipcctl: shm read: $N: 1 bytes at offset 8 pass the end (8 bytes)"
	run -65 --separate-stderr ipcctl shm read "$N" -l 9
	assert_diag "ipcctl: shm read: $N: 9 bytes at offset 0 pass the end (8 bytes)"
	run -65 --separate-stderr ipcctl shm read "$N" -o 4 -l 5
	assert_diag "ipcctl: shm read: $N: 5 bytes at offset 4 pass the end (8 bytes)"
	assert_bytes "$N" data
}

@test "read to stdout opened with O_APPEND (>>file)" {
	printf 'abcdefgh' >data
	make_seg "$N" 8 data
	printf 'first\n' >out
	run -0 --separate-stderr bash -c '"$IPCCTL" shm read "$1" >>out' _ "$N"
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr bash -c '"$IPCCTL" shm read "$1" -o 2 -l 3 >>out' \
	    _ "$N"
	printf 'first\nabcdefghcde' >want
	cmp want out
}

@test "read >/dev/full: exit 74" {
	[ -w /dev/full ] || skip "no /dev/full"
	printf 'abcdefgh' >data
	make_seg "$N" 8 data
	run -74 --separate-stderr bash -c '"$IPCCTL" shm read "$1" >/dev/full' _ "$N"
	assert_diag "ipcctl: shm read: stdout: No space left on device"
	assert_bytes "$N" data
}

@test "write with a FILE that does not exist: exit 66, segment untouched" {
	printf 'abcdefgh' >data
	make_seg "$N" 8 data
	run -66 --separate-stderr ipcctl shm write "$N" nonexistent
	assert_diag "ipcctl: shm write: nonexistent: No such file or directory"
	assert_bytes "$N" data
}

@test "write with stdin closed: exit 74, segment untouched" {
	printf 'abcdefgh' >data
	make_seg "$N" 8 data
	run -74 --separate-stderr bash -c '"$IPCCTL" shm write "$1" <&-' _ "$N"
	assert_diag "ipcctl: shm write: stdin: Bad file descriptor"
	assert_bytes "$N" data
}

@test "a failed call leaves the data intact" {
	head -c 32 /dev/urandom >data
	make_seg "$N" 32 data
	printf 'xx' >xx
	run -64 --separate-stderr ipcctl shm write "$N" -Q xx
	assert_usage_error "ipcctl: shm write: unknown option: -Q" shm write
	run -64 --separate-stderr ipcctl shm write "$N" -o abc xx
	assert_usage_error "ipcctl: shm write: offset abc: not a size" shm write
	run -64 --separate-stderr ipcctl shm write "$N" xx extra
	assert_usage_error "ipcctl: shm write: unexpected operand: extra" shm write
	run -65 --separate-stderr ipcctl shm write "$N" -o 31 xx
	run -64 --separate-stderr ipcctl shm resize "$N" 1Q
	run -64 --separate-stderr ipcctl shm create "$N" -s -1
	run -73 --separate-stderr ipcctl shm create "$N" -x -s 1
	run -65 --separate-stderr ipcctl shm read "$N" -o 33
	assert_size "$N" 32
	assert_bytes "$N" data
}

# ---------------------------------------------------------------- resize

@test "resize up and down" {
	printf 'abcdefgh' >data
	make_seg "$N" 8 data
	run -0 --separate-stderr ipcctl shm resize "$N" 1K
	assert_equal "$output$stderr" ""
	assert_size "$N" 1024
	{ printf 'abcdefgh'; head -c 1016 /dev/zero; } >want
	assert_bytes "$N" want
	run -0 --separate-stderr ipcctl shm resize "$N" 3
	assert_equal "$output$stderr" ""
	assert_size "$N" 3
	run -0 --separate-stderr ipcctl shm read "$N"
	assert_equal "$output" abc
	run -0 --separate-stderr ipcctl shm resize "$N" 0
	assert_size "$N" 0
	run -0 --separate-stderr ipcctl shm read "$N"
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr ipcctl shm resize "$N" 6
	printf '\0\0\0\0\0\0' >want
	assert_bytes "$N" want
}

@test "resize: missing SIZE or a bad one is exit 64, size untouched" {
	ipcctl shm create "$N" -s 8
	run -64 --separate-stderr ipcctl shm resize "$N"
	assert_usage_error "ipcctl: shm resize: missing SIZE" shm resize
	run -64 --separate-stderr ipcctl shm resize "$N" -- -1
	assert_usage_error "ipcctl: shm resize: size -1: not a size" shm resize
	run -64 --separate-stderr ipcctl shm resize "$N" 1Q
	assert_usage_error "ipcctl: shm resize: size 1Q: not a size (suffixes: K, M, G, T, P, E)" shm resize
	run -64 --separate-stderr ipcctl shm resize "$N" 8 9
	assert_usage_error "ipcctl: shm resize: unexpected operand: 9" shm resize
	assert_size "$N" 8
}

# ---------------------------------------------------------------- info

@test "info: plain table, the size as lsipc shows it; -b in bytes" {
	ipcctl shm create "$N" -s 4096 -m 0640
	run -0 --separate-stderr ipcctl shm info "$N"
	assert_equal "$stderr" ""
	assert_equal "$output" "$(info_num_table SIZE "$N" 4K 0640 "$(id -un)" "$(id -gn)")"
	run -0 --separate-stderr ipcctl shm info -b "$N"
	assert_equal "$stderr" ""
	assert_equal "$output" "$(info_num_table SIZE "$N" 4096 0640 "$(id -un)" "$(id -gn)")"
	ipcctl shm resize "$N" 1.5M
	run -0 --separate-stderr ipcctl shm info "$N"
	assert_equal "$output" "$(info_num_table SIZE "$N" 1.5M 0640 "$(id -un)" "$(id -gn)")"
	run -0 --separate-stderr ipcctl shm info "$N" --bytes -r
	assert_equal "${lines[1]}" "$N 1572864 0640 $(id -un) $(id -gn)"
}

@test "info --json: one document, size a number" {
	ipcctl shm create "$N" -s 64K
	run -0 --separate-stderr ipcctl shm info "$N" --json
	assert_equal "$stderr" ""
	local want
	want=$(printf '{\n   "segments": [\n      {\n         "name": "%s",\n         "size": 65536,\n         "mode": "0600",\n         "owner": "%s",\n         "group": "%s"\n      }\n   ]\n}' \
	    "$N" "$(id -un)" "$(id -gn)")
	assert_equal "$output" "$want"
	command -v jq >/dev/null || skip "jq is not installed"
	jq -e --arg n "$N" '.segments | length == 1 and
	    (.[0].size | type == "number") and .[0].size == 65536 and
	    .[0].name == $n and .[0].mode == "0600"' <<<"$output"
}

@test "info -r and --pairs" {
	ipcctl shm create "$N" -s 1M
	local u g
	u=$(id -un) g=$(id -gn)
	run -0 --separate-stderr ipcctl shm info "$N" -r
	assert_equal "$stderr" ""
	assert_equal "$output" "NAME SIZE MODE OWNER GROUP
$N 1048576 0600 $u $g"
	run -0 --separate-stderr ipcctl shm info "$N" --raw
	assert_equal "${lines[1]}" "$N 1048576 0600 $u $g"
	run -0 --separate-stderr ipcctl shm info "$N" --pairs
	assert_equal "$stderr" ""
	assert_equal "$output" "NAME=\"$N\" SIZE=\"1048576\" MODE=\"0600\" OWNER=\"$u\" GROUP=\"$g\""
	# the pairs are safe for eval
	eval "$output"
	assert_equal "$SIZE" 1048576
}

# ---------------------------------------------------------------- unlink

@test "unlink several" {
	ipcctl shm create "$(name a)" -s 1
	ipcctl shm create "$(name b)" -s 1
	run -0 --separate-stderr ipcctl shm unlink "$(name a)" "$(name b)"
	assert_equal "$output$stderr" ""
	assert_shm_missing "$(name a)"
	assert_shm_missing "$(name b)"
}

@test "unlink with a missing one: exit 66 after removing the rest" {
	ipcctl shm create "$(name a)" -s 1
	ipcctl shm create "$(name c)" -s 1
	run -66 --separate-stderr ipcctl shm unlink "$(name a)" "$(name b)" "$(name c)"
	assert_diag "ipcctl: shm unlink: $(name b): No such file or directory"
	assert_shm_missing "$(name a)"
	assert_shm_missing "$(name c)"
}

@test "unlink -f: a missing NAME is no error, as rm -f" {
	ipcctl shm create "$N" -s 1
	ipcctl shm create "$(name c)" -s 1
	run -0 --separate-stderr ipcctl shm unlink -f "$N" "$(name b)" "$(name c)"
	assert_equal "$output$stderr" ""
	assert_shm_missing "$N"
	assert_shm_missing "$(name c)"
	run -0 --separate-stderr ipcctl shm unlink "$(name b)" --force
	assert_equal "$output$stderr" ""
	run -0 --separate-stderr ipcctl shm unlink -f
	assert_equal "$output$stderr" ""
	# Only "missing" is forgiven: a bad name is still a usage error.
	run -64 --separate-stderr ipcctl shm unlink -f ""
	assert_usage_error "ipcctl: shm unlink: : empty name" shm unlink
}

@test "unlink: a bad name anywhere removes nothing" {
	ipcctl shm create "$(name a)" -s 1
	run -64 --separate-stderr ipcctl shm unlink "$(name a)" a/b
	assert_usage_error "ipcctl: shm unlink: a/b: '/' is allowed only as the first character" \
	    shm unlink
	assert_size "$(name a)" 1
	run -64 --separate-stderr ipcctl shm unlink
	assert_usage_error "ipcctl: shm unlink: missing NAME" shm unlink
}

# ---------------------------------------------------------------- errors

@test "a missing segment: exit 66 for every verb that opens one" {
	local verb
	run -66 --separate-stderr ipcctl shm read "$N"
	assert_diag "ipcctl: shm read: $N: No such file or directory"
	run -66 --separate-stderr bash -c 'printf x | "$IPCCTL" shm write "$1"' _ "$N"
	assert_diag "ipcctl: shm write: $N: No such file or directory"
	printf x >x
	run -66 --separate-stderr ipcctl shm write "$N" --grow x
	assert_diag "ipcctl: shm write: $N: No such file or directory"
	run -66 --separate-stderr ipcctl shm resize "$N" 10
	assert_diag "ipcctl: shm resize: $N: No such file or directory"
	run -66 --separate-stderr ipcctl shm info "$N"
	assert_diag "ipcctl: shm info: $N: No such file or directory"
	run -66 --separate-stderr ipcctl shm unlink "$N"
	assert_diag "ipcctl: shm unlink: $N: No such file or directory"
	assert_no_objects
}

@test "bad names: exit 64 before any system call" {
	local long
	long=$(printf 'x%.0s' {1..256})
	run -64 --separate-stderr ipcctl shm create "" -s 1
	assert_usage_error "ipcctl: shm create: : empty name" shm create
	run -64 --separate-stderr ipcctl shm create / -s 1
	assert_usage_error "ipcctl: shm create: /: name is only a slash" shm create
	run -64 --separate-stderr ipcctl shm create "${PREFIX}a/b" -s 1
	assert_usage_error "ipcctl: shm create: ${PREFIX}a/b: '/' is allowed only as the first character" shm create
	run -64 --separate-stderr ipcctl shm read ..
	assert_usage_error "ipcctl: shm read: ..: '.' and '..' are not names" shm read
	run -64 --separate-stderr ipcctl shm info /.
	assert_usage_error "ipcctl: shm info: /.: '.' and '..' are not names" shm info
	run -64 --separate-stderr ipcctl shm create "${PREFIX}"$'\001' -s 1
	assert_usage_error "ipcctl: shm create: ${PREFIX}\\001: control character in name" shm create
	run -64 --separate-stderr ipcctl shm create "/$long" -s 1
	assert_usage_error "ipcctl: shm create: /$long: name too long" shm create
	assert_no_objects
	# 255 bytes is the longest name
	run -0 --separate-stderr ipcctl shm create "/${PREFIX}${long:${#PREFIX}+1}" -s 1
	assert_size "/${PREFIX}${long:${#PREFIX}+1}" 1
}

@test "bad sizes, offsets and lengths: exit 64, nothing created" {
	run -64 --separate-stderr ipcctl shm create "$N" -s -1
	assert_usage_error "ipcctl: shm create: size -1: not a size" shm create
	run -64 --separate-stderr ipcctl shm create "$N" -s 1Q
	assert_usage_error "ipcctl: shm create: size 1Q: not a size (suffixes: K, M, G, T, P, E)" shm create
	run -64 --separate-stderr ipcctl shm create "$N" -s 99999999999999999999
	assert_usage_error "ipcctl: shm create: size 99999999999999999999: too large" shm create
	run -64 --separate-stderr ipcctl shm create "$N" -s 8E
	assert_usage_error "ipcctl: shm create: size 8E: too large" shm create
	run -64 --separate-stderr ipcctl shm create "$N" -s 16EiB
	assert_usage_error "ipcctl: shm create: size 16EiB: too large" shm create
	run -64 --separate-stderr ipcctl shm create "$N" -s -1.5K
	assert_usage_error "ipcctl: shm create: size -1.5K: not a size" shm create
	run -64 --separate-stderr ipcctl shm create "$N" -s 1.5
	assert_usage_error "ipcctl: shm create: size 1.5: not a whole number of bytes" shm create
	run -64 --separate-stderr ipcctl shm create "$N" -s 1KiBB
	assert_usage_error "ipcctl: shm create: size 1KiBB: not a size (suffixes: K, M, G, T, P, E)" shm create
	run -64 --separate-stderr ipcctl shm create "$N" -s ""
	assert_usage_error "ipcctl: shm create: size : not a size" shm create
	run -64 --separate-stderr ipcctl shm create "$N" -s 1KK
	assert_usage_error "ipcctl: shm create: size 1KK: not a size (suffixes: K, M, G, T, P, E)" shm create
	run -64 --separate-stderr ipcctl shm create "$N" -s
	assert_usage_error "ipcctl: shm create: option requires an argument: -s" shm create
	run -64 --separate-stderr ipcctl shm create "$N" -s 1 -m 0999
	assert_usage_error "ipcctl: shm create: 0999: not an octal mode" shm create
	assert_no_objects

	ipcctl shm create "$N" -s 8
	run -64 --separate-stderr ipcctl shm read "$N" -o abc
	assert_usage_error "ipcctl: shm read: offset abc: not a size" shm read
	run -64 --separate-stderr ipcctl shm read "$N" -l -1
	assert_usage_error "ipcctl: shm read: length -1: not a size" shm read
	run -64 --separate-stderr ipcctl shm read "$N" -l 2x
	assert_usage_error "ipcctl: shm read: length 2x: not a size (suffixes: K, M, G, T, P, E)" shm read
}

@test "NAME is required where the contract says so" {
	local verb
	for verb in read write info; do
		run -64 --separate-stderr ipcctl shm "$verb" </dev/null
		assert_usage_error "ipcctl: shm $verb: missing NAME" shm "$verb"
	done
}

# ---------------------------------------------------------------- permissions

@test "unprivileged: read and info work on a 0644 segment, write and resize are 77" {
	need_unprivileged
	printf 'abcdefgh' >data
	ipcctl shm create "$N" -s 8 -m 0644
	ipcctl shm write "$N" data
	run -0 --separate-stderr as_nobody "$IPCCTL" shm read "$N"
	assert_equal "$output" abcdefgh
	assert_equal "$stderr" ""
	run -0 --separate-stderr as_nobody "$IPCCTL" shm read "$N" -o 2 -l 3
	assert_equal "$output" cde
	run -0 --separate-stderr as_nobody "$IPCCTL" shm info "$N" -r
	assert_equal "${lines[1]}" "$N 8 0644 $(id -un) $(id -gn)"
	run -77 --separate-stderr as_nobody bash -c 'printf XY | "$IPCCTL" shm write "$1"' \
	    _ "$N"
	assert_diag "ipcctl: shm write: $N: Permission denied"
	run -77 --separate-stderr as_nobody "$IPCCTL" shm write "$N" --grow /dev/null
	assert_diag "ipcctl: shm write: $N: Permission denied"
	run -77 --separate-stderr as_nobody "$IPCCTL" shm resize "$N" 1
	assert_diag "ipcctl: shm resize: $N: Permission denied"
	run -77 --separate-stderr as_nobody "$IPCCTL" shm create "$N" -s 1
	assert_diag "ipcctl: shm create: $N: Permission denied"
	assert_size "$N" 8
	assert_bytes "$N" data
}

@test "unprivileged: a 0600 segment is 77 even to read" {
	need_unprivileged
	ipcctl shm create "$N" -s 8
	run -77 --separate-stderr as_nobody "$IPCCTL" shm read "$N"
	assert_diag "ipcctl: shm read: $N: Permission denied"
	run -77 --separate-stderr as_nobody "$IPCCTL" shm info "$N"
	assert_diag "ipcctl: shm info: $N: Permission denied"
}

# ---------------------------------------------------------------- help, link

@test "every verb answers --help and -h on stdout" {
	local verb
	for verb in create write read resize info unlink; do
		run -0 --separate-stderr ipcctl shm "$verb" --help
		assert_equal "$stderr" ""
		[[ "${lines[0]}" == "usage: ipcctl shm $verb "* ]] ||
		    fail "$verb --help: ${lines[0]}"
		run -0 --separate-stderr ipcctl shm "$verb" -h
		[[ "${lines[0]}" == "usage: ipcctl shm $verb "* ]]
	done
	run -0 --separate-stderr ipcctl shm --help
	assert_equal "${lines[0]}" "usage: ipcctl shm VERB [OPTIONS] [NAME] [ARGS]"
}

@test "the ipcshm link works like ipcctl shm" {
	mkdir bin
	ln -s "$IPCCTL" bin/ipcshm
	run -0 --separate-stderr bin/ipcshm create "$N" -s 1K
	assert_equal "$output$stderr" ""
	assert_size "$N" 1024
	run -0 --separate-stderr bash -c 'printf linked | bin/ipcshm write "$1" -o 10' \
	    _ "$N"
	run -0 --separate-stderr bin/ipcshm read "$N" -o 10 -l 6
	assert_equal "$output" linked
	run -0 --separate-stderr bin/ipcshm info "$N" --pairs
	assert_equal "$output" "$(ipcctl shm info "$N" --pairs)"
	run -65 --separate-stderr bin/ipcshm read "$N" -o 2K
	assert_diag "ipcctl: shm read: $N: offset 2048 is past the end (1024 bytes)"
	run -0 --separate-stderr bin/ipcshm unlink "$N"
	assert_shm_missing "$N"
	run -66 --separate-stderr bin/ipcshm info "$N"
	assert_diag "ipcctl: shm info: $N: No such file or directory"
}

@test "read while another process shrinks the segment: a clear error, no SIGBUS" {
	# 16 MiB into a fifo whose reader is stopped: the copy is stuck after
	# the pipe's 64 KiB when the segment is cut to nothing under it.
	ipcctl shm create "$N" -s 16M
	mkfifo fifo
	run -71 --separate-stderr bash -c '
		cat fifo >/dev/null & reader=$!
		kill -STOP $reader
		exec 3<>fifo
		"$IPCCTL" shm read "$1" >&3 & r=$!
		for _ in {1..250}; do
			grep -q pipe_wait /proc/$r/wchan && break; sleep 0.02
		done
		"$IPCCTL" shm resize "$1" 0
		kill -CONT $reader
		wait $r' _ "$N"
	assert_equal "$output" ""
	assert_diag "ipcctl: shm read: $N: the segment shrank while it was copied"
	assert_size "$N" 0
}

@test "read to an O_APPEND stdout while the segment shrinks: a clear error, no SIGBUS" {
	# >>file takes the write(2)-from-a-mapping path, where a shrunk
	# segment is EFAULT from the kernel, not a SIGBUS in ipcctl.
	ipcctl shm create "$N" -s 64M
	mkfifo fifo
	run -71 --separate-stderr bash -c '
		cat fifo >/dev/null & reader=$!
		kill -STOP $reader
		exec 3<>fifo
		"$IPCCTL" shm read "$1" >>/dev/fd/3 & r=$!
		for _ in {1..250}; do
			grep -q pipe_wait /proc/$r/wchan && break; sleep 0.02
		done
		"$IPCCTL" shm resize "$1" 0
		kill -CONT $reader
		wait $r' _ "$N"
	assert_equal "$output" ""
	assert_diag "ipcctl: shm read: $N: the segment shrank while it was copied"
}

# ---------------------------------------------------------------- not a segment

@test "a FIFO where the segment should be: exit 65 at once, never a blocking open" {
	# ipcctl-shm(1): a segment is a named run of bytes in /dev/shm; a
	# FIFO of that name is none, and opening it must not wait for a
	# writer or a reader. timeout turns a hang into status 124.
	mkfifo "/dev/shm/${N#/}"
	printf abc >data
	run -65 --separate-stderr timeout 10 "$IPCCTL" shm info "$N"
	assert_diag "ipcctl: shm info: $N: is a FIFO, not a shared memory segment"
	run -65 --separate-stderr timeout 10 "$IPCCTL" shm read "$N"
	assert_diag "ipcctl: shm read: $N: is a FIFO, not a shared memory segment"
	run -65 --separate-stderr timeout 10 "$IPCCTL" shm write "$N" <data
	assert_diag "ipcctl: shm write: $N: is a FIFO, not a shared memory segment"
	run -65 --separate-stderr timeout 10 "$IPCCTL" shm resize "$N" 10
	assert_diag "ipcctl: shm resize: $N: is a FIFO, not a shared memory segment"
	run -65 --separate-stderr timeout 10 "$IPCCTL" shm create "$N" -s 10
	assert_diag "ipcctl: shm create: $N: is a FIFO, not a shared memory segment"
	[ -p "/dev/shm/${N#/}" ] || fail "the FIFO is gone or changed"
}

# ---------------------------------------------------------------- failed create

# need_private_shm: root can mount a tmpfs of its own on /dev/shm in a
# private mount namespace, or the test skips with the reason.
need_private_shm() {
	[ "$(id -u)" -eq 0 ] ||
	    skip "needs root to mount a private /dev/shm"
	command -v unshare >/dev/null 2>&1 ||
	    skip "unshare (util-linux) is not installed"
	unshare --mount sh -c 'mount -t tmpfs none /dev/shm' 2>/dev/null ||
	    skip "cannot mount a tmpfs on /dev/shm in a private mount namespace"
}

@test "create that fails to set the size (RLIMIT_FSIZE): exit 65, nothing left behind" {
	# ipcctl-shm(1): no error ever unlinks, truncates or shrinks an
	# existing segment; a segment this call made and could not size is
	# not left behind. SIGXFSZ must not kill ipcctl (status 153).
	run -65 --separate-stderr prlimit --fsize=1000 "$IPCCTL" shm create "$N" -s 1M
	assert_diag "ipcctl: shm create: $N: File too large"
	assert_shm_missing "$N"
	run -65 --separate-stderr prlimit --fsize=1000 "$IPCCTL" shm create "$N" -x -s 1M
	assert_diag "ipcctl: shm create: $N: File too large"
	assert_shm_missing "$N"
	assert_no_objects

	# an existing segment keeps its size and bytes
	head -c 100 /dev/urandom >data
	make_seg "$N" 100 data
	run -65 --separate-stderr prlimit --fsize=1000 "$IPCCTL" shm create "$N" -s 1M
	assert_diag "ipcctl: shm create: $N: File too large"
	assert_size "$N" 100
	assert_bytes "$N" data
}

@test "create with no NAME that fails to set the size: exit 65, no segment left" {
	# The fresh name is not known in advance: look in a /dev/shm of
	# this test's own, where nothing else appears.
	need_private_shm
	run -0 --separate-stderr unshare --mount sh -c '
		mount -t tmpfs none /dev/shm || exit 99
		prlimit --fsize=1000 "$1" shm create -s 1M >out 2>err
		echo "status $?"
		ls -A /dev/shm' sh "$IPCCTL"
	assert_equal "$stderr" ""
	assert_equal "$output" "status 65" "status, then what /dev/shm holds"
	assert_equal "$(cat out)" "" "stdout"
	[[ $(cat err) =~ ^"ipcctl: shm create: /ipcctl-"[0-9a-z]+": File too large"$ ]] ||
	    fail "stderr: $(cat err)"
}

# ---------------------------------------------------------------- the largest offsets

@test "read the last byte of the largest segment: to a pipe, a file and an O_APPEND file" {
	# ipcctl-shm(1): sizes and offsets reach 2^63-1, and the output may
	# be a pipe, a file, or a file opened for appending. tmpfs keeps
	# the segment sparse: it costs nothing.
	local max=9223372036854775807
	run -0 --separate-stderr ipcctl shm create "$N" -s "$max"
	assert_equal "$output$stderr" ""
	assert_size "$N" "$max"
	printf '\0' >nul

	run -0 --separate-stderr bash -c 'set -o pipefail
	    "$IPCCTL" shm read "$1" -o 9223372036854775806 -l 1 | cat >pipe' \
	    _ "$N"
	assert_equal "$output$stderr" ""
	cmp nul pipe

	run -0 --separate-stderr bash -c \
	    '"$IPCCTL" shm read "$1" -o 9223372036854775806 -l 1 >out' _ "$N"
	assert_equal "$output$stderr" ""
	cmp nul out

	printf 'first\n' >out2
	run -0 --separate-stderr bash -c \
	    '"$IPCCTL" shm read "$1" -o 9223372036854775806 -l 1 >>out2' _ "$N"
	assert_equal "$output$stderr" ""
	printf 'first\n\0' >want
	cmp want out2
}

@test "write --grow past the largest segment possible: exit 65, nothing written" {
	# ipcctl-shm(1): a size must be at most 2^63-1; 3 bytes at offset
	# 2^63-2 would end past it, so --grow cannot make them fit.
	head -c 10 /dev/urandom >data
	make_seg "$N" 10 data
	printf abc >abc
	run -65 --separate-stderr ipcctl shm write "$N" --grow \
	    -o 9223372036854775806 abc
	assert_diag "ipcctl: shm write: $N: 3 bytes at offset 9223372036854775806 pass the largest segment possible: nothing written"
	assert_size "$N" 10
	assert_bytes "$N" data
}
