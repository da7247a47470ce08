#!/usr/bin/env bash
# End-to-end test of NCursesBackend: drives tb-ncurses-smoke in tmux through Tests/e2e/tmux-drive.
# Checks start-up, the live counter, keys, resizes down to 1x1, tiny start sizes, exit statuses for q / signals /
# a repeated signal / Ctrl-C / exit() without stop / a trap on another thread, ASCII-only output without a UTF-8
# locale, colour modes, an unknown TERM and TERM=dumb, and that `stty -g` is the same before and after every run.
#
# Usage: Tests/e2e/ncurses-smoke.sh        (from anywhere; builds the smoke program unless TB_SMOKE_BIN is set)
# Env:   TB_SMOKE_BIN  prebuilt tb-ncurses-smoke binary (skips `swift build`)
# Exit status: 0 if every check passed, 1 if any failed, 2 if the setup failed.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 2
tui="$root/Tests/e2e/tmux-drive"
[[ -x $tui ]] || { echo "ncurses-smoke: $tui is missing or not executable" >&2; exit 2; }
command -v tmux >/dev/null || { echo "ncurses-smoke: tmux is required" >&2; exit 2; }
command -v script >/dev/null || { echo "ncurses-smoke: script (util-linux) is required" >&2; exit 2; }

bin=${TB_SMOKE_BIN:-}
if [[ -z $bin ]]; then
    swift build --product tb-ncurses-smoke >&2 || { echo "ncurses-smoke: build failed" >&2; exit 2; }
    bin="$(swift build --show-bin-path)/tb-ncurses-smoke"
fi
[[ -x $bin ]] || { echo "ncurses-smoke: no binary at $bin" >&2; exit 2; }

# A private tmux server for this run, removed at the end.
export TMUX_DRIVE_SOCKET="tb-ncurses-smoke-$$"
work=$(mktemp -d)
cleanup() { "$tui" kill-server; rm -rf "$work"; }
trap cleanup EXIT

source "$root/Tests/e2e/lib.sh"

# start NAME SIZE [--env K=V ...]: starts the wrapped program.
start() {
    local name=$1 size=$2; shift 2
    "$tui" stop "$name"
    rm -f "$work/$name.pid" "$work/$name.result"
    "$tui" start "$name" "$size" "$@" -- "$work/wrap.sh" "$work/$name.pid" "$bin"
}
counter() { "$tui" screen "$1" | sed -n 's/.*counter: \([0-9][0-9]*\).*/\1/p' | head -n1; }

# 1. Starts, shows the counter, and the counter advances.
start main 120x40
if "$tui" wait main 'counter: [0-9]+' 10 >/dev/null 2>&1; then
    c1=$(counter main); sleep 0.6; c2=$(counter main)
    if [[ -n $c1 && -n $c2 && $c2 -gt $c1 ]]; then pass "starts and counts (counter $c1 -> $c2)"
    else fail "counter did not advance ($c1 -> $c2)" main; fi
else
    fail "did not start (no counter)" main
fi

# 2. UTF-8 locale: block and braille glyphs are drawn; 256 colours under xterm-256color.
if "$tui" screen main | grep -q '⣿' && "$tui" screen main | grep -q '█' && "$tui" screen main | grep -q 'utf8: yes  colors: 256'; then
    pass "UTF-8 glyphs (block, braille) and 256 colours"
else
    fail "UTF-8 glyphs or colour mode missing" main
fi

# 3. Keys reach the program.
"$tui" keys main Up; "$tui" keys main x
if "$tui" wait main 'last key: x' 5 >/dev/null 2>&1; then pass "keys are read (Up, x)"; else fail "key not shown" main; fi

# 4. Resizes 120x40 -> 20x5 -> 1x1 -> 120x40 without crashing.
ok=1
"$tui" resize main 20x5;   "$tui" wait main '20x5' 5 >/dev/null 2>&1 || ok=0
"$tui" resize main 1x1;    sleep 0.5; "$tui" alive main || ok=0
"$tui" resize main 120x40; "$tui" wait main 'size: 120x40' 5 >/dev/null 2>&1 || ok=0
"$tui" alive main || ok=0
if ((ok)); then pass "resize 120x40 -> 20x5 -> 1x1 -> 120x40"; else fail "resize sequence" main; fi

# 5. q exits 0 and restores the terminal.
"$tui" keys main q
expect_exit main 0 "q quits"

# 6. Starts in a 10x3 terminal (compact notice), then q.
start tiny 10x3
if "$tui" wait tiny '10x3' 10 >/dev/null 2>&1 && sleep 0.3 && "$tui" alive tiny; then pass "starts at 10x3"
else fail "did not start at 10x3" tiny; fi
"$tui" keys tiny q
expect_exit tiny 0 "q quits at 10x3"

