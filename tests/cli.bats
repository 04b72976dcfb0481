#!/usr/bin/env bats
# The shape of the command line (ipcctl(1): SYNOPSIS, DESCRIPTION): help, version,
# dispatch, the multi-call links, GNU option order and completion.

load helpers
load tty

# The objects "ipcctl --help" lists, one a line.
objects() {
	"$IPCCTL" --help | awk '
		/^objects:$/ { on = 1; next }
		on && /^$/ { exit }
		on { print $1 }'
}

# The verbs "ipcctl OBJECT --help" lists, one a line.
verbs() {
	"$IPCCTL" "$1" --help | awk '
		/^verbs:$/ { on = 1; next }
		on && /^$/ { exit }
		on { print $1 }'
}

@test "--help prints the usage on stdout and exits 0" {
	run -0 --separate-stderr ipcctl --help
	assert_equal "${lines[0]}" \
	    "usage: ipcctl [--help] [--version] OBJECT VERB [OPTIONS] [NAME] [ARGS]"
	assert_equal "${lines[1]}" "       ipcctl help [OBJECT [VERB]]"
	assert_equal "$stderr" ""
	[[ "$output" == *$'\nobjects:\n  sem '* ]] || fail "no objects list"
}

@test "-h is --help" {
	run -0 --separate-stderr ipcctl -h
	local help=$output
	run -0 --separate-stderr ipcctl --help
	assert_equal "$output" "$help"
}

@test "--version prints 'ipcctl 0.1.0'" {
	run -0 --separate-stderr ipcctl --version
	assert_equal "$output" "ipcctl 0.1.0"
	assert_equal "$stderr" ""
}

@test "help with no operand is --help" {
	run -0 --separate-stderr ipcctl --help
	local top=$output
	run -0 --separate-stderr ipcctl help
	assert_equal "$output" "$top"
	assert_equal "$stderr" ""
}

@test "help sem is 'sem --help' and lists every verb" {
	run -0 --separate-stderr ipcctl sem --help
	local obj=$output
	run -0 --separate-stderr ipcctl help sem
	assert_equal "$output" "$obj"
	assert_equal "${lines[0]}" "usage: ipcctl sem VERB [OPTIONS] [NAME] [ARGS]"
	assert_equal "$stderr" ""
	local v listed
	listed=" $(verbs sem | tr '\n' ' ')"
	for v in create acquire release value info unlink run; do
		[[ "$listed" == *" $v "* ]] || fail "verb $v is not listed"
	done
}

@test "help sem acquire is 'sem acquire --help'" {
	run -0 --separate-stderr ipcctl sem acquire --help
	local verb=$output
	run -0 --separate-stderr ipcctl help sem acquire
	assert_equal "$output" "$verb"
	assert_equal "${lines[0]}" \
	    "usage: ipcctl sem acquire NAME [-t T] [--holder PID] [--recover] [--lease T] [-c] [-x] [-m MODE] [-v N]"
	assert_equal "$stderr" ""
}

@test "no OBJECT: exit 64, the whole --help text on stderr" {
	# The summary that ipcctl(1) says -h, --help prints (the usage, the
	# objects, the verbs without an object), as an error: on stderr.
	# Stated here literally, not taken from the binary.
	run -64 --separate-stderr ipcctl
	assert_equal "$output" ""
	assert_equal "$stderr" "usage: ipcctl [--help] [--version] OBJECT VERB [OPTIONS] [NAME] [ARGS]
       ipcctl help [OBJECT [VERB]]

POSIX semaphores, shared memory and message queues for the shell.

objects:
  sem       named semaphores
  shm       shared memory segments
  mq        message queues

verbs without an object:
  limits    [etcd:] [-b] [--json | -r | --pairs]
  ls        [etcd:] [-t sem,shm,mq] [-l] [-o COLUMNS] [-n] [--unused] [-b] [--json | -r | --pairs]

'ipcctl OBJECT --help' lists an object's verbs; see ipcctl(1)"
}

@test "unknown object: exit 64, usage on stderr" {
	run -64 --separate-stderr ipcctl bogus value /x
	assert_equal "$output" ""
	assert_equal "$stderr" "ipcctl: unknown object: bogus
usage: ipcctl [--help] [--version] OBJECT VERB [OPTIONS] [NAME] [ARGS]
       ipcctl help [OBJECT [VERB]]"
}

