# fish completion for ipcctl and its multi-call links ipcsem, ipcshm, ipcmq.
#
# Driven by the tables below: to add an object, a verb or an option, add it
# there; to complete the names of an object's existing instances, define
# __ipcctl_names_OBJECT (one name a line, with its leading slash); to
# complete an option's argument with what a function prints, name the
# function in __ipcctl_opt_funcs.
# Object-less verbs (ls, limits) go under the object "-".

# Multi-call links and the object each one implies.
set -g __ipcctl_links ipcsem=sem ipcshm=shm ipcmq=mq

# OBJECT DESCRIPTION
set -g __ipcctl_objects \
    'sem named semaphores' \
    'shm shared memory segments' \
    'mq message queues'

# OBJECT VERB DESCRIPTION; an alias is ALIAS=VERB.
set -g __ipcctl_verbs \
    'sem create create a semaphore (no NAME: a random one, printed)' \
    'sem acquire take a token, waiting for one' \
    'sem wait=acquire' \
    'sem release give a token back' \
    'sem post=release' \
    'sem value print the current value' \
    'sem info print name, value, mode, owner and group' \
    'sem unlink remove semaphores' \
    'sem run hold a token while a command runs' \
    'sem holders list the recorded holders: pid, alive or dead, since, command' \
    'sem recover give back the token of every dead holder' \
    'shm create create a segment of a size (no NAME: a random one, printed)' \
    'shm write copy a file or stdin into a segment' \
    'shm read copy bytes of a segment to stdout' \
    'shm resize set the size of a segment' \
    'shm info print name, size, mode, owner and group' \
    'shm unlink remove segments' \
    'mq create create a queue (no NAME: a random one, printed)' \
    'mq send send messages' \
    'mq receive receive messages, waiting for one' \
    'mq info print name, mode, owner, group, sizes and messages' \
    'mq notify wait until a queue holds a message, then run a command' \
    'mq unlink remove queues' \
    '- ls list every semaphore, segment and queue' \
    '- list=ls' \
    '- limits print what this platform supports and its limits'

# OBJECT VERB LONG-OPTIONS...; every verb also has --help.
set -g __ipcctl_verb_opts \
    'sem create value exclusive mode create' \
    'sem acquire timeout holder recover create exclusive mode value' \
    'sem release count holder create exclusive mode value' \
    'sem value' \
    'sem info json raw pairs' \
    'sem unlink' \
    'sem run timeout recover conflict-exit-code create exclusive mode value' \
    'sem holders json raw pairs' \
    'sem recover' \
    'shm create size exclusive mode truncate create' \
    'shm write offset grow' \
    'shm read offset length' \
    'shm resize' \
    'shm info json raw pairs' \
    'shm unlink' \
    'mq create max-messages message-size exclusive mode create' \
    'mq send priority timeout lines null create exclusive mode max-messages message-size' \
    'mq receive timeout count follow print-priority null json' \
    'mq info json raw pairs' \
    'mq notify timeout' \
    'mq unlink' \
    '- ls type long output noheadings list-columns json raw pairs' \
    '- limits json raw pairs'

# OBJECT VERB KINDS...: the verb's operands before any COMMAND, each
# "name" (an existing object's), "file" or "-" (nothing to offer); "..."
# after the last repeats it.
set -g __ipcctl_verb_args \
    'sem create name' \
    'sem acquire name' \
    'sem release name' \
    'sem value name' \
    'sem info name' \
    'sem unlink name...' \
    'sem run name' \
    'sem holders name' \
    'sem recover name' \
    'shm create name' \
    'shm write name file' \
    'shm read name' \
    'shm resize name -' \
    'shm info name' \
    'shm unlink name...' \
    'mq create name' \
    'mq send name -...' \
    'mq receive name' \
    'mq info name' \
    'mq notify name' \
    'mq unlink name...'

