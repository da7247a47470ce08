#!/usr/bin/env bash
# End-to-end test of attaching (issue 11, docs/attach-protocol.md): `trainboard train --headless --listen` in the
# background and `trainboard attach` in tmux (Tests/e2e/tmux-drive) on a Fashion-MNIST subset. Checks: `trainboard ls`
# lists the run; the attached dashboard shows it; `p` pauses (the batch counter and the run's CSV log stop for 2 s) and
# resumes; `l` sets the rate (a second, headless client sees the ack, the CSV log's next rows have the new rate); `c`
# writes a checkpoint that `trainboard evaluate` loads; `q` detaches and the run goes on; attaching again shows the
# epochs before the attach; `s` stops the run (it exits 0, its socket and discovery file are gone, the dashboard shows
# the end). TCP: without the token refused, with a wrong token refused, with the token file accepted; a listen address
# other than loopback refused (exit 2). Another uid (as root: setpriv to nobody) cannot connect to the socket, neither
# the default one (0600 in a 0700 directory) nor one opened to everyone (chmod 666: the run's SO_PEERCRED check).
#
# Usage: Tests/e2e/attach.sh   (env: TRAINBOARD_BIN, default .build/debug/trainboard)
# Prints "N passed, M failed"; exit status 0 only if everything passed (2 on a setup failure).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 2
tui="$root/Tests/e2e/tmux-drive"
[[ -x $tui ]] || { echo "attach: $tui is missing or not executable" >&2; exit 2; }
command -v tmux >/dev/null || { echo "attach: tmux is required" >&2; exit 2; }
bin=${TRAINBOARD_BIN:-.build/debug/trainboard}
[[ $bin == /* ]] || bin="$root/$bin"
[[ -x $bin ]] || { echo "attach: no binary at $bin (build first)" >&2; exit 2; }
[[ -d /usr/share/datasets/fashion-mnist ]] || { echo "attach: Fashion-MNIST missing (apt-get install dataset-fashion-mnist)" >&2; exit 2; }

# shellcheck source=Tests/e2e/scratch.sh
source "$root/Tests/e2e/scratch.sh" tb-attach
source "$root/Tests/e2e/lib.sh"
cd "$work" || exit 2
# The runs' private directory: a scratch one, so that `ls` sees only these runs.
export XDG_RUNTIME_DIR="$work/xdg"
mkdir -m 700 "$XDG_RUNTIME_DIR"

csv_rows() { [[ -f $1 ]] && echo $(($(wc -l <"$1") - 1)) || echo 0; }
csv_lr() { awk -F, -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "learning_rate") c = i } NR == n + 1 { print $c }' "$1"; }
wait_rows() { local i; for i in $(seq $(($3 * 10))); do (($(csv_rows "$1") >= $2)) && return 0; sleep 0.1; done; return 1; }
wait_grep() { local i; for i in $(seq $(($3 * 10))); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
batch_label() { "$tui" screen "$1" | sed -n 's/.*batch [^0-9]*\([0-9][0-9]*\/[0-9][0-9]*\).*/\1/p' | head -n1; }
epoch_label() { "$tui" screen "$1" | sed -n 's/.*epoch [^0-9]*\([0-9][0-9]*\/[0-9][0-9]*\).*/\1/p' | head -n1; }

# --- A headless run on a Unix socket ---------------------------------------------------------------------------------
mkdir run
"$bin" train --headless --listen --max-samples 6000 --batch-size 32 --epochs 500 --decay 0 --seed 3 --csv-log run/log.csv \
    >run.out 2>run.err &
run_pid=$!; pids+=("$run_pid")
wait_grep run.err 'listening on ' 60 || { echo "attach: the run did not listen:"; cat run.err; exit 2; }
sock=$(sed -n 's/.*listening on \([^ ]*\.sock\) .*/\1/p' run.err | head -n1)
[[ $sock == "$XDG_RUNTIME_DIR/trainboard/trainboard-$run_pid.sock" ]] && pass "the default socket is in the private directory ($sock)" \
    || fail "socket path: '$sock'"
[[ $(stat -c %a "$XDG_RUNTIME_DIR/trainboard") == 700 && $(stat -c %a "$sock") == 600 ]] \
    && pass "private directory 0700, socket 0600" || fail "modes: $(stat -c '%n %a' "$XDG_RUNTIME_DIR/trainboard" "$sock")"
wait_rows run/log.csv 2 120 || fail "the run logged no epochs"

out=$("$bin" ls 2>&1)
grep -qE "^trainboard +$run_pid +trainboard .*$sock +[0-9]+[smh]" <<<"$out" && pass "trainboard ls lists the run" || fail "ls: $out"
# A stale entry (a dead pid) is skipped.
printf '{"v":1,"name":"ghost","pid":999999,"framework":"x","started":1,"socket":"%s/nope.sock","tcp":null,"token_file":null}\n' \
    "$XDG_RUNTIME_DIR/trainboard" >"$XDG_RUNTIME_DIR/trainboard/ghost-999999.json"
out=$("$bin" ls 2>&1)
! grep -q ghost <<<"$out" && grep -q "$run_pid" <<<"$out" && pass "ls skips a stale entry" || fail "ls with a stale entry: $out"

# A second client, headless, in the background: it sees every client's acks.
"$bin" attach --headless "$sock" >watch.out 2>watch.err &
watch_pid=$!; pids+=("$watch_pid")

start_cmd att 120x40 -- "$bin" attach "$sock"
"$tui" wait att 'epoch [^0-9]*[0-9]+/500' 30 >/dev/null && pass "attached dashboard shows the run" || fail "attached dashboard" att
rows_before=$(csv_rows run/log.csv)

# p: paused, the batch counter and the log stop.
"$tui" keys att p
if "$tui" wait att 'paused|PAUSED' 15 >/dev/null; then
    sleep 0.5; b1=$(batch_label att); r1=$(csv_rows run/log.csv); sleep 2; b2=$(batch_label att); r2=$(csv_rows run/log.csv)
    [[ -n $b1 && $b1 == "$b2" && $r1 == "$r2" ]] && pass "p pauses the run (batch $b1 for 2 s)" || fail "p: batch $b1 -> $b2, rows $r1 -> $r2" att
else
    fail "p: no paused state" att
fi
wait_grep watch.out '^ack pause #[0-9]+ from [0-9]+: ok' 10 && pass "the other client sees the pause ack" || fail "pause ack: $(tail -n 3 watch.out)"
"$tui" keys att p
sleep 2; b3=$(batch_label att)
[[ -n $b3 && $b3 != "$b2" ]] && pass "p again resumes (batch $b2 -> $b3)" || fail "resume: batch $b2 -> $b3" att

# l: an exact learning rate.
"$tui" keys att l
"$tui" keys att 0 . 0 1 2 3 Enter
wait_grep watch.out '^ack set_lr #[0-9]+ from [0-9]+: ok at update [0-9]+: learning rate .* -> 0.0123' 15 \
    && pass "l sets the rate; the ack shows it: $(grep '^ack set_lr' watch.out | head -n1)" || fail "set_lr ack: $(tail -n 3 watch.out)"
n=$(csv_rows run/log.csv)
if wait_rows run/log.csv $((n + 2)) 120; then
    lr=$(csv_lr run/log.csv $((n + 2)))
    awk -v a="$lr" 'BEGIN { exit !(a > 0.01229999 && a < 0.01230001) }' && pass "the run's CSV log has the new rate ($lr)" \
        || fail "CSV learning_rate after l: $lr"
else
    fail "no new epochs after l"
fi

# c: a checkpoint that evaluate loads.
"$tui" keys att c
if wait_grep watch.out '^ack checkpoint #[0-9]+ from [0-9]+: ok' 30; then
    ck=$(ls run/manual-*.keras 2>/dev/null | head -n1)
    if [[ -n $ck ]] && ev=$("$bin" evaluate "$ck" --max-samples 500 2>&1); then
        pass "c writes $ck, which evaluate loads ($(echo "$ev" | tail -n1))"
    else
        fail "checkpoint $ck: $ev"
    fi
else
    fail "checkpoint ack: $(tail -n 3 watch.out)"
fi

# The headless run itself says what the attached dashboard did, one line as each command takes effect.
if grep -qE '^trainboard: steered: paused at update [0-9]+$' run.out && grep -qE '^trainboard: steered: resumed at update [0-9]+$' run.out \
   && grep -qE '^trainboard: steered: learning rate [0-9.e-]+ -> 0\.0123$' run.out \
   && grep -qE '^trainboard: steered: checkpoint .*run/manual-.*\.keras$' run.out; then
    pass "the headless run prints each steering command as it takes effect"
else fail "steering lines in the headless run's output: $(grep 'steer' run.out)"; fi

# q: detach; the run goes on.
"$tui" keys att q
expect_exit att 0 "q detaches"
n=$(csv_rows run/log.csv)
kill -0 "$run_pid" 2>/dev/null && wait_rows run/log.csv $((n + 1)) 120 && pass "the run goes on after the detach" \
    || fail "the run after q: alive=$(kill -0 "$run_pid" 2>/dev/null && echo yes || echo no), rows $n -> $(csv_rows run/log.csv)"

# Attaching again shows the epochs before the attach.
rows=$(csv_rows run/log.csv)
timeout 6 "$bin" attach --headless "$sock" >again.out 2>&1
hist=$(sed -n '1,/^(history/p' again.out | grep -c '^Epoch ')
grep -q '^Epoch 1/500' again.out && grep -q '^(history: ' again.out && ((hist >= rows && rows > rows_before)) \
    && pass "re-attach shows the history: $hist epochs before the live part (the log has $rows)" \
    || fail "re-attach history: $hist epochs, log $rows: $(head -n 3 again.out)"

# Another uid cannot connect: not to the default socket (0600 in a 0700 directory)...
if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null; then
    as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    out=$("${as_nobody[@]}" "$bin" attach --headless "$sock" 2>&1); rc=$?
    ((rc == 1)) && grep -qE 'cannot connect|Permission denied' <<<"$out" && pass "another uid cannot reach the default socket ($(tail -n1 <<<"$out"))" \
        || fail "another uid on the default socket: rc=$rc: $out"
else
    echo "SKIP: another uid (needs root and setpriv)"
fi

# s from a re-attached dashboard: the run stops and ends cleanly; the dashboard shows the end.
start_cmd att2 120x40 -- "$bin" attach "$sock"
"$tui" wait att2 'epoch [^0-9]*[0-9]+/500' 30 >/dev/null || fail "re-attached dashboard" att2
e=$(epoch_label att2); e=${e%%/*}
((e >= 3)) && pass "the re-attached dashboard starts at epoch $e (history included)" || fail "re-attached at epoch '$e'" att2
"$tui" keys att2 s
for i in $(seq 300); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
wait "$run_pid"; rc=$?
((rc == 0)) && grep -q 'Training stopped' run.out && pass "s stops the run (exit 0: $(grep 'Training stopped' run.out))" \
    || fail "s: run exit $rc: $(tail -n 3 run.out) $(tail -n 3 run.err)"
[[ ! -e $sock && ! -e ${sock%.sock}.json ]] && pass "the socket and discovery file are removed" || fail "left behind: $(ls "$XDG_RUNTIME_DIR/trainboard")"
"$tui" wait att2 'ended|stopped' 15 >/dev/null && pass "the dashboard shows the end of the run" || fail "end on the dashboard" att2
"$tui" keys att2 q
expect_exit att2 0 "q leaves after the end"
wait_grep watch.out '^Run ended: ' 10 && pass "the headless client saw the end ($(grep '^Run ended' watch.out))" || fail "watch: $(tail -n 3 watch.out)"
wait "$watch_pid"; rc=$?
((rc == 0)) && pass "the headless client exits 0 at the end" || fail "headless client exit $rc"

# --- TCP with a token ---------------------------------------------------------------------------------------------
"$bin" train --headless --listen 127.0.0.1:0 --max-samples 2000 --epochs 500 --decay 0 --csv-log tcp/log.csv >tcp.out 2>tcp.err &
tcp_pid=$!; pids+=("$tcp_pid")
wait_grep tcp.err 'listening on 127\.0\.0\.1:[0-9]+; token [0-9a-f]{64}' 60 || { fail "TCP run: $(cat tcp.err)"; }
addr=$(sed -n 's/.*listening on \(127\.0\.0\.1:[0-9]*\); token.*/\1/p' tcp.err | head -n1)
token=$(sed -n 's/.*; token \([0-9a-f]*\) .*/\1/p' tcp.err | head -n1)
tfile=$(sed -n 's/.*(also in \([^;]*\.token\);.*/\1/p' tcp.err | head -n1)
[[ -f $tfile && $(stat -c %a "$tfile") == 600 && $(head -n1 "$tfile") == "$token" ]] && pass "token file 0600 holds the printed token" \
    || fail "token file '$tfile': $(stat -c %a "$tfile" 2>&1)"
out=$("$bin" attach --headless "$addr" 2>&1); rc=$?
((rc == 2)) && grep -q 'a TCP run needs its token' <<<"$out" && pass "attach to a TCP run without a token: exit 2 at once, naming --token-file" \
    || fail "attach without a token: rc=$rc $out"
# The run itself refuses a client that does not authenticate (a raw client: a command line instead of auth).
out=$(python3 - "$addr" <<'PY' 2>&1
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)), timeout=10)
s.sendall(b'{"v":1,"type":"command","id":1,"command":"stop"}\n')
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk: break
    data += chunk
print(data.decode(errors="replace").strip())
PY
); rc=$?
((rc == 0)) && grep -q '"type":"error"' <<<"$out" && ! grep -q '"type":"hello"' <<<"$out" \
    && pass "TCP without the token is refused by the run (error, closed, no hello)" || fail "no token: rc=$rc $out"
