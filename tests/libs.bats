#!/usr/bin/env bats
# The libraries ipcctl needs (ipcctl(1): EXIT STATUS, 69): libbsd, loaded
# at the first call that needs it unless configure was given
# --enable-static-libbsd, and libsmartcols, loaded when a table is first
# printed, are exit 69 naming them when they cannot be loaded, never a
# silent empty table or a mode misread.
#
# make check exports IPCCTL_STATIC_LIBBSD (yes: --enable-static-libbsd or
# a -static build) and IPCCTL_SMARTCOLS_LINK (empty: dlopen()ed).

load helpers

# needed: the shared libraries $IPCCTL needs, one a line; none for a
# static program.
needed() {
	objdump -p "$IPCCTL" | sed -n 's/^ *NEEDED *//p'
}

need_objdump() {
	command -v objdump >/dev/null 2>&1 ||
	    skip "objdump (binutils) is not installed"
	head -c 4 "$IPCCTL" | grep -q ELF || skip "$IPCCTL is not a program"
}

@test "libs: libbsd is never needed at start" {
	need_objdump
	run -0 needed
	[[ $output != *libbsd* ]] || fail "libbsd needed at start: $output"
	[[ $output != *libmd* ]] || fail "libmd needed at start: $output"
}

# fake_lib SONAME: an empty file in its place, found first.
fake_lib() {
	mkdir -p lib
	: >"lib/$1"
	export LD_LIBRARY_PATH="$PWD/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}

@test "libs: a libbsd that cannot be loaded is exit 69, naming it, when needed" {
	[ "${IPCCTL_STATIC_LIBBSD-}" != yes ] || skip "libbsd is linked in"
	fake_lib libbsd.so.0
	track "$N"
	# The calls made most need no libbsd.
	run -0 --separate-stderr "$IPCCTL" sem create "$N" -v 1
	run -0 --separate-stderr "$IPCCTL" sem run "$N" -t 5 -- echo ran
	assert_equal "$output$stderr" "ran"
	run -0 --separate-stderr "$IPCCTL" sem release "$N" -n 2
	run -0 --separate-stderr "$IPCCTL" sem value "$N"
	assert_equal "$output$stderr" "3"
	# A symbolic mode needs it: nothing is made.
	run -69 --separate-stderr "$IPCCTL" sem create "$N-m" -m u=rw,g=r
	assert_equal "$output" ""
	[[ $stderr == "ipcctl: sem create: $PWD/lib/libbsd.so.0: "* ]] ||
	    fail "create -m: $stderr"
	assert_sem_missing "$N-m"
}

@test "libs: ls, ls --json and limits print their tables" {
	run -0 "$IPCCTL" limits
	[[ ${lines[0]} == 'KEY '*VALUE ]] || fail "limits: $output"
	[ "${#lines[@]}" -gt 3 ]
	run -0 "$IPCCTL" limits --json
	[[ $output == '{'* ]] || fail "limits --json: $output"
	run -0 --separate-stderr "$IPCCTL" ls -o type,name
	[[ ${lines[0]} == 'TYPE '*NAME ]] || fail "ls: $output"
	run -0 --separate-stderr "$IPCCTL" ls --json
	[[ $output == '{'* ]] || fail "ls --json: $output"
}

@test "libs: a libsmartcols that cannot be loaded is exit 69, naming it" {
	need_objdump
	[ -z "${IPCCTL_SMARTCOLS_LINK-}" ] || skip "libsmartcols is linked in"
	mkdir lib
	: >lib/libsmartcols.so.1	# found first, and no library
	export LD_LIBRARY_PATH="$PWD/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	run -69 --separate-stderr "$IPCCTL" limits
	[ -z "$output" ]
	[[ $stderr == "ipcctl: limits: $PWD/lib/libsmartcols.so.1: "* ]] ||
	    fail "limits: $stderr"
	for args in ls 'ls --json' 'ls -t sem'; do
		# shellcheck disable=SC2086
		run -69 --separate-stderr "$IPCCTL" $args
		[ -z "$output" ]
		[[ $stderr == *"/libsmartcols.so.1: "* ]] || fail "$args: $stderr"
	done
	# limits --json is one object ipcctl writes itself: no table, no
	# library needed.
	run -0 --separate-stderr "$IPCCTL" limits --json
	assert_equal "$stderr" ""
	[ "$(jq -r .page_size <<<"$output")" -gt 0 ] || fail "limits --json: $output"
}

@test "libs: the sem fast path does not load libsmartcols" {
	need_objdump
	[ -z "${IPCCTL_SMARTCOLS_LINK-}" ] || skip "libsmartcols is linked in"
	run -0 needed
	[[ $output != *libsmartcols* ]] || fail "libsmartcols is needed: $output"
	mkdir lib
	: >lib/libsmartcols.so.1
	export LD_LIBRARY_PATH="$PWD/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	track "$N"
	run -0 "$IPCCTL" sem create "$N" -v 1
	run -0 "$IPCCTL" sem run "$N" -- true
	run -0 "$IPCCTL" sem value "$N"
	[ "$output" = 1 ]
}
