#!/usr/bin/env bash
# End-to-end test of the dashboard: drives the real `trainboard` binary in tmux through Tests/e2e/tmux-drive on a
# Fashion-MNIST subset. Checks: charts appear; `p` pauses (batch counter frozen for 2 s) and resumes; `c` writes a checkpoint;
# `+` raises the learning rate in the CSV log; resizing to 1x1 and back; `s` shows the summary; `q` exits 0 with the
# terminal restored (`stty -g` identical); SIGINT/SIGTERM/SIGHUP exit 130/143/129 with finished epochs logged;
# tiny start size; LANG=C draws ASCII only; a trainer error restores the terminal and prints the error; the control
# journal records the manual actions and --replay-journal reapplies them; TERM=dumb and an unknown TERM fall back to
# the per-epoch lines with a notice; double-width characters (a CJK data file, an emoji) at 80x24, also with LANG=C.
#
# Usage: Tests/e2e/dashboard.sh   (env: TRAINBOARD_BIN, default .build/debug/trainboard)
# Prints "N passed, M failed"; exit status 0 only if everything passed (2 on a setup failure).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 2
tui="$root/Tests/e2e/tmux-drive"
[[ -x $tui ]] || { echo "dashboard: $tui is missing or not executable" >&2; exit 2; }
command -v tmux >/dev/null || { echo "dashboard: tmux is required" >&2; exit 2; }
bin=${TRAINBOARD_BIN:-.build/debug/trainboard}
[[ $bin == /* ]] || bin="$root/$bin"
[[ -x $bin ]] || { echo "dashboard: no binary at $bin (build first)" >&2; exit 2; }
[[ -d /usr/share/datasets/fashion-mnist ]] || { echo "dashboard: Fashion-MNIST missing (apt-get install dataset-fashion-mnist)" >&2; exit 2; }

export TMUX_DRIVE_SOCKET="tb-dashboard-$$"
work=$(mktemp -d)
cleanup() { "$tui" kill-server; rm -rf "$work"; }
trap cleanup EXIT
source "$root/Tests/e2e/lib.sh"
# Runs write their default folders (trainboard-runs/) into the current directory: keep them out of the repository.
cd "$work" || exit 2

# A long run on a subset so that there is time to steer it; no decay so the learning rate changes only by keys.
train=("$bin" train --max-samples 6000 --batch-size 32 --epochs 500 --decay 0 --seed 3)
batch_label() { "$tui" screen "$1" | sed -n 's/.*batch [^0-9]*\([0-9][0-9]*\/[0-9][0-9]*\).*/\1/p' | head -n1; }
epoch_label() { "$tui" screen "$1" | sed -n 's/.*epoch [^0-9]*\([0-9][0-9]*\/[0-9][0-9]*\).*/\1/p' | head -n1; }
csv_rows() { [[ -f $1 ]] && echo $(($(wc -l <"$1") - 1)) || echo 0; }
csv_lr() { # learning_rate of data row N (1-based) of CSV $1
    awk -F, -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "learning_rate") c = i } NR == n + 1 { print $c }' "$1"
}
wait_rows() { # wait_rows FILE N SECS
    local i; for i in $(seq $(($3 * 10))); do (($(csv_rows "$1") >= $2)) && return 0; sleep 0.1; done; return 1
}

# 1. The main session: charts, pause, resume, checkpoint, +, resize, stop, quit.
d="$work/main"; mkdir -p "$d"
start_cmd main 120x40 -- "${train[@]}" --csv-log "$d/log.csv" --checkpoint "$d/best.tbmodel" --save-best-only
has_braille() { "$tui" screen "$1" | python3 -c 'import sys; sys.exit(0 if any(0x2801 <= ord(c) <= 0x28FF for c in sys.stdin.read()) else 1)'; }
if "$tui" wait main 'Loss' 20 >/dev/null 2>&1 && "$tui" wait main 'Accuracy' 5 >/dev/null 2>&1 \
   && "$tui" wait main 'Learning rate' 5 >/dev/null 2>&1 && sleep 1 && has_braille main; then
    pass "dashboard shows the loss, accuracy and learning-rate charts (braille)"
else
    fail "charts did not appear" main
fi

"$tui" keys main p
if "$tui" wait main 'PAUSED' 5 >/dev/null 2>&1; then
    sleep 0.3; b1=$(batch_label main); e1=$(epoch_label main); sleep 2; b2=$(batch_label main); e2=$(epoch_label main)
    if [[ -n $b1 && $b1 == "$b2" && $e1 == "$e2" ]]; then pass "p pauses: batch counter frozen for 2 s ($e1 $b1)"
    else fail "batch counter moved while paused ($e1 $b1 -> $e2 $b2)" main; fi
