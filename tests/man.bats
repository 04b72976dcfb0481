#!/usr/bin/env bats
# The man pages as a contract: ipcctl(1)'s ENVIRONMENT names every
# variable the code reads, each with what holds when it is unset; its
# EXAMPLES run as written. (The man links: install.bats; mandoc -Tlint:
# make check's check-local.)

load helpers

# section PAGE NAME: the mdoc source of section NAME of PAGE, subsections
# included.
section() {
	awk -v s=".Sh $2" '$0 == s { on = 1; next } /^\.Sh / { on = 0 } on' \
	    "$IPCCTL_SRCDIR/man/$1"
}

@test "man: ipcctl(1) ENVIRONMENT names every variable the code reads" {
	local vars v
	vars=$(grep -rhoE '(getenv|env)\("[A-Za-z_]+"' "$IPCCTL_SRCDIR/src" |
	    sed 's/.*("//; s/"$//' | sort -u)
	[ -n "$vars" ]
	run -0 section ipcctl.1 ENVIRONMENT
	for v in $vars; do
		grep -Eq "^\.It Ev (.* )?$v( |\$)" <<<"$output" ||
		    fail "$v is not in ipcctl(1) ENVIRONMENT"
	done
}

@test "man: every variable in ipcctl(1) ENVIRONMENT says what holds when it is unset" {
	run -0 section ipcctl.1 ENVIRONMENT
	# One record per .It, up to the next .It, .El or .Ss.
	run -0 awk '/^\.It / { if (it != "") print it; it = $0; next }
	    /^\.(El|Ss)/ { if (it != "") print it; it = ""; next }
	    it != "" { it = it " " $0 }
	    END { if (it != "") print it }' <<<"$output"
	[ "${#lines[@]}" -ge 15 ] || fail "only ${#lines[@]} entries"
	local l
	for l in "${lines[@]}"; do
		[[ $l == *[Dd]efault* || $l == *[Uu]nset* || $l == *Ignored* ||
		    $l == *'Not read'* ]] || fail "no default: $l"
	done
}

@test "man: ipcctl(1) has EXAMPLES; its local ones run" {
	run -0 section ipcctl.1 EXAMPLES
	[[ $output == *'ipcctl sem run'* ]]
	# The local ones, on names of this test, with the link names.
	mkdir bin
	ln -s "$IPCCTL" bin/ipcctl
	ln -s "$IPCCTL" bin/ipcsem
	ln -s "$IPCCTL" bin/ipcshm
	ln -s "$IPCCTL" bin/ipcmq
	track "/${PREFIX}dl"
	track "/${PREFIX}frame"
	track "/${PREFIX}work"
	: >urls
	head -c 8192 /dev/zero >frame.raw
	PATH=$PWD/bin:$PATH run -0 sh -ec "
	    ipcctl sem create /${PREFIX}dl -v 4
	    ipcsem run /${PREFIX}dl -- true
	    ipcsem unlink /${PREFIX}dl
	    ipcshm create /${PREFIX}frame -s 8M
	    ipcshm write /${PREFIX}frame < frame.raw
	    ipcshm read /${PREFIX}frame -o 4096 -l 4 | od -An -tx1
	    ipcmq create /${PREFIX}work
	    echo a.log | ipcmq send /${PREFIX}work --lines
	    ipcmq receive /${PREFIX}work -t 0
	    ipcctl limits --json >/dev/null"
	[ "$output" = " 00 00 00 00
a.log" ] || fail "$output"
}