@test "help of an unknown object: exit 64, usage on stderr" {
	run -64 --separate-stderr ipcctl help bogus
	assert_equal "$output" ""
	assert_equal "$stderr" "ipcctl: unknown object: bogus
usage: ipcctl [--help] [--version] OBJECT VERB [OPTIONS] [NAME] [ARGS]
       ipcctl help [OBJECT [VERB]]"
}

@test "unknown verb: exit 64, the object's usage on stderr" {
	run -64 --separate-stderr ipcctl sem bogus "$N"
	assert_equal "$output" ""
	assert_equal "$stderr" "ipcctl: sem: unknown verb: bogus
usage: ipcctl sem VERB [OPTIONS] [NAME] [ARGS]"
	assert_no_objects
}

@test "help of an unknown verb: exit 64, the object's usage on stderr" {
	run -64 --separate-stderr ipcctl help sem bogus
	assert_equal "$output" ""
	assert_equal "$stderr" "ipcctl: sem: unknown verb: bogus
usage: ipcctl sem VERB [OPTIONS] [NAME] [ARGS]"
}

@test "diagnostics escape the unknown object or verb they echo" {
	# ipcctl(1), Names and Output: what a diagnostic echoes is written
	# with C escapes, as vis(3) does, so a terminal escape sequence in an
	# operand never reaches the terminal; the dispatcher is no exception.
	local top="usage: ipcctl [--help] [--version] OBJECT VERB [OPTIONS] [NAME] [ARGS]
       ipcctl help [OBJECT [VERB]]"
	run -64 --separate-stderr ipcctl $'\e]0;pwned\a'
	assert_equal "$output" ""
	assert_equal "$stderr" 'ipcctl: unknown object: \033]0;pwned\a'"
$top"
	[[ $stderr != *$'\e'* && $stderr != *$'\a'* ]] ||
	    fail "a raw ESC or BEL reached stderr"

	run -64 --separate-stderr ipcctl help $'\e[31mX'
	assert_equal "$output" ""
	assert_equal "$stderr" 'ipcctl: unknown object: \033[31mX'"
$top"
	[[ $stderr != *$'\e'* ]] || fail "a raw ESC reached stderr"

	# in the place of an option of ipcctl itself
	run -64 --separate-stderr ipcctl $'--\e[31mX'
	assert_equal "$output" ""
	assert_equal "$stderr" 'ipcctl: unknown option: --\033[31mX'"
$top"
	[[ $stderr != *$'\e'* ]] || fail "a raw ESC reached stderr"

	local obj n=0
	for obj in $(objects); do
		n=$((n + 1))
		run -64 --separate-stderr ipcctl "$obj" $'\e[31mX'
		assert_equal "$output" "" "$obj: stdout"
		assert_equal "$stderr" "ipcctl: $obj: unknown verb: \\033[31mX
usage: ipcctl $obj VERB [OPTIONS] [NAME] [ARGS]" "$obj: stderr"
		[[ $stderr != *$'\e'* ]] || fail "$obj: a raw ESC reached stderr"
		run -64 --separate-stderr ipcctl help "$obj" $'\e[31mX'
		assert_equal "$output" "" "help $obj: stdout"
		assert_equal "$stderr" "ipcctl: $obj: unknown verb: \\033[31mX
usage: ipcctl $obj VERB [OPTIONS] [NAME] [ARGS]" "help $obj: stderr"
		[[ $stderr != *$'\e'* ]] ||
		    fail "help $obj: a raw ESC reached stderr"
	done
	[ "$n" -ge 3 ] || fail "only $n objects found in ipcctl --help"

	# and through a multi-call link
	mkdir bin
	ln -s "$IPCCTL" bin/ipcsem
	run -64 --separate-stderr bin/ipcsem $'\e[31mX'
	assert_equal "$output" ""
	assert_equal "$stderr" 'ipcctl: sem: unknown verb: \033[31mX
usage: ipcctl sem VERB [OPTIONS] [NAME] [ARGS]'
}

@test "missing VERB: exit 64, the object's usage on stderr" {
	run -64 --separate-stderr ipcctl sem
	assert_equal "$output" ""
	assert_equal "$stderr" "ipcctl: sem: missing VERB
usage: ipcctl sem VERB [OPTIONS] [NAME] [ARGS]"
}