else
    fail "p did not show PAUSED" main
fi
"$tui" keys main p
sleep 1.5; b3=$(batch_label main); e3=$(epoch_label main)
if [[ "$e3 $b3" != "$e2 $b2" ]] && "$tui" screen main | grep -q RUNNING; then pass "p resumes ($e2 $b2 -> $e3 $b3)"
else fail "training did not resume ($e2 $b2 -> $e3 $b3)" main; fi

"$tui" keys main c
ok=0
for i in $(seq 50); do ls "$d"/manual-epoch*-update*.tbmodel >/dev/null 2>&1 && { ok=1; break; }; sleep 0.1; done
if ((ok)); then pass "c writes a checkpoint ($(basename "$(ls "$d"/manual-*.tbmodel | head -n1)"))"
else fail "c wrote no checkpoint in $d" main; fi

if wait_rows "$d/log.csv" 2 60; then
    n=$(csv_rows "$d/log.csv"); before=$(csv_lr "$d/log.csv" "$n")
    "$tui" keys main +
    if wait_rows "$d/log.csv" $((n + 2)) 60; then
        after=$(csv_lr "$d/log.csv" $((n + 2)))
        if awk -v a="$after" -v b="$before" 'BEGIN { exit !(a > b * 1.2) }'; then
            pass "+ raises the learning rate in the CSV log ($before -> $after)"
        else fail "+ did not raise learning_rate ($before -> $after)" main; fi
    else fail "no epoch logged after +" main; fi
else
    fail "the CSV log got no rows" main
fi

ok=1
"$tui" resize main 20x5; sleep 0.5; "$tui" alive main || ok=0
"$tui" screen main | grep -q 'small' || ok=0
"$tui" resize main 1x1; sleep 0.5; "$tui" alive main || ok=0
"$tui" resize main 120x40
"$tui" wait main 'Learning rate' 5 >/dev/null 2>&1 || ok=0
r1=$(csv_rows "$d/log.csv"); sleep 1.5; r2=$(csv_rows "$d/log.csv")
((ok && r2 > r1)) && pass "resize 120x40 -> 20x5 (notice) -> 1x1 -> 120x40: full redraw, training went on" \
    || fail "resize broke the dashboard (ok=$ok rows $r1 -> $r2)" main

"$tui" keys main s
if "$tui" wait main 'stopped by the user' 20 >/dev/null 2>&1 && "$tui" alive main; then
    pass "s stops training and shows the summary, dashboard stays open"
else
    fail "no summary after s" main
fi
ls "$d"/final-epoch*.tbmodel >/dev/null 2>&1 && pass "s writes a final checkpoint" || fail "no final checkpoint after s" main
"$tui" wait main 'Resume with: .*train --resume' 5 >/dev/null 2>&1 && pass "the summary says how to resume" \
    || fail "the summary does not say 'Resume with: trainboard train --resume PATH'" main