# LONG SHORT ARG DESCRIPTION ('-': no short form, no argument). A line
# for OBJECT:VERB:LONG overrides the one for OBJECT:LONG, which overrides
# the one for LONG.
set -g __ipcctl_opts \
    'conflict-exit-code E CODE exit CODE instead of 75 when busy' \
    'count n N release N times (default 1)' \
    'create c - create it if missing' \
    'exclusive x - create it; exit 73 if it exists' \
    'follow f - receive until interrupted' \
    'grow - - extend the segment to hold the data' \
    'help h - show help' \
    'holder - PID record PID as holder' \
    'json - - print one JSON document' \
    'length l LENGTH copy LENGTH bytes (default: to the end)' \
    'lines - - each line of stdin is a message' \
    'list-columns - - print the columns -o takes' \
    'long l - add group, mtime and holders' \
    'max-messages - N queue capacity if created (default: msg_default)' \
    'message-size - BYTES largest message if created (default: msgsize_default)' \
    'mode m MODE permissions if created (default 0600)' \
    'noheadings n - print no heading line' \
    'null 0 - messages end with NUL, not newline' \
    'offset o OFFSET start at byte OFFSET (default 0)' \
    'output o COLUMNS these columns (+COLUMNS: added)' \
    'pairs - - print KEY="value" pairs' \
    'print-priority P - prefix each message with PRIO and a tab' \
    'priority p PRIO priority, 0 (default) to MQ_PRIO_MAX-1; higher first' \
    'raw r - print a raw table' \
    'recover - - first give back the tokens of dead holders' \
    'size s SIZE size in bytes (4096, 64K, 1M, 2G)' \
    'timeout t T give up after T (2.5, 500ms, 1m; 0: never wait)' \
    'truncate - - empty an existing segment first' \
    'type t TYPES only these types (comma-separated)' \
    'value v N initial value if created (default 0)' \
    'mq:count n COUNT receive COUNT messages (default 1)' \
    "sem:acquire:holder - PID record PID (e.g. the script's \$\$) as holder" \
    'sem:release:holder - PID release tokens PID holds; remove its entries' \
    'mq:send:null 0 - each NUL-terminated record of stdin is a message' \
    'mq:send:timeout t T wait at most T for room, per message (0: never wait)' \
    'mq:receive:json - - print one JSON object a line' \
    'mq:receive:timeout t T wait at most T for each message (0: never wait)'

# LONG VALUES...: what to offer as an option's argument.
set -g __ipcctl_opt_values \
    'mode 0600 0640 0644 0660 0666' \
    'output TYPE NAME OWNER GROUP MODE SIZE VALUE MESSAGES MAX_MESSAGES MESSAGE_SIZE HOLDERS MTIME NOTE' \
    'type sem shm mq'

# LONG FUNCTION: what prints the candidates for an option's argument, when
# they are not a fixed list.
set -g __ipcctl_opt_funcs \
    'holder __fish_complete_pids'

# OBJECT VERB N: the verb runs a COMMAND after N operands.
set -g __ipcctl_command_after \
    'sem run 1' \
    'mq notify 1'

# The ipcctl to ask for names: the one on PATH, else the one beside the
# command being completed when that is a path (ipcsem, ipcshm and ipcmq
# take no "ls": ipcctl does).
function __ipcctl_self
    command -s ipcctl
    and return 0
    set -l cmd (commandline -opc)[1]
    string match -q -- '*/*' "$cmd"
    or return 1
    set -l dir (string replace -r -- '/[^/]*$' '' $cmd)
    set dir (string replace -r -- '^~(?=/|$)' $HOME $dir)
    test -x "$dir/ipcctl"
    and echo "$dir/ipcctl"
end

# The names of the existing objects of type $argv[1], one a line with the
# leading slash, as "ipcctl ls" lists them: it knows which files are
# objects and skips ipcctl's own. Its plain table pads no last column,
# escapes control characters (names cannot hold them) and writes a
# backslash that a "x" follows as \x5c, undone here.
function __ipcctl_ls_names -a type
    set -l self (__ipcctl_self)
    or return 0
    for name in ($self ls -t $type -n -o NAME 2>/dev/null)
        string match -q -- '/*' $name
        and string replace -a -- '\x5c' '\\' $name
    end
end

function __ipcctl_names_sem
    __ipcctl_ls_names sem
end

function __ipcctl_names_shm
    __ipcctl_ls_names shm
end

function __ipcctl_names_mq
    __ipcctl_ls_names mq
end