@test "unknown options: exit 64, the verb's usage on stderr" {
	# One wording, getopt's, for short and long options alike.
	run -64 --separate-stderr ipcctl sem value --bogus "$N"
	assert_usage_error "ipcctl: sem value: unknown option: --bogus" sem value
	run -64 --separate-stderr ipcctl sem value --bogus=1 "$N"
	assert_usage_error "ipcctl: sem value: unknown option: --bogus" sem value
	run -64 --separate-stderr ipcctl sem value -q "$N"
	assert_usage_error "ipcctl: sem value: unknown option: -q" sem value
	run -64 --separate-stderr ipcctl sem info --bytes "$N"
	assert_usage_error "ipcctl: sem info: unknown option: --bytes" sem info
	run -64 --separate-stderr ipcctl sem info --json=yes "$N"
	assert_usage_error "ipcctl: sem info: option takes no argument: --json" \
	    sem info
	run -64 --separate-stderr ipcctl ls --l
	assert_usage_error "ipcctl: ls: ambiguous option: --l" ls
	run -64 --separate-stderr ipcctl sem --bogus
	assert_equal "$output" ""
	assert_equal "$stderr" "ipcctl: sem: unknown option: --bogus
usage: ipcctl sem VERB [OPTIONS] [NAME] [ARGS]"
	run -64 --separate-stderr ipcctl --bogus
	assert_equal "$output" ""
	assert_equal "$stderr" "ipcctl: unknown option: --bogus
usage: ipcctl [--help] [--version] OBJECT VERB [OPTIONS] [NAME] [ARGS]
       ipcctl help [OBJECT [VERB]]"
	run -64 --separate-stderr ipcctl sem acquire "$N" -t
	assert_usage_error \
	    "ipcctl: sem acquire: option requires an argument: -t" sem acquire
	assert_no_objects
}

# As git's t0012-help walks its command list: every object and every verb
# the table has answers -h and --help, without hardcoding the list.
@test "every object and verb answers -h and --help: usage on stdout, exit 0" {
	local obj verb opt nobj=0 nverb=0
	for obj in $(objects); do
		nobj=$((nobj + 1))
		for opt in -h --help; do
			run -0 --separate-stderr ipcctl "$obj" "$opt"
			assert_equal "${lines[0]}" \
			    "usage: ipcctl $obj VERB [OPTIONS] [NAME] [ARGS]" \
			    "ipcctl $obj $opt"
			assert_equal "$stderr" "" "ipcctl $obj $opt: stderr"
		done
		for verb in $(verbs "$obj"); do
			nverb=$((nverb + 1))
			for opt in -h --help; do
				run -0 --separate-stderr ipcctl "$obj" "$verb" "$opt"
				[[ "${lines[0]}" == "usage: ipcctl $obj $verb" ||
				    "${lines[0]}" == "usage: ipcctl $obj $verb "* ]] ||
				    fail "ipcctl $obj $verb $opt: first line" \
				    "'${lines[0]}'"
				assert_equal "$stderr" "" \
				    "ipcctl $obj $verb $opt: stderr"
			done
			# help OBJECT VERB says the same.
			local text=$output
			run -0 --separate-stderr ipcctl help "$obj" "$verb"
			assert_equal "$output" "$text" "help $obj $verb"
		done
	done
	[ "$nobj" -ge 1 ] || fail "no object found in ipcctl --help"
	[ "$nverb" -ge 7 ] || fail "only $nverb verbs found"
}

@test "every verb's --help starts with the usage its man page gives" {
	local o v
	for o in sem shm mq; do
		run -0 --separate-stderr ipcctl "$o" --help
		assert_equal "${lines[0]}" "$(usage_line "$o")" "ipcctl $o --help"
		for v in $(awk '/^verbs:/ { f = 1; next } f && /^  [a-z]/ { print $1 }' \
		    <<<"$output"); do
			run -0 --separate-stderr ipcctl "$o" "$v" --help
			assert_equal "${lines[0]}" "$(usage_line "$o" "$v")" \
			    "ipcctl $o $v --help" || return 1
		done
	done
	for v in ls limits; do
		run -0 --separate-stderr ipcctl "$v" --help
		assert_equal "${lines[0]}" "$(usage_line "$v")" "ipcctl $v --help"
	done
}

