#!/bin/sh
# REPL tests through a real terminal: tmux runs simec, send-keys types,
# capture-pane reads the screen.   sh tests/repl/run.sh ./simec
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SOCK="simec-repl-$$"
TMUX_CMD="tmux -L $SOCK-0 -f /dev/null"
starts=0
WORK=$(mktemp -d)
HIST="$WORK/history"
pass=0
fail=0
trap '$TMUX_CMD kill-server 2>/dev/null; rm -rf "$WORK"' EXIT

screen() { $TMUX_CMD capture-pane -p -t repl -S -300 2>/dev/null; }

# wait_for PATTERN [SECONDS]: an extended regexp appears on the screen
wait_for() {
    limit=$(( ${2:-10} * 10 ))
    n=0
    while [ "$n" -lt "$limit" ]; do
        if screen | grep -Eq -- "$1"; then return 0; fi
        sleep 0.1
        n=$((n + 1))
    done
    return 1
}

send() { $TMUX_CMD send-keys -t repl "$@"; }
# wait_prompt [SECONDS]: the last line on the screen is a fresh prompt (a
# pager has exited, say), so that what is typed next reaches the REPL
wait_prompt() {
    limit=$(( ${1:-10} * 10 ))
    n=0
    while [ "$n" -lt "$limit" ]; do
        if screen | grep -v '^$' | tail -n 1 | grep -Eq '^> ?$'; then return 0; fi
        sleep 0.1
        n=$((n + 1))
    done
    return 1
}
line() { send -l "$1"; send Enter; }

ok() { pass=$((pass + 1)); echo "ok   $1"; }
ko() {
    fail=$((fail + 1))
    echo "FAIL $1"
    screen | tail -n 25 | sed 's/^/     | /'
}
expect() { # NAME PATTERN [SECONDS]
    if wait_for "$2" "${3:-10}"; then ok "$1"; else ko "$1 (no /$2/ on screen)"; fi
}

start() { # a fresh tmux server for each session
    $TMUX_CMD kill-server 2>/dev/null
    starts=$((starts + 1))
    TMUX_CMD="tmux -L $SOCK-$starts -f /dev/null"
    $TMUX_CMD new-session -d -s repl -x 150 -y 50 \
        "env SIMEC_HISTORY='$HIST' OPENBLAS_NUM_THREADS=1 PAGER=more '$BIN'; sleep 30"
    wait_for '^>( |$)' 10 || ko "start (no prompt)"
}

start
expect "banner" '^simec [0-9]+\.[0-9]+\.[0-9]+ \(Lua 5\.4'

line "1 + 1"
expect "expression printed without =" '^2$'

line "t = {b = 2, a = {1, 2}}"
line "t"
expect "a plain table shows its contents" '^\{a = \{1, 2\}, b = 2\}$'
line "matrix.full(1, 1, 7), matrix.full(1, 1, 8)"
expect "multi-line results one per line, not run together" '^   7$'

line "for i = 1, 3 do"
expect "continuation prompt" '^>>( |$)'
line "io.write(i, ',')"
line "end"
expect "multi-line statement" '1,2,3,'

line "error('boom')"
expect "error message" 'boom'
expect "error traceback" 'stack traceback:'
line "print('still ' .. 'here')"
expect "session goes on after an error" '^still here$'

line "while true do end"
sleep 1
send C-c
expect "Ctrl-C stops a Lua loop" 'interrupted!' 5
line "print('after ' .. 'loop')"
expect "prompt back after a Lua loop" '^after loop$'

# a hook belongs to one Lua thread: the loop of a coroutine, and a second
# Ctrl-C once the first was delivered, are interrupts too
line "co = coroutine.wrap(function() while true do end end); co()"
sleep 1
send C-c
expect "Ctrl-C stops a loop in a coroutine" 'interrupted!' 5
line "for i = 1, 2 do print('caught ' .. i, pcall(function() while true do end end)) end"
sleep 1
send C-c
expect "a caught Ctrl-C lets the chunk go on" 'caught 1 +false +interrupted!$' 5
sleep 0.5
send C-c
expect "a second Ctrl-C, once the first was delivered, interrupts again" 'caught 2 +false +interrupted!$' 5
line "print('session ' .. 'alive')"
expect "the session survives both" '^session alive$'