# The line of table $argv[1] (a variable name) whose first words are
# $argv[2..], without those words.
function __ipcctl_lookup
    set -l key (string join ' ' -- $argv[2..-1])
    for line in $$argv[1]
        if test "$line" = "$key"
            return 0
        else if string match -q -- "$key *" $line
            string sub -s (math (string length -- "$key") + 2) -- $line
            return 0
        end
    end
    return 1
end

function __ipcctl_opt_def -a obj verb long
    __ipcctl_lookup __ipcctl_opts $obj:$verb:$long
    or __ipcctl_lookup __ipcctl_opts $obj:$long
    or __ipcctl_lookup __ipcctl_opts $long
end

# The kind of operand $argv[3] (from 0) of verb $argv[2] of object
# $argv[1]: name, file, or nothing.
function __ipcctl_operand_kind -a obj verb n
    set -l kinds (string split ' ' -- (__ipcctl_lookup __ipcctl_verb_args $obj $verb))
    set -l i (math $n + 1)
    if test $i -le (count $kinds)
        string replace -- ... '' $kinds[$i]
    else if string match -q -- '*...' "$kinds[-1]"
        string replace -- ... '' $kinds[-1]
    end
end

# Object $argv[1]'s verbs and aliases.
function __ipcctl_verb_names -a obj
    for line in $__ipcctl_verbs
        set -l f (string split ' ' -- $line)
        test "$f[1]" = "$obj"; and string replace -r -- '=.*' '' $f[2]
    end
end

# The verb that word $argv[2] of object $argv[1] stands for.
function __ipcctl_resolve -a obj word
    for line in $__ipcctl_verbs
        set -l f (string split ' ' -- $line)
        if test "$f[1]" = "$obj"; and string match -q -- "$word=*" $f[2]
            string replace -- "$word=" '' $f[2]
            return
        end
    end
    echo $word
end

# Where the command line stands, as words:
#   top | help-object | help-verb OBJECT | verb OBJECT |
#   args OBJECT VERB OPERANDS ARGNEXT COMMAND-AFTER | command INDEX
function __ipcctl_state
    set -l tokens (commandline -opc)
    set -l cmd (string replace -r -- '.*/' '' $tokens[1])
    set -l obj (string replace -rf -- '^'(string escape --style=regex -- $cmd)'=' '' $__ipcctl_links)
    set -l i 2
    if test -z "$obj"
        if test (count $tokens) -lt 2
            echo top
            return
        end
        if test "$tokens[2]" = help
            switch (count $tokens)
                case 2
                    echo help-object
                case 3
                    echo help-verb $tokens[3]
                case '*'
                    echo none
            end
            return
        end
        if contains -- $tokens[2] (__ipcctl_verb_names -)
            set obj -
        else
            set obj $tokens[2]
            set i 3
        end
    end
    if test (count $tokens) -lt $i
        echo verb $obj
        return
    end
    set -l verb (__ipcctl_resolve $obj $tokens[$i])
    set -l after (__ipcctl_lookup __ipcctl_command_after $obj $verb)
    set -l opts (__ipcctl_lookup __ipcctl_verb_opts $obj $verb)
    set -l takes
    for long in (string split ' ' -- "$opts")
        set -l def (__ipcctl_opt_def $obj $verb $long)
        set def (string split ' ' -- "$def")
        if test -n "$def[2]"; and test "$def[2]" != -
            set takes $takes --$long
            test "$def[1]" != -; and set takes $takes -$def[1]
        end
    end

    # Options and their arguments, "--", operands; from COMMAND on, the
    # words are COMMAND's.
    set -l n 0
    set -l endopts 0
    set -l argnext 0
    for j in (seq (math $i + 1) (count $tokens))
        set -l w $tokens[$j]
        if test $argnext = 1
            set argnext 0
        else if test $endopts = 0; and test "x$w" = x--
            set endopts 1
        else if test $endopts = 0; and string match -q -- '--?*' $w
            contains -- $w $takes; and set argnext 1
        else if test $endopts = 0; and string match -q -- '-?*' $w
            # A cluster: "-cv" takes the next word, "-cv1" does not.
            set -l len (string length -- $w)
            for k in (seq 2 $len)
                if contains -- -(string sub -s $k -l 1 -- $w) $takes
                    test $k -eq $len; and set argnext 1
                    break
                end
            end
        else if test -n "$after"; and test $n -ge $after
            echo command $j
            return
        else
            set n (math $n + 1)
        end
    end
    echo args $obj $verb $n $argnext $after