@test "-J is --json wherever --json is, as in lsipc" {
	local obj verb n=0
	for obj in sem shm mq; do
		for verb in $(verbs "$obj"); do
			run -0 --separate-stderr ipcctl "$obj" "$verb" --help
			[[ $output == *--json* ]] || continue
			n=$((n + 1))
			[[ $output == *"  -J, --json  "* ]] ||
			    fail "$obj $verb --help: no -J: $output"
		done
	done
	for verb in ls limits; do
		run -0 --separate-stderr ipcctl "$verb" --help
		[[ $output == *"  -J, --json  "* ]] ||
		    fail "$verb --help: no -J: $output"
		n=$((n + 1))
	done
	[ "$n" -ge 10 ] || fail "only $n verbs with --json"
	ipcctl sem create "$N" -v 2
	run -0 --separate-stderr ipcctl sem info "$N" --json
	local json=$output
	run -0 --separate-stderr ipcctl sem info -J "$N"
	assert_equal "$output$stderr" "$json"
	ipcctl mq create "$N"
	ipcctl mq send "$N" hi
	run -0 --separate-stderr ipcctl mq receive "$N" -J
	assert_equal "$output$stderr" '{"priority":0,"size":2,"data":"hi"}'
}

@test "-h and --help win wherever they stand, and nothing is done" {
	run -0 --separate-stderr ipcctl sem create "$N" -v 3 --help
	assert_equal "${lines[0]}" "$(usage_line sem create)"
	run -0 --separate-stderr ipcctl sem create -h "$N"
	assert_equal "${lines[0]}" "$(usage_line sem create)"
	assert_no_objects
}

@test "aliases: wait is acquire, post is release" {
	run -0 --separate-stderr ipcctl sem wait --help
	assert_equal "${lines[0]}" "$(usage_line sem acquire)"
	assert_equal "${lines[1]}" "alias: wait"
	run -0 --separate-stderr ipcctl sem post -h
	assert_equal "${lines[0]}" "$(usage_line sem release)"
	assert_equal "${lines[1]}" "alias: post"
	run -0 --separate-stderr ipcctl help sem wait
	assert_equal "${lines[0]}" "$(usage_line sem acquire)"

	run -0 --separate-stderr ipcctl sem create "$N"
	run -0 --separate-stderr ipcctl sem post "$N" -n 2
	assert_equal "$output$stderr" ""
	assert_value "$N" 2
	run -0 --separate-stderr ipcctl sem wait "$N"
	assert_equal "$output$stderr" ""
	assert_value "$N" 1
	run -0 --separate-stderr ipcctl sem wait "$N" -t 0
	run -75 --separate-stderr ipcctl sem wait "$N" -t 0
	assert_value "$N" 0
}

@test "multi-call links: ipcsem VERB is ipcctl sem VERB" {
	mkdir bin
	ln -s "$IPCCTL" bin/ipcsem
	ln -s "$IPCCTL" bin/ipcshm
	ln -s "$IPCCTL" bin/ipcmq
	ipcctl sem create "$N" -v 5

	run -0 --separate-stderr ipcctl sem value "$N"
	local want=$output
	assert_equal "$want" 5
	run -0 --separate-stderr bin/ipcsem value "$N"
	assert_equal "$output" "$want"
	assert_equal "$stderr" ""

	run -0 --separate-stderr bin/ipcsem release "$N" -n 2
	assert_value "$N" 7

	run -0 --separate-stderr bin/ipcsem --help
	local help=$output
	run -0 --separate-stderr ipcctl sem --help
	assert_equal "$help" "$output"

	# The same errors, the same words.
	run -66 --separate-stderr ipcctl sem value "$(name missing)"
	local err=$stderr
	run -66 --separate-stderr bin/ipcsem value "$(name missing)"
	assert_equal "$stderr" "$err"

	# Found by its name, wherever the link is called from.
	run -0 --separate-stderr env PATH="$PWD/bin:$PATH" ipcsem value "$N"
	assert_equal "$output" 7
}