wrong=$(printf '%064d' 0)
out=$("$bin" attach --headless "$addr" --token "$wrong" 2>&1); rc=$?
((rc == 1)) && grep -q 'authentication failed' <<<"$out" && pass "TCP with a wrong token is refused" || fail "wrong token: rc=$rc $out"
timeout 5 "$bin" attach --headless "$addr" --token-file "$tfile" >tok.out 2>&1
grep -q '^Attached to trainboard' tok.out && pass "TCP with the token file is accepted" || fail "token: $(head -n 3 tok.out)"
out=$("$bin" ls 2>&1)
grep -q "$addr (token $tfile)" <<<"$out" && pass "ls lists the TCP run with its token file" || fail "ls TCP: $out"
kill -TERM "$tcp_pid"; wait "$tcp_pid"; rc=$?
((rc == 143)) && [[ ! -e $tfile ]] && pass "SIGTERM ends the TCP run (143) and removes its token file" || fail "TCP run: exit $rc, token file $(ls "$tfile" 2>&1)"
out=$("$bin" train --headless --listen 0.0.0.0:0 --epochs 1 2>&1); rc=$?
((rc == 2)) && grep -q 'loopback address only' <<<"$out" && pass "a non-loopback listen address is refused (exit 2)" || fail "0.0.0.0: rc=$rc $out"