# 7-9. Signals to the program: SIGINT 130, SIGTERM 143, SIGHUP 129, terminal restored.
for spec in INT:130 TERM:143 HUP:129; do
    sig=${spec%%:*}; want=${spec##*:}; name="sig$sig"
    start "$name" 80x24
    "$tui" wait "$name" 'counter: [0-9]+' 10 >/dev/null 2>&1
    if pid=$(program_pid "$name"); then
        kill -"$sig" "$pid"
        expect_exit "$name" "$want" "SIG$sig"
    else
        fail "SIG$sig: program pid not found" "$name"
    fi
done

# 9b. A second signal while shutdown hangs forces the exit at once (terminal restored, 128 + signal).
start hang 80x24 --env TB_SMOKE_SLOW_SHUTDOWN=1
"$tui" wait hang 'counter: [0-9]+' 10 >/dev/null 2>&1
if pid=$(program_pid hang); then
    kill -INT "$pid"; sleep 0.5
    if "$tui" alive hang && [[ ! -s $work/hang.result ]]; then
        kill -INT "$pid"
        expect_exit hang 130 "second SIGINT forces exit while shutdown hangs"
    else
        fail "slow shutdown: program ended after the first signal" hang
    fi
else
    fail "slow shutdown: program pid not found" hang
fi

# 10. Ctrl-C typed in the terminal raises SIGINT (cbreak, not raw): 130.
start ctrlc 80x24
"$tui" wait ctrlc 'counter: [0-9]+' 10 >/dev/null 2>&1
"$tui" keys ctrlc C-c
expect_exit ctrlc 130 "Ctrl-C"

# 11. exit() without Terminal.stop(): the atexit safety net restores the terminal.
start exitnet 80x24
"$tui" wait exitnet 'counter: [0-9]+' 10 >/dev/null 2>&1
"$tui" keys exitnet E
expect_exit exitnet 3 "exit() without stop (atexit restore)"

# 12. A trap on a background thread (as in a crashing trainer): the crash guard restores the tty before the process
# dies of SIGILL (128 + 4); Swift's backtracer still runs (non-interactively).
start crash 100x30 --env SWIFT_BACKTRACE=interactive=no
"$tui" wait crash 'counter: [0-9]+' 10 >/dev/null 2>&1
"$tui" keys crash C
expect_exit crash 132 "trap on a background thread (crash restore)"

# 13. Without a UTF-8 locale every byte written is ASCII (captured with script(1)).
start_cmd ascii 80x24 --env LANG=C --env LC_ALL=C -- script -q -f -c "$bin" "$work/ascii.out"
if "$tui" wait ascii 'utf8: no' 10 >/dev/null 2>&1; then
    sleep 0.5
    "$tui" keys ascii x; sleep 0.3; "$tui" resize ascii 30x10; sleep 0.3
    "$tui" keys ascii q
    wait_exit ascii >/dev/null
    total=$(wc -c <"$work/ascii.out")
    nonascii=$(LC_ALL=C tr -d '\000-\177' <"$work/ascii.out" | wc -c)
    if [[ $total -gt 100 && $nonascii -eq 0 ]]; then pass "LANG=C output is ASCII only ($total bytes, 0 non-ASCII)"
    else fail "LANG=C output: $nonascii non-ASCII bytes of $total" ascii; fi
else
    fail "LANG=C run did not start" ascii
fi

# 14. NO_COLOR disables colour; an 8-colour terminal gets 8 colours.
start nocolor 80x24 --env NO_COLOR=1
"$tui" wait nocolor 'colors: none' 10 >/dev/null 2>&1 && nc=1 || nc=0
"$tui" keys nocolor q; wait_exit nocolor >/dev/null
start xterm8 80x24 --env TERM=xterm
"$tui" wait xterm8 'colors: 8' 10 >/dev/null 2>&1 && x8=1 || x8=0
"$tui" keys xterm8 q; wait_exit xterm8 >/dev/null
if ((nc && x8)); then pass "NO_COLOR -> no colours; TERM=xterm -> 8 colours"
else fail "colour modes (NO_COLOR ok=$nc, xterm ok=$x8)" xterm8; fi

# 15. An unknown TERM is reported (no ncurses exit) with status 1 and the terminal untouched.
start_cmd badterm 80x24 --env TERM=tb-no-such-terminal -- bash -c '"$0" 2>"$1"' "$bin" "$work/badterm.err"
st=$(wait_exit badterm)
if [[ $st == 1 ]] && grep -q "cannot initialise the terminal: TERM='tb-no-such-terminal'" "$work/badterm.err" \
    && grep -qx STTY-SAME "$work/badterm.result"; then
    pass "unknown TERM -> clear error, exit 1"
else
    fail "unknown TERM: status '$st'" badterm
fi

# 16. TERM=dumb (no cursor addressing) is refused before ncurses touches the screen: a clear error, status 1.
start_cmd dumb 80x24 --env TERM=dumb -- bash -c '"$0" 2>"$1"' "$bin" "$work/dumb.err"
st=$(wait_exit dumb)
if [[ $st == 1 ]] && grep -q "TERM='dumb' cannot move the cursor (no cup in its terminfo entry)" "$work/dumb.err" \
    && grep -qx STTY-SAME "$work/dumb.result"; then
    pass "TERM=dumb -> clear error before newterm, exit 1"
else
    fail "TERM=dumb: status '$st', stderr: $(head -c 200 "$work/dumb.err")" dumb
fi

for n in main tiny sigINT sigTERM sigHUP hang ctrlc exitnet crash ascii nocolor xterm8 badterm dumb; do "$tui" stop "$n"; done
echo "$passed passed, $failed failed"
((failed == 0))