@test "multi-call links: every object in the table has its ipcOBJECT link" {
	local obj n=0
	mkdir bin
	for obj in $(objects); do
		n=$((n + 1))
		ln -s "$IPCCTL" "bin/ipc$obj"
		run -0 --separate-stderr ipcctl "$obj" --help
		local want=$output
		run -0 --separate-stderr "bin/ipc$obj" --help
		assert_equal "$output" "$want" "ipc$obj --help"
		run -0 --separate-stderr "bin/ipc$obj" -h
		assert_equal "$output" "$want" "ipc$obj -h"
	done
	[ "$n" -ge 1 ]
}

@test "options may stand before or after NAME" {
	run -0 --separate-stderr ipcctl sem create -v 2 -m 0640 "$N"
	assert_value "$N" 2
	assert_mode "$N" 640
	run -0 --separate-stderr ipcctl sem release -n 3 "$N"
	assert_value "$N" 5
	run -0 --separate-stderr ipcctl sem release "$N" -n 3
	assert_value "$N" 8
	run -0 --separate-stderr ipcctl sem release "$N" --count=2
	assert_value "$N" 10
	run -0 --separate-stderr ipcctl sem acquire "$N" --timeout 0
	assert_value "$N" 9
	run -0 --separate-stderr ipcctl sem create "$(name b)" --value=4 \
	    --mode=u=rw,g=r
	assert_value "$(name b)" 4
	assert_mode "$(name b)" 640
}

@test "POSIXLY_CORRECT=1 still takes options after NAME" {
	export POSIXLY_CORRECT=1
	run -0 --separate-stderr ipcctl sem create "$N" -v 2
	assert_equal "$output$stderr" ""
	assert_value "$N" 2
	run -0 --separate-stderr ipcctl sem release "$N" -n 3
	assert_value "$N" 5
	run -0 --separate-stderr ipcctl sem acquire "$N" -t 0
	assert_value "$N" 4
	run -0 --separate-stderr ipcctl sem run "$N" -t 0 sh -c 'echo "$@"' x -a
	assert_equal "$output" "-a"
}

@test "-- ends options: a NAME may begin with '-'" {
	local dash="-${PREFIX}dash"
	run -64 --separate-stderr ipcctl sem create "$dash"
	assert_usage_error "ipcctl: sem create: unknown option: -i" sem create
	assert_no_objects

	run -0 --separate-stderr ipcctl sem create -v 3 -- "$dash"
	assert_equal "$output$stderr" ""
	assert_sem_exists "/$dash"
	run -0 --separate-stderr ipcctl sem value -- "$dash"
	assert_equal "$output" 3
	# After --, "-n" is an operand, not an option.
	run -64 --separate-stderr ipcctl sem value -- "$dash" -n
	assert_usage_error "ipcctl: sem value: unexpected operand: -n" sem value
	run -0 --separate-stderr ipcctl sem unlink -- "$dash"
	assert_sem_missing "/$dash"
}

