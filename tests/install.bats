#!/usr/bin/env bats
# make install (README, ipcctl(1) FILES): the completions go where each
# shell looks for them, or configure says they do not and names the
# option; man ipcsem opens ipcctl-sem(1); a -static build works or
# configure refuses it with words. Each is tried on a copy of the source
# tree, configured as a user would: --prefix=/usr/local installed under
# DESTDIR, and --prefix=$HOME/.local installed for real in a home of the
# test's own. Only data is installed (make install-data): no build.

load helpers

setup_file() {
	local src=$BATS_FILE_TMPDIR/src

	# make check's own make must not steer these.
	unset MAKEFLAGS MFLAGS MAKELEVEL DESTDIR
	mkdir -p "$src" "$BATS_FILE_TMPDIR/home"
	# A source tree being built and tested: logs come and go meanwhile.
	cp -Rp "$IPCCTL_SRCDIR"/. "$src" 2>/dev/null || true
	[ -x "$src/configure" ] && [ -f "$src/Makefile.in" ] || {
		echo "cannot copy $IPCCTL_SRCDIR" >&3
		return 1
	}
	rm -rf "$src/.git"
	chmod -R u+w "$src"	# make distcheck's source is read-only
	cd "$src" || return 1
	[ ! -f Makefile ] || make -s distclean >/dev/null 2>&1 || true
	./configure --prefix=/usr/local >"$BATS_FILE_TMPDIR/usr-local.log" 2>&1 &&
	    make -s install-data DESTDIR="$BATS_FILE_TMPDIR/root" \
	    >>"$BATS_FILE_TMPDIR/usr-local.log" 2>&1 || {
		cat "$BATS_FILE_TMPDIR/usr-local.log" >&3
		return 1
	}
	HOME=$BATS_FILE_TMPDIR/home ./configure \
	    --prefix="$BATS_FILE_TMPDIR/home/.local" \
	    >"$BATS_FILE_TMPDIR/home.log" 2>&1 &&
	    make -s install-data >>"$BATS_FILE_TMPDIR/home.log" 2>&1 || {
		cat "$BATS_FILE_TMPDIR/home.log" >&3
		return 1
	}
}

# searched SHELL: the folders SHELL searches for completions, one a line,
# asked of the shell, for a user whose home is $HOME and whose
# environment sets no XDG_ variable.
searched() {
	case $1 in
	bash)	[ -r /usr/share/bash-completion/bash_completion ] || return 1
		env -i HOME="$HOME" PATH=/usr/bin:/bin bash --norc --noprofile -c \
		    '. /usr/share/bash-completion/bash_completion >/dev/null 2>&1
		    set -x; __load_completion ipcctl-no-such-command' 2>&1 |
		    sed -n 's/^+* *\[\[ -d \(.*\) \]\]$/\1/p' ;;
	zsh)	command -v zsh >/dev/null 2>&1 || return 1
		env -i HOME="$HOME" PATH=/usr/bin:/bin zsh -fc 'print -l $fpath' ;;
	fish)	command -v fish >/dev/null 2>&1 || return 1
		env -i HOME="$HOME" PATH=/usr/bin:/bin \
		    fish -c 'printf "%s\n" $__fish_vendor_completionsdirs' ;;
	esac
}