line "a = matrix.ones(4000, 4000)"
line "b = a * a"
sleep 1
send C-c
# one 4000^3 product takes tens of seconds on one thread: only the core's
# interrupt flag brings the prompt back this fast
expect "Ctrl-C stops a long C computation" 'interrupted!' 5
line "print('b is', b, 'a is', a:get(4000, 4000))"
expect "objects consistent after the interrupt" '^b is +nil +a is +1\.0$'
line "a = nil; collectgarbage()"

line "R = data.synthetic{items = 2000, users = 3000, ratings = 200000, seed = 1}.ratings"
line "sm = SimEc.new{input = 'identity', rows = 2000, embedding = 50, output = 3000, seed = 1}"
line "h = sm:fit(nil, R, {epochs = 100000})"
expect "SimEc training shows its progress line" 'epoch +[0-9]+/100000 +loss' 20
send C-c
expect "Ctrl-C stops SimEc training after the batch" 'interrupted in epoch [0-9]+: weights of epoch [0-9]+ restored' 10
line "print('usable', sm:loss(nil, R) < 1e9)"
expect "the model is usable after the interrupt" '^usable +true$'
send -l "sm:predict_"
send Tab
expect "tab completes a SimEc method" 'sm:predict_at' 5
send C-u

send -l "matrix.ze"
send Tab
expect "tab completes a module field" 'matrix\.zeros' 5
send C-u
line "m = matrix.eye(2)"
send -l "m:tot"
send Tab
expect "tab completes a method" 'm:totable' 5
send C-u
send -l "m:"
send Tab Tab
expect "m:<TAB> lists matrix methods" 'select_rows' 5
send C-u
send -l "glob_unique_name = 1"
send Enter
send -l "glob_uni"
send Tab
expect "tab completes a global" 'glob_unique_name' 5
send C-u
# a table's name completes without a space, so completion goes on into its fields
line "deep_tab = {inner = {leaf_value = 42}}"
send -l "deep_ta"
send Tab
send -l ".inn"
send Tab
send -l ".leaf"
send Tab
send Enter
expect "completion goes into nested fields (no space after a table)" '^42$' 5
line "help(matrix.zero)"
expect "help(nil) names the expression and a close field" 'matrix has no field zero; did you mean matrix\.zeros\?' 5
line "simec.usage()"
expect "memory in human units" '^memory: [0-9.]+ [KMG]iB now, peak [0-9.]+ [KMG]iB, no limit$' 5

line "help(matrix.zeros)"
expect "help() in the REPL prints an entry" '^  An r x c matrix of zeros\.$' 5
line "help(m)"
expect "help longer than the terminal goes through the pager" '\-\-More\-\-' 5
send q
wait_prompt 5 || ko "the pager gives the prompt back (q)"
line "help(m, {all = true})"
expect "help of a value lists its type's methods (all = true: no pager)" '^  matrix:totable\(\)$' 5

# the SVD's products start the pool's threads, which stay and block every
# signal (blocked here while they start): Ctrl-C must still reach the
# thread that reads the line
line "print('rank ' .. models.svd(R, 5).k)"
expect "an SVD of R runs on the thread pool" '^rank 5$' 20
send -l "half typed"
send C-c
sleep 0.5 # as a person would: the next line is typed after the new prompt
line "print('fresh ' .. 'line')"
expect "Ctrl-C at the prompt clears the line" '^fresh line$'

line "for i = 1, 2 do"
sleep 0.3
send C-c
sleep 0.5
line "print('reset ' .. 'ok')"
expect "Ctrl-C cancels a continued statement" '^reset ok$'

send C-d
sleep 0.5
if screen | grep -q '^>$' && ! $TMUX_CMD list-panes -t repl -F '#{pane_current_command}' | grep -q sleep; then
    ko "Ctrl-D exits"
else
    ok "Ctrl-D exits"
fi

if grep -q '^1 + 1$' "$HIST" && grep -q "print('still ' .. 'here')" "$HIST"; then
    ok "history file written"
else
    ko "history file written"
    sed 's/^/     | /' "$HIST" 2>/dev/null
fi

start
send Up
expect "history is read back at start" "print\('reset ' \.\. 'ok'\)" 5
send C-u
send C-d

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