@test "bash completion: 'ipcctl sem ac' completes to acquire" {
	local comp="$IPCCTL_SRCDIR/completions/ipcctl"
	[ -r "$comp" ] || fail "$comp is missing"
	run -0 --separate-stderr bash -c '
		PATH=${IPCCTL%/*}:$PATH
		bc=/usr/share/bash-completion/bash_completion
		if [ -r "$bc" ]; then . "$bc"; fi
		. "$1" || exit 2
		declare -F _ipcctl >/dev/null || { echo "no _ipcctl" >&2; exit 3; }
		COMP_WORDS=(ipcctl sem ac)
		COMP_CWORD=2
		COMP_LINE="ipcctl sem ac"
		COMP_POINT=${#COMP_LINE}
		COMP_TYPE=9
		COMPREPLY=()
		_ipcctl ipcctl ac sem
		printf "%s\n" "${COMPREPLY[@]}"' bash "$comp"
	assert_equal "$output" "acquire"
}

@test "bash completion: 'ipcctl s' completes to the object sem" {
	local comp="$IPCCTL_SRCDIR/completions/ipcctl"
	[ -r "$comp" ] || fail "$comp is missing"
	run -0 --separate-stderr bash -c '
		PATH=${IPCCTL%/*}:$PATH
		bc=/usr/share/bash-completion/bash_completion
		if [ -r "$bc" ]; then . "$bc"; fi
		. "$1" || exit 2
		declare -F _ipcctl >/dev/null || { echo "no _ipcctl" >&2; exit 3; }
		COMP_WORDS=(ipcctl se)
		COMP_CWORD=1
		COMP_LINE="ipcctl se"
		COMP_POINT=${#COMP_LINE}
		COMP_TYPE=9
		COMPREPLY=()
		_ipcctl ipcctl se ipcctl
		printf "%s\n" "${COMPREPLY[@]}"' bash "$comp"
	assert_equal "$output" "sem"
}

# ipcctl(1): create with no NAME prints the name it made; an object whose
# name could not be printed is one nobody can find, so it is removed.
@test "create with no NAME to a full disk: 74, said once, nothing left" {
	[ -w /dev/full ] || skip "no /dev/full"
	local args before after
	for args in "sem create" "shm create --size 4k" "mq create"; do
		before=$(fresh_names)
		# shellcheck disable=SC2086 # split on purpose
		run -74 --separate-stderr sh -c '"$IPCCTL" "$@" >/dev/full' sh $args
		assert_equal "$output" "" "$args: stdout"
		assert_equal "$stderr" \
		    "ipcctl: ${args% --*}: stdout: No space left on device" \
		    "$args: stderr"
		after=$(fresh_names)
		assert_equal "$after" "$before" "$args: objects of fresh names"
	done
}

# fresh_names: the objects of names "create" makes up, sorted.
fresh_names() {
	ls /dev/shm /dev/mqueue 2>/dev/null |
	    grep -E '^(sem\.)?ipcctl-[A-Za-z0-9]{12}$' | sort || true
}

@test "help and version written to a full disk: exit 74" {
	local args
	for args in "--help" "--version" "help" "help sem" "sem --help" \
	    "sem -h" "help sem acquire" "sem acquire --help"; do
		echo "checking: ipcctl $args >/dev/full"
		# shellcheck disable=SC2086 # split on purpose
		run -74 --separate-stderr sh -c '"$IPCCTL" "$@" >/dev/full' sh $args
		assert_equal "$output" "" "ipcctl $args >/dev/full: stdout"
		[[ "$stderr" == "ipcctl"*": write error: No space left on device" ]] ||
		    fail "ipcctl $args >/dev/full: stderr '$stderr'"
	done
}

# ------------------------------------------------ completions and --help
# ipcctl(1), FILES: the completions for bash, zsh and fish hold no list of
# their own; they ask "ipcctl --completion-helper", which answers from the
# tables the options are parsed with. Each shell is asked as it asks.

# help_opts OBJECT VERB: the long options --help lists, one a line, sorted.
help_opts() {
	if [ "$1" = - ]; then
		"$IPCCTL" "$2" --help
	else
		"$IPCCTL" "$1" "$2" --help
	fi | grep -oE -- '--[a-z][a-z-]*' | sed 's/^--//' | sort -u
}

# every_verb: "OBJECT VERB" lines for every verb ("-" for ls, limits).
every_verb() {
	local o
	for o in sem shm mq; do
		"$IPCCTL" "$o" --help |
		    awk -v o="$o" '/^verbs:/ { f = 1; next }
			f && /^  [a-z]/ { print o, $1 }'
	done
	printf '%s\n' "- ls" "- limits"
}

# line_of OBJECT VERB: the command line that completes the verb's options.
line_of() {
	if [ "$1" = - ]; then echo "ipcctl $2 --"; else echo "ipcctl $1 $2 --"; fi
}

# bash_words LINE: what the bash completion offers at the end of LINE.
bash_words() {
	PATH=${IPCCTL%/*}:$PATH bash -c '
		bc=/usr/share/bash-completion/bash_completion
		if [ -r "$bc" ]; then . "$bc"; fi
		. "$1" || exit 2
		read -ra COMP_WORDS <<<"$2"
		[[ $2 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE=$2
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		_ipcctl ipcctl "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
		printf "%s\n" "${COMPREPLY[@]}"' bash \
	    "$IPCCTL_SRCDIR/completions/ipcctl" "$1"
}

# zsh_words LINE: what the zsh completion offers at the end of LINE, its
# _describe, _files and _normal standing in for zsh's own.
zsh_words() {
	PATH=${IPCCTL%/*}:$PATH zsh -fc '
		words=(${=2}); [[ $2 == *" " ]] && words+=("")
		CURRENT=$#words
		_describe() { print -rl -- ${${(P)${@[-1]}}%%:*}; }
		_files() { print -r -- "(files)"; }
		_normal() { print -r -- "(command) $words[1,CURRENT]"; }
		source "$1"' zsh "$IPCCTL_SRCDIR/completions/_ipcctl" "$1"
}

# fish_words LINE: what the fish completion offers at the end of LINE.
fish_words() {
	PATH=${IPCCTL%/*}:$PATH fish -c 'source $argv[1]; complete -C $argv[2]' \
	    "$IPCCTL_SRCDIR/completions/ipcctl.fish" "$1" | cut -f1
}

# long_opts: the "--long" words of stdin, without the dashes, sorted.
long_opts() {
	sed -n 's/^--\([a-z-]*\)=\{0,1\}$/\1/p' | sort -u
}

# missing WANT HAVE: the lines of WANT that HAVE lacks.
missing() {
	comm -23 <(printf '%s\n' "$1") <(printf '%s\n' "$2") | sed '/^$/d'
}

# need_shell SHELL: run where it is installed, else say why not.
need_shell() {
	command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed"
}

# offers_every_option SHELL: the verbs' long options SHELL's completion
# lacks, "OBJECT VERB: --option" a line.
offers_every_option() {
	local o v
	while read -r o v; do
		missing "$(help_opts "$o" "$v")" \
		    "$("${1}_words" "$(line_of "$o" "$v")" | long_opts)" |
		    sed "s/^/$o $v: --/"
	done < <(every_verb)
}

@test "completions: bash offers every long option --help lists" {
	run -0 offers_every_option bash
	assert_equal "$output" "" "long options bash lacks"
}

@test "completions: zsh offers every long option --help lists" {
	need_shell zsh
	run -0 offers_every_option zsh
	assert_equal "$output" "" "long options zsh lacks"
}

@test "completions: fish offers every long option --help lists" {
	need_shell fish
	run -0 offers_every_option fish
	assert_equal "$output" "" "long options fish lacks"
}

@test "completions: no script lists a verb or an option of its own" {
	local f
	for f in ipcctl _ipcctl ipcctl.fish; do
		run grep -nE -- '--(timeout|holder|max-messages|list-columns)|acquire|receive' \
		    "$IPCCTL_SRCDIR/completions/$f"
		assert_equal "$status $output" "1 " "$f"
	done
}

@test "completions: the three shells offer the same verbs, values and names" {
	need_shell zsh
	need_shell fish
	local line want sh got
	"$IPCCTL" sem create "$N" -v 0
	for line in "ipcctl sem re" "ipcctl ls -o ME" "ipcctl ls --type=s" \
	    "ipcctl sem info $N" "ipcsem ho" "ipcctl sem acquire -m 064"; do
		want=$("$IPCCTL" --completion-helper $line | cut -f1 | sort)
		[ -n "$want" ] || fail "the helper offers nothing for '$line'"
		for sh in bash zsh fish; do
			got=$("${sh}_words" "$line" | sort)
			# bash shows what follows a "=" that broke the word.
			[ "$sh" = bash ] && [[ $line == *=* ]] &&
			    got=$(sed "s/^/${line##* }/; s/=.*=/=/" <<<"$got")
			assert_equal "$got" "$want" "$sh: $line"
		done
	done
}

@test "completions: files for shm write, a command after sem run's NAME" {
	need_shell zsh
	run -0 "$IPCCTL" --completion-helper ipcctl shm write /x ""
	assert_equal "$output" "@files"
	run -0 "$IPCCTL" --completion-helper ipcctl sem run /x -t 5 -- sle
	assert_equal "$output" "@command 7"
	run -0 "$IPCCTL" --completion-helper ipcctl mq notify -t 1 /q ""
	assert_equal "$output" "@command 6"
	run -0 zsh_words "ipcctl sem run /x -t 5 sl"
	assert_equal "$output" "(command) sl"
}

# The same at a real prompt, as a user meets it: an interactive bash with
# the bash-completion library loaded where it is installed (most Debian
# boxes have it), Tab pressed in a terminal. Its command completion runs
# compopt, which works only inside a real completion.
@test "completions: bash at a terminal: a command, then its files, after sem run's NAME" {
	local rc=$BATS_TEST_TMPDIR/.bashrc
	{
		echo 'PS1="$ "'
		echo 'bc=/usr/share/bash-completion/bash_completion'
		echo '[ -r "$bc" ] && . "$bc"'
		echo ". '$IPCCTL_SRCDIR/completions/ipcctl'"
	} >"$rc"
	: >"$BATS_TEST_TMPDIR/only-file"
	tty_start "$rc"
	tty_type -l "ipcctl sem run /x --mode=0600 slee"
	tty_type Tab
	screen_wait '^\$ ipcctl sem run /x --mode=0600 sleep $'
	tty_type -l "./only-f"
	tty_type Tab
	screen_wait '^\$ ipcctl sem run /x --mode=0600 sleep \./only-file $'
	assert_equal "$(screen_count 'compopt|not found|rror')" 0 "error lines"
}

# ipcctl(1), Listing objects and Limits: ls and limits take one operand,
# etcd:, which the shells complete.
@test "completions: etcd: for ls and limits, then options only" {
	run -0 "$IPCCTL" --completion-helper ipcctl ls e
	assert_equal "$output" "etcd:	what the etcd cluster keeps"
	run -0 "$IPCCTL" --completion-helper ipcctl limits ""
	assert_equal "$output" "etcd:	what the etcd cluster keeps"
	run -0 "$IPCCTL" --completion-helper ipcctl ls etcd: ""
	assert_equal "$output" ""
	run -0 "$IPCCTL" --completion-helper ipcctl ls etcd: --un
	assert_equal "$output" "--unused	only objects no process has open or mapped"
	run -0 bash_words "ipcctl limits et"
	assert_equal "$output" "etcd:"
}

@test "completions: an option's argument is not taken for NAME" {
	# -m takes the next word; -c does not, so "-cm" does.
	run -0 "$IPCCTL" --completion-helper ipcctl sem acquire -cm 06
	assert_equal "$output" "0600
0640
0644
0660
0666"
	run -0 "$IPCCTL" --completion-helper ipcctl sem acquire -m 0600 -
	assert_equal "$(cut -f1 <<<"$output" | sort | head -2 | xargs)" "--create --exclusive"
	run -0 "$IPCCTL" --completion-helper ipcctl ls -o NAME,MO
	assert_equal "$output" "NAME,MODE"
}

# ipcctl(1), Names: "SCHEME:NAME" is kept by the backend of SCHEME; a
# scheme no backend has is refused, so that one added later never
# changes what an existing name means. A local name with a colon keeps
# its meaning when written with its leading slash.
@test "names: an unknown scheme is refused (64), nothing made; /redis:x is local" {
	local n=redis:$PREFIX
	run -64 --separate-stderr ipcctl sem create "$n"
	assert_equal "${stderr%%$'\n'*}" "ipcctl: sem create: $n: unknown scheme redis:; a local name with a colon is written /$n"
	[ ! -e "/dev/shm/sem.$n" ] || fail "sem.$n was made"
	run -64 --separate-stderr ipcctl shm create "$n" -s 1
	run -64 --separate-stderr ipcctl mq send "$n" hi
	run -0 --separate-stderr ipcctl sem create "/$n"
	assert_equal "$output$stderr" ""
	[ -e "/dev/shm/sem.$n" ] || fail "sem.$n was not made"
	run -0 --separate-stderr ipcctl sem value "/$n"
	assert_equal "$output" 0
}

# ipcctl(1), Names: one call unlinks the names of one backend; names of
# two are refused before anything is removed.
@test "unlink: names of two backends: 64, nothing removed, in either order" {
	ipcctl sem create "$N"
	run -64 --separate-stderr ipcctl sem unlink "$N" "etcd:$N"
	assert_equal "${stderr%%$'\n'*}" "ipcctl: sem unlink: $N, etcd:$N: names kept by two backends: unlink them in two calls"
	run -64 --separate-stderr ipcctl sem unlink "etcd:$N" "$N"
	assert_equal "${stderr%%$'\n'*}" "ipcctl: sem unlink: etcd:$N, $N: names kept by two backends: unlink them in two calls"
	run -0 --separate-stderr ipcctl sem value "$N"
	assert_equal "$output" 0
}