# check_shells TOP DESTDIR LOG: for each shell, the folder its file went
# to (found under TOP, DESTDIR taken off) is one the shell searches, or
# configure's LOG says it is not and names the option.
check_shells() {
	local top=$1 root=$2 log=$3 sh file path dir dirs tried=0

	for sh in bash zsh fish; do
		case $sh in
		bash)	file=ipcctl ;;
		zsh)	file=_ipcctl ;;
		fish)	file=ipcctl.fish ;;
		esac
		path=$(find "$top" -name "$file" -path "*/$sh*" ! -type d)
		[ -n "$path" ] || fail "no $file installed under $top"
		dir=${path%/*}
		dir=${dir#"$root"}
		if ! dirs=$(searched $sh) || [ -z "$dirs" ]; then
			echo "# $sh is not installed: not asked" >&3
			continue
		fi
		tried=$((tried + 1))
		if printf '%s\n' "$dirs" | grep -Fqx -- "$dir"; then
			continue
		fi
		grep -Fq -- "$sh does not search $dir" "$log" &&
		    grep -Fq -- "--with-$sh-completion-dir=DIR" "$log" ||
		    fail "$sh does not search $dir, and configure did not say so:
$dirs
$(cat "$log")"
	done
	[ "$tried" -gt 0 ] || skip "no shell with completions is installed"
}

@test "install: under /usr/local, every shell finds its completion, or configure said it will not" {
	HOME=$BATS_FILE_TMPDIR/home
	check_shells "$BATS_FILE_TMPDIR/root" "$BATS_FILE_TMPDIR/root" \
	    "$BATS_FILE_TMPDIR/usr-local.log"
	# Nothing outside the prefix.
	run -0 find "$BATS_FILE_TMPDIR/root" ! -type d ! -path "*/root/usr/local/*"
	[ -z "$output" ]
}

@test "install: under \$HOME/.local, every shell finds its completion, or configure said it will not" {
	HOME=$BATS_FILE_TMPDIR/home
	check_shells "$HOME/.local" "" "$BATS_FILE_TMPDIR/home.log"
	run -0 find "$HOME" ! -type d ! -path "$HOME/.local/*"
	[ -z "$output" ]
}

@test "install: under \$HOME/.local, bash and fish complete ipcctl from what was installed" {
	HOME=$BATS_FILE_TMPDIR/home
	mkdir -p "$HOME/.local/bin"
	ln -sf "$IPCCTL" "$HOME/.local/bin/ipcctl"
	local path=$HOME/.local/bin:/usr/bin:/bin tried=0
	if [ -r /usr/share/bash-completion/bash_completion ]; then
		run -0 env -i HOME="$HOME" PATH="$path" bash --norc --noprofile -c \
		    '. /usr/share/bash-completion/bash_completion >/dev/null 2>&1
		    __load_completion ipcsem && complete -p ipcsem'
		[[ $output == 'complete '*' ipcsem' ]] || fail "bash: $output"
		tried=$((tried + 1))
	fi
	if command -v fish >/dev/null 2>&1; then
		run -0 env -i HOME="$HOME" PATH="$path" fish -c 'complete -C "ipcctl s"'
		[[ $output == *sem* && $output == *shm* ]] || fail "fish: $output"
		tried=$((tried + 1))
	fi
	[ "$tried" -gt 0 ] || skip "neither bash-completion nor fish is installed"
}

@test "install: man ipcsem, ipcshm and ipcmq open the object's page" {
	local man=$BATS_FILE_TMPDIR/root/usr/local/share/man/man1 l
	for l in ipcsem ipcshm ipcmq; do
		[ -e "$man/$l.1" ] || fail "no $l.1"
		run -0 readlink "$man/$l.1"
		[ "$output" = "ipcctl-${l#ipc}.1" ] || fail "$l.1 -> $output"
		if command -v mandoc >/dev/null 2>&1; then
			run -0 mandoc -Tascii "$man/$l.1"
			[[ ${lines[0]} == "IPCCTL-$(echo "${l#ipc}" |
			    tr a-z A-Z)(1) "* ]] || fail "$l: ${lines[0]}"
		fi
	done
}

@test "install: a -static build works, or configure refuses it with words" {
	unset MAKEFLAGS MFLAGS MAKELEVEL
	cd "$BATS_FILE_TMPDIR/src"
	if ! ./configure LDFLAGS=-static >static.log 2>&1; then
		run -0 tail -n 1 static.log
		[[ $output == 'configure: error: '*static* ]] || fail "$output"
		return
	fi
	make -s -j2 src/ipcctl >>static.log 2>&1 || fail "$(tail static.log)"
	run -0 ./src/ipcctl limits
	[[ ${lines[0]} == 'KEY '*VALUE ]] || fail "limits: $output"
	run -0 --separate-stderr ./src/ipcctl ls --json
	[[ $output == '{'* ]] || fail "ls --json: $output"
}