# --- Another uid against a socket open to everyone: the run's own uid check ------------------------------------------
if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null; then
    mkdir -m 777 pub; chmod 755 "$work"
    "$bin" train --headless --listen "$work/pub/open.sock" --max-samples 2000 --epochs 500 >pub.out 2>pub.err &
    pub_pid=$!; pids+=("$pub_pid")
    wait_grep pub.err 'listening on ' 60 || fail "open socket run: $(cat pub.err)"
    chmod 666 "$work/pub/open.sock"
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" attach --headless "$work/pub/open.sock" 2>&1); rc=$?
    ((rc == 1)) && grep -q 'before greeting' <<<"$out" && pass "another uid is closed by the run's SO_PEERCRED check ($(tail -n1 <<<"$out"))" \
        || fail "another uid on an open socket: rc=$rc $out"
    timeout 5 "$bin" attach --headless "$work/pub/open.sock" >own.out 2>&1
    grep -q '^Attached to' own.out && pass "the run's own uid is accepted on the same socket" || fail "own uid: $(head -n 3 own.out)"
    kill -TERM "$pub_pid"; wait "$pub_pid"
    [[ ! -e $work/pub/open.sock ]] && pass "the explicit socket is removed at the end" || fail "open.sock left behind"
else
    echo "SKIP: SO_PEERCRED check (needs root and setpriv)"
fi

echo "$passed passed, $failed failed"
((failed == 0))