# The final checkpoint holds the state at the batch where s was handled: a headless resume finishes that epoch.
final=$(ls "$d"/final-epoch*.tbmodel 2>/dev/null | head -n 1)
fe=${final##*final-epoch}; fe=${fe%%-*}
if [[ -n $final ]] && rout=$("$bin" train --headless --resume "$final" --epochs "$fe" </dev/null 2>&1) \
    && grep -qE "^Resuming $final: epoch $fe, batch [0-9]+, update [0-9]+" <<<"$rout" && grep -q "^Training completed $fe epoch" <<<"$rout"; then
    pass "train --resume FINAL continues epoch $fe at its next batch and completes it"
else fail "train --resume of the final checkpoint" main; printf '%s\n' "${rout:0:600}"; fi
! grep -qF -- "writes no checkpoint" <<<"$rout" \
    && pass "a resumed run keeps the checkpoint path of the run it resumes (no warning)" \
    || fail "a warning about a missing --checkpoint although the resumed run had one" "${rout:0:600}"
"$tui" keys main q
expect_exit main 0 "q leaves the dashboard"
journal=$(ls "$d"/trainboard-journal-*.jsonl 2>/dev/null | head -n1)
if [[ -n $journal ]] && python3 - "$journal" <<'PY'
import json, sys
entries = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
actions = [e["action"] for e in entries]
assert actions[:5] == ["pause", "resume", "checkpoint", "lr_scale", "stop"], actions
assert all({"epoch", "update", "time"} <= e.keys() for e in entries)
PY
then pass "journal records pause, resume, checkpoint, lr_scale, stop with epoch/update/time"
else fail "journal missing or wrong: $journal"; fi

# 2. Replaying the journal applies the recorded learning-rate change (x1.25 of 0.1, no decay) at the same update:
#    the CSV row of the epoch whose last update follows the change shows 0.125, the row before it 0.1.
if [[ -n $journal ]]; then
    upd=$(python3 -c "import json,sys; print([json.loads(l) for l in open(sys.argv[1])][3]['update'])" "$journal")
    steps=188  # ceil(6000 / 32) batches per epoch
    e=$((upd / steps + 1))  # 1-based CSV row of the epoch during which the change applies
    if "$bin" train --headless --max-samples 6000 --batch-size 32 --epochs $((e + 1)) --decay 0 --seed 3 \
        --replay-journal "$journal" --csv-log "$work/replay.csv" >/dev/null 2>&1; then
        lr=$(csv_lr "$work/replay.csv" "$e"); prev=$(csv_lr "$work/replay.csv" $((e - 1)))
        if awk -v a="$lr" -v b="${prev:-0.1}" 'BEGIN { exit !(a > 0.1249 && a < 0.1251 && b > 0.0999 && b < 0.1001) }'; then
            pass "--replay-journal applies lr x1.25 at update $upd (epoch rows $((e - 1)), $e: ${prev:-none} -> $lr)"
        else fail "replayed learning rate: row $((e - 1)) ${prev:-none}, row $e $lr (expected 0.1 -> 0.125)"; fi
    else fail "--replay-journal run failed"; fi
fi

# 3. Signals during training: graceful stop, logs of finished epochs flushed, terminal restored.
for sig in INT:130 TERM:143 HUP:129; do
    name=${sig%%:*}; want=${sig##*:}
    start_cmd "sig$name" 100x30 -- "${train[@]}" --csv-log "$work/sig$name.csv"
    "$tui" wait "sig$name" 'Loss' 20 >/dev/null 2>&1
    wait_rows "$work/sig$name.csv" 1 60
    pid=$(program_pid "sig$name") && kill -"$name" "$pid"
    expect_exit "sig$name" "$want" "SIG$name during training"
    if (($(csv_rows "$work/sig$name.csv") >= 1)) && [[ $(tail -c1 "$work/sig$name.csv" | od -An -c | tr -d ' ') == '\n' ]]; then
        pass "SIG$name: finished epochs are in the CSV log (complete lines)"
    else fail "SIG$name: CSV log incomplete"; fi
done

# 4. Tiny terminal at start: a notice, no crash; q still quits.
start_cmd tiny 10x3 -- "${train[@]}"
sleep 2
if "$tui" alive tiny; then pass "starts at 10x3 without crashing"; else fail "crashed at 10x3" tiny; fi
"$tui" keys tiny q
expect_exit tiny 0 "q at 10x3"

# 5. No UTF-8 locale: every byte the dashboard writes is ASCII.
"$tui" stop ascii
(cd "$work" && LANG=C LC_ALL=C TERM=xterm-256color COLUMNS=100 LINES=30 timeout 20 script -qfec \
    "$bin train --max-samples 2000 --epochs 2 --exit-when-done" ascii.out >/dev/null 2>&1)
if [[ -s $work/ascii.out ]] && ! LC_ALL=C grep -q -P '[\x80-\xFF]' "$work/ascii.out" && grep -q 'Loss' "$work/ascii.out"; then
    pass "LANG=C: dashboard output is pure ASCII ($(wc -c <"$work/ascii.out") bytes)"
else
    fail "LANG=C: non-ASCII bytes or no dashboard in the output"
fi

# 6. An error in the trainer (an unwritable log) restores the terminal and prints the error after it.
start_cmd err 100x30 -- "${train[@]}" --csv-log /dev/full
expect_exit err 1 "trainer error exits 1"
if "$tui" screen err | grep -q 'error'; then pass "the error is printed on the restored terminal"
else fail "no error message after the dashboard closed" err; fi

# 7. A terminal that cannot move the cursor (TERM=dumb: Emacs shell buffers, acme, CI consoles) or an unknown TERM:
#    the headless per-epoch lines instead of a blank dashboard, a one-line notice on stderr, exit 0.
for t in dumb tb-no-such-terminal; do
    name="term-$t"
    start_cmd "$name" 200x30 --env TERM="$t" -- bash -c '"$0" "${@:2}" 2>"$1"' "$bin" "$work/$name.err" \
        train --max-samples 2000 --epochs 2 --exit-when-done
    st=$(wait_exit "$name" 30)
    notice=$(grep -c "^trainboard: notice: .*TERM='$t'.*; one line per epoch instead of the dashboard" "$work/$name.err")
    if [[ $st == 0 ]] && "$tui" screen "$name" | grep -q '^Epoch 2/2' \
        && "$tui" screen "$name" | grep -Eq '^16/16 - .* - val_accuracy: 0\.[0-9]{4}' && [[ $notice == 1 ]] \
        && grep -qx STTY-SAME "$work/$name.result"; then
        pass "TERM=$t: per-epoch lines, one notice on stderr, exit 0"
    else
        fail "TERM=$t: status '$st', notice lines $notice, stderr: $(head -c 300 "$work/$name.err")" "$name"
    fi
done

# 8. Double-width characters: a CJK data file and a checkpoint named with CJK and an emoji, at 80x24. tmux shows each
#    wide character once (it takes two columns); the old backend drew `????.npz`. Without a UTF-8 locale every column
#    of a wide character is a `?` (ASCII only), and the columns still line up.
python3 - "$work/手写数字.npz" <<'PY' || fail "could not write the .npz fixture"
# The first 1000 training and 200 test images of Fashion-MNIST as a Keras-layout .npz (uint8 [n, 28, 28], uint8 [n]).
import gzip, io, struct, sys, zipfile
src = "/usr/share/datasets/fashion-mnist/"
def idx(name, n):
    with gzip.open(src + name) as f:
        magic = struct.unpack(">I", f.read(4))[0]
        dims = struct.unpack(">" + "I" * (magic & 0xFF), f.read(4 * (magic & 0xFF)))
        per = 1
        for d in dims[1:]: per *= d
        return f.read(n * per), (n,) + tuple(dims[1:])
def npy(data, shape):
    header = "{'descr': '|u1', 'fortran_order': False, 'shape': %s, }" % (shape,)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for key, name, n in [("x_train", "train-images-idx3-ubyte.gz", 1000), ("y_train", "train-labels-idx1-ubyte.gz", 1000),
                         ("x_test", "t10k-images-idx3-ubyte.gz", 200), ("y_test", "t10k-labels-idx1-ubyte.gz", 200)]:
        z.writestr(key + ".npy", npy(*idx(name, n)))
PY
mkdir -p "$work/wide"
wide=("$bin" train --data "$work/手写数字.npz" --epochs 500 --batch-size 32 --seed 3 --checkpoint "$work/wide/最佳😀.tbmodel")
start_cmd wide 80x24 -- "${wide[@]}"
if "$tui" wait wide '手写数字\.npz' 20 >/dev/null 2>&1 && "$tui" wait wide '最佳😀\.tbmodel' 30 >/dev/null 2>&1 \
    && ! "$tui" screen wide | grep -q '??'; then
    row=$("$tui" screen wide | grep -m1 '手写数字\.npz')
    pass "80x24: the data line shows 手写数字.npz and the checkpoint 最佳😀.tbmodel (no ?): ${row:0:40}"
else
    fail "wide characters not shown (expected 手写数字.npz and 最佳😀.tbmodel)" wide
fi
# Every row is at most 80 columns wide: no wide character pushed the line past the edge.
if "$tui" screen wide | python3 -c '
import sys, unicodedata
w = lambda s: sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in s)
sys.exit(0 if all(w(l) <= 80 for l in sys.stdin.read().split("\n")) else 1)'; then
    pass "80x24 with wide characters: every row fits in 80 columns"
else
    fail "a row is wider than 80 columns" wide
fi
"$tui" keys wide q; "$tui" keys wide q
expect_exit wide 0 "q leaves the dashboard with wide characters"
# The same without a UTF-8 locale, in tmux and recorded by script(1) (the path goes through the environment: script
# writes its command line into the recording).
start_cmd asciiwide 80x24 --env LANG=C --env LC_ALL=C --env TB_DATA="$work/手写数字.npz" -- \
    script -q -f -c "$bin train --data \"\$TB_DATA\" --epochs 500 --batch-size 32" "$work/ascii-wide.out"
if "$tui" wait asciiwide '\?{8}\.npz' 20 >/dev/null 2>&1; then
    sleep 1; "$tui" keys asciiwide q; "$tui" keys asciiwide q; wait_exit asciiwide >/dev/null
    if ! LC_ALL=C grep -q -P '[\x80-\xFF]' "$work/ascii-wide.out" && ! "$tui" screen asciiwide | grep -q '手'; then
        pass "LANG=C: 手写数字.npz drawn as ????????.npz (one ? per column), output pure ASCII"
    else
        fail "LANG=C with a CJK file name: non-ASCII bytes in the output" asciiwide
    fi
else
    fail "LANG=C with a CJK file name: no ????????.npz on screen" asciiwide
fi

echo "$passed passed, $failed failed"
((failed == 0))