end

# Is the command line at: top, help-object, help-verb OBJECT, verb OBJECT,
# args OBJECT VERB (options), an operand of kind name or file of OBJECT
# (name OBJECT, file OBJECT), or command?
function __ipcctl_is
    set -l st (string split ' ' -- (__ipcctl_state))
    switch $argv[1]
        case top help-object
            test "$st[1]" = $argv[1]
        case help-verb verb
            test "$st[1]" = $argv[1]; and test "$st[2]" = $argv[2]
        case args
            test "$st[1]" = args; and test "$st[2]" = $argv[2]
            and test "$st[3]" = $argv[3]
        case name file
            test "$st[1]" = args; and test "$st[2]" = $argv[2]
            and test "$st[5]" = 0
            and begin
                test -z "$st[6]"; or test $st[4] -lt $st[6]
            end
            and test "$(__ipcctl_operand_kind $st[2] $st[3] $st[4])" = $argv[1]
        case command
            test "$st[1]" = command; and return
            test "$st[1]" = args; and test -n "$st[6]"
            and test $st[4] -ge $st[6]; and test "$st[5]" = 0
    end
end

# COMMAND and its arguments, completed as a command line of their own.
function __ipcctl_complete_command
    set -l st (string split ' ' -- (__ipcctl_state))
    set -l line
    if test "$st[1]" = command
        set -l tokens (commandline -opc)
        set line (string escape -- $tokens[$st[2]..-1])
    end
    complete -C (string join ' ' -- $line (commandline -ct))
end

function __ipcctl_complete_names -a obj
    functions -q __ipcctl_names_$obj; and __ipcctl_names_$obj
end

set -l cmds -c ipcctl -c ipcsem -c ipcshm -c ipcmq
complete $cmds -f

complete -c ipcctl -n '__ipcctl_is top' -s h -l help -d 'show help'
complete -c ipcctl -n '__ipcctl_is top' -s V -l version -d 'show the version'
complete -c ipcctl -n '__ipcctl_is top' -a help -d 'describe an object or a verb'
for line in $__ipcctl_objects
    set -l f (string split -m 1 ' ' -- $line)
    complete -c ipcctl -n '__ipcctl_is top' -a $f[1] -d $f[2]
    complete -c ipcctl -n '__ipcctl_is help-object' -a $f[1] -d $f[2]
    complete $cmds -n "__ipcctl_is verb $f[1]" -s h -l help -d 'show help'
    complete $cmds -n "__ipcctl_is name $f[1]" -a "(__ipcctl_complete_names $f[1])"
    complete $cmds -n "__ipcctl_is file $f[1]" -F
end

for line in $__ipcctl_verbs
    set -l f (string split -m 2 ' ' -- $line)
    set -l v (string split = -- $f[2])
    set -l desc $f[3]
    set -q v[2]; and set desc "alias of $v[2]"
    if test "$f[1]" = -
        complete -c ipcctl -n '__ipcctl_is top' -a $v[1] -d $desc
    else
        complete $cmds -n "__ipcctl_is verb $f[1]" -a $v[1] -d $desc
        complete -c ipcctl -n "__ipcctl_is help-verb $f[1]" -a $v[1] -d $desc
    end
end

for line in $__ipcctl_verb_opts
    set -l f (string split ' ' -- $line)
    for long in $f[3..-1] help
        set -l def (__ipcctl_opt_def $f[1] $f[2] $long)
        set def (string split -m 2 ' ' -- "$def")
        set -l spec -l $long -d $def[3]
        test "$def[1]" != -; and set spec $spec -s $def[1]
        if test "$def[2]" != -
            set spec $spec -x
            set -l values (__ipcctl_lookup __ipcctl_opt_values $long)
            test -n "$values"; and set spec $spec -a $values
            set -l func (__ipcctl_lookup __ipcctl_opt_funcs $long)
            test -n "$func"; and set spec $spec -a "($func)"
        end
        complete $cmds -n "__ipcctl_is args $f[1] $f[2]" $spec
    end
end

complete $cmds -n '__ipcctl_is command' -a '(__ipcctl_complete_command)'
