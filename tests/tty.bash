# A real terminal for the tests that need one: an interactive bash in a
# tmux server of the test's own (its socket in the test's folder), driven
# as a person would -- keys typed, the screen read back. Every wait polls
# the screen until a deadline; none is a fixed sleep alone.
#
# Load after helpers.bash; helpers.bash's teardown stops the server.

# tty_start [RCFILE]: start the shell, with RCFILE as its bashrc (default:
# a prompt of "$ " and nothing else), and wait for its first prompt.
tty_start() {
	command -v tmux >/dev/null || skip "tmux is not installed"
	local rc=${1:-$BATS_TEST_TMPDIR/.bashrc}
	TTY_SOCK=$BATS_TEST_TMPDIR/.tmux
	[ -n "${1:-}" ] || printf 'PS1="$ "\nPS2="> "\n' >"$rc"
	tmux -S "$TTY_SOCK" -f /dev/null new-session -d -x 200 -y 50 \
	    env -i HOME="$BATS_TEST_TMPDIR" TERM=screen \
	    PATH="${IPCCTL%/*}:$PATH" IPCCTL="$IPCCTL" \
	    bash --noprofile --rcfile "$rc" -i || return 1
	TTY_DEV=$(tmux -S "$TTY_SOCK" display -p -t 0 '#{pane_tty}')
	screen_wait '^\$ $'
}

# tty_pid PATTERN: the first process on the terminal whose command line
# matches PATTERN (pgrep -f), so that other tests' processes never count.
tty_pid() {
	pgrep -t "${TTY_DEV#/dev/}" -f -- "$1" | head -1
}

# tty_type KEYS...: as tmux send-keys takes them ("Enter", "C-c", "C-z";
# -l for literal text).
tty_type() {
	tmux -S "$TTY_SOCK" send-keys -t 0 "$@"
}

# tty_line TEXT: type TEXT and Enter.
tty_line() {
	tty_type -l "$1" && tty_type Enter
}

# tty_screen: the screen as text, trailing blank lines removed.
tty_screen() {
	tmux -S "$TTY_SOCK" capture-pane -p -N -t 0 | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
}

# screen_wait REGEX [SECONDS]: until a line of the screen matches REGEX
# (grep -E), 10 s at most; else fail, showing the screen.
screen_wait() {
	local end=$(($(now_ms) + ${2:-10} * 1000))
	until tty_screen | grep -qE -- "$1"; do
		if [ "$(now_ms)" -ge "$end" ]; then
			fail "the screen never showed /$1/:" "$(tty_screen)"
			return 1
		fi
		sleep 0.05
	done
}

# screen_count REGEX: how many lines of the screen match REGEX.
screen_count() {
	tty_screen | grep -cE -- "$1"
}

# tty_stop: end the server and everything its shell runs.
tty_stop() {
	[ -n "${TTY_SOCK:-}" ] || return 0
	tmux -S "$TTY_SOCK" kill-server 2>/dev/null
	TTY_SOCK=
	return 0
}

# screen_has REGEX N: exactly N lines of the screen match REGEX (for
# wait_for).
screen_has() {
	[ "$(screen_count "$1")" = "$2" ]
}
