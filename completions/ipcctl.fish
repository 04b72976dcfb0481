# fish completion for ipcctl and its multi-call links ipcsem, ipcshm, ipcmq.
#
# It holds no list of objects, verbs or options: it asks the command being
# completed, "ipcctl --completion-helper COMMAND WORD...", which answers
# from the tables it parses its options with (see ipcctl(1), FILES).

function __ipcctl_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    # The command being completed if fish can find it, else ipcctl.
    set -l self $tokens[1]
    string match -q -- '*/*' $self; or set self (command -s $self; or command -s ipcctl)
    test -x "$self"; or return
    set -l out ($self --completion-helper $tokens $cur 2>/dev/null)
    switch "$out[1]"
        case @files
            __fish_complete_path $cur
        case '@command *'
            # Word N of the helper's count is token N + 1 here.
            set -l n (string replace '@command ' '' -- $out[1])
            complete -C (string join ' ' -- (string escape -- $tokens[(math $n + 1)..-1]) $cur)
        case '*'
            printf '%s\n' $out
    end
end

complete -c ipcctl -c ipcsem -c ipcshm -c ipcmq -f -a '(__ipcctl_complete)'
