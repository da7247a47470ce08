#!/usr/bin/env bash
# Real programs on both ends of the attach protocol (issue 11, docs/attach-protocol.md): Trainboard's dashboard
# (`trainboard attach PATH`, in tmux through Tests/e2e/tmux-drive) steering
#   1. a real Keras 3 fit (from PyPI, JAX CPU backend; python/examples/keras_mlp.py with TrainboardCallback, a 784-64-10
#      MLP on 4,096 random samples, 64 batches an epoch, 20 ms pause after each batch), and
#   2. a plain NumPy loop with trainboard.Session (python/examples/numpy_loop.py).
# What Keras does is read from Keras itself, not from the protocol: keras_mlp.py --record writes, before each batch,
# the optimizer's `iterations` and `learning_rate`; --history dumps fit's History at the end. A headless client
# (`trainboard attach --headless`) attached from the start prints every ack with its update.
# Checks (Keras): `p` stops the batches (no --record row for 2 s) and `p` again resumes; `l` + "0.0123" + Enter: the
# batch making the ack's update is the first that Keras's optimizer runs at 0.0123 (the one before ran at 0.01); `+`
# makes it 0.015375 (x1.25) from the ack's update; `c` writes a .keras file that keras.saving.load_model loads (50,890
# parameters, the rate set); `q` detaches (exit 0) and the fit goes on; attaching again (headless and the dashboard)
# shows the history from epoch 1; `s` ends fit early (exit 0) and the History dump has every epoch the run reported,
# with the same losses.
# Checks (NumPy): the same p / p / l / + (its --record: the rate each step used) / c (the .npy loads) / q / re-attach /
# s. Both: the key hints say "q: detach"; the model line and samples/s come from the run's hello; `trainboard ls`
# lists the Keras run.
# The Python package is used from a copy of python/ on PYTHONPATH (Tests/e2e/python.sh checks `pip install ./python`).
#
# Usage: Tests/e2e/keras-attach.sh   (env: TRAINBOARD_BIN, default .build/debug/trainboard; ORACLE_VENV, PYTHON as
# Tests/e2e/pyvenv.sh). About 1 min once the venv exists. Prints "N passed, M failed"; exit 0 only if all passed
# (1 if the venv cannot be built: never skipped; 2 on another setup failure).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 2
tui="$root/Tests/e2e/tmux-drive"
[[ -x $tui ]] || { echo "keras-attach: $tui is missing or not executable" >&2; exit 2; }
command -v tmux >/dev/null || { echo "keras-attach: tmux is required" >&2; exit 2; }
bin=${TRAINBOARD_BIN:-.build/debug/trainboard}
[[ $bin == /* ]] || bin="$root/$bin"
[[ -x $bin ]] || { echo "keras-attach: no binary at $bin (build first)" >&2; exit 2; }
# shellcheck source=Tests/e2e/pyvenv.sh
source "$root/Tests/e2e/pyvenv.sh"

# shellcheck source=Tests/e2e/scratch.sh
source "$root/Tests/e2e/scratch.sh" tb-keras-attach
source "$root/Tests/e2e/lib.sh"
cd "$work" || exit 2
export XDG_RUNTIME_DIR="$work/xdg"
mkdir -m 700 "$XDG_RUNTIME_DIR" run ckpt
cp -R "$root/python" "$work/pkg"
export PYTHONPATH="$work/pkg" PYTHONDONTWRITEBYTECODE=1 KERAS_BACKEND=jax JAX_PLATFORMS=cpu

wait_grep() { local i; for i in $(seq $(($3 * 10))); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
rows() { [[ -f $1 ]] && wc -l <"$1" || echo 0; }
wait_rows() { local i; for i in $(seq $(($3 * 10))); do (($(rows "$1") >= $2)) && return 0; sleep 0.1; done; return 1; }
batch_label() { "$tui" screen "$1" | sed -n 's/.*batch [^0-9]*\([0-9][0-9]*\/[0-9][0-9]*\).*/\1/p' | head -n1; }
epoch_label() { "$tui" screen "$1" | sed -n 's/.*epoch [^0-9]*\([0-9][0-9]*\/[0-9][0-9]*\).*/\1/p' | head -n1; }
# record_lr FILE KEY N: the learning_rate of the --record row whose KEY (iterations / update) is N, or nothing.
record_lr() {
    "$oracle_python" - "$@" <<'PY'
import json, sys
path, key, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for line in open(path):
    if line.endswith("\n"):
        row = json.loads(line)
        if row[key] == n:
            print(repr(row["learning_rate"]))
            break
PY
}
near() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= 1e-7 * b) }'; }
# history_matches HISTORY.json WATCH.out: the History's epochs are exactly the epochs the headless client printed
# (count, and each loss as printed to 4 decimals).
history_matches() {
    "$oracle_python" - "$@" <<'PY'
import json, re, sys
history = json.load(open(sys.argv[1]))
printed = [float(m) for m in re.findall(r"^\d+/\d+ - .*?\bloss: ([0-9.e+-]+)", open(sys.argv[2]).read(), re.M)]
losses = history["loss"]
ok = len(losses) == len(printed) and all(abs(a - b) <= 6e-5 for a, b in zip(losses, printed))
print(f"{len(losses)} epochs in the History, {len(printed)} printed by the client; first loss {losses[:1]} vs {printed[:1]}")
sys.exit(0 if ok and losses else 1)
PY
}

# steer NAME SOCKET RECORD KEY OLD_LR LABEL CKDIR CKGLOB MODEL: the checks both runs share, through the dashboard NAME
# attached to SOCKET and the headless client's output NAME-watch.out. KEY is the --record field that counts updates
# ("iterations" before the batch for Keras: the batch making update U records U - 1; "update" for the NumPy loop: the
# update the step made). MODEL: a regex of the expected model line. Sets `checkpoint` to the file that `c` wrote (the
# run's default name, matching CKGLOB in CKDIR).
steer() {
    local name=$1 sock=$2 record=$3 key=$4 old=$5 label=$6 ckdir=$7 ckglob=$8 model=$9
    local watch="$work/$name-watch.out"
    "$tui" wait "$name" 'epoch [^0-9]*[0-9]+/[0-9]+' 60 >/dev/null && pass "$label: the dashboard shows the run" \
        || fail "$label: attached dashboard" "$name"
    "$tui" screen "$name" | tail -n 1 | grep -q 'q: detach' && ! "$tui" screen "$name" | tail -n 1 | grep -q quit \
        && pass "$label: the key hints say 'q: detach'" || fail "$label: key hints" "$name"
    "$tui" wait "$name" "$model" 5 >/dev/null && "$tui" wait "$name" 'samples/s [1-9]' 20 >/dev/null \
        && pass "$label: the model line and samples/s: $("$tui" screen "$name" | grep -oE 'samples/s [0-9.k]+')" \
        || fail "$label: model line '$model' or samples/s" "$name"
    wait_rows "$record" 5 30 || fail "$label: no batches recorded"

    # p: no batch for 2 s; p again: batches go on.
    "$tui" keys "$name" p
    if wait_grep "$watch" '^ack pause #[0-9]+ from [0-9]+: ok' 15; then
        sleep 0.3
        local r1 r2 b1 b2
        r1=$(rows "$record"); b1=$(batch_label "$name"); sleep 2; r2=$(rows "$record"); b2=$(batch_label "$name")
        [[ $r1 == "$r2" && -n $b1 && $b1 == "$b2" ]] && pass "$label: p pauses (no batch for 2 s: $r1 rows, batch $b1)" \
            || fail "$label: p: record rows $r1 -> $r2, batch $b1 -> $b2" "$name"
        "$tui" screen "$name" | grep -qE 'PAUSED|paused' && pass "$label: the dashboard shows the pause" \
            || fail "$label: no paused state on the dashboard" "$name"
        "$tui" keys "$name" p
        wait_grep "$watch" '^ack resume #[0-9]+ from [0-9]+: ok' 15 && wait_rows "$record" $((r2 + 5)) 15 \
            && pass "$label: p again resumes ($r2 -> $(rows "$record") rows)" || fail "$label: resume: $(tail -n 2 "$watch")" "$name"
    else
        fail "$label: no pause ack: $(tail -n 3 "$watch")" "$name"
    fi

    # l: type 0.0123 at the prompt; the first batch of the ack's update runs at it.
    "$tui" keys "$name" l
    "$tui" wait "$name" 'learning rate: _' 5 >/dev/null || fail "$label: l opened no prompt" "$name"
    "$tui" keys "$name" 0 . 0 1 2 3 Enter
    if wait_grep "$watch" '^ack set_lr #[0-9]+ from [0-9]+: ok at update [0-9]+' 15; then
        local u first before
        u=$(sed -n 's/^ack set_lr #[0-9]* from [0-9]*: ok at update \([0-9]*\).*/\1/p' "$watch" | head -n1)
        local at=$u; [[ $key == iterations ]] && at=$((u - 1))
        for _ in $(seq 100); do first=$(record_lr "$record" "$key" "$at"); [[ -n $first ]] && break; sleep 0.1; done
        before=$(record_lr "$record" "$key" $((at - 1)))
        near "$first" 0.0123 && near "$before" "$old" \
            && pass "$label: l 0.0123: the optimizer reports $first at the batch of update $u (ack), $before before" \
            || fail "$label: l: at update $u the record has '$first', before it '$before' (expected 0.0123, $old)"
    else
        fail "$label: no set_lr ack: $(tail -n 3 "$watch")" "$name"
    fi

    # +: the rate x1.25 (scale_lr) from the next batch.
    "$tui" keys "$name" +
    if wait_grep "$watch" '^ack scale_lr #[0-9]+ from [0-9]+: ok at update [0-9]+' 15; then
        local su sat scaled
        su=$(sed -n 's/^ack scale_lr #[0-9]* from [0-9]*: ok at update \([0-9]*\).*/\1/p' "$watch" | head -n1)
        sat=$su; [[ $key == iterations ]] && sat=$((su - 1))
        for _ in $(seq 100); do scaled=$(record_lr "$record" "$key" "$sat"); [[ -n $scaled ]] && break; sleep 0.1; done
        near "$scaled" 0.015375 && pass "$label: + scales the rate: $scaled (0.0123 x 1.25) from update $su" \
            || fail "$label: +: at update $su the record has '$scaled' (expected 0.015375)"
    else
        fail "$label: no scale_lr ack: $(tail -n 3 "$watch")" "$name"
    fi

    # c: a checkpoint, reported with its path.
    "$tui" keys "$name" c
    if wait_grep "$watch" '^event checkpoint ' 30; then
        checkpoint=$(find "$ckdir" -maxdepth 1 -type f -name "$ckglob" | head -n1)
    else
        checkpoint=""
        fail "$label: no checkpoint event: $(tail -n 3 "$watch")" "$name"
    fi

    # q: detach; the run goes on.
    "$tui" keys "$name" q
    expect_exit "$name" 0 "$label: q detaches"
    local n; n=$(rows "$record")
    wait_rows "$record" $((n + 10)) 20 && pass "$label: the run goes on after the detach ($n -> $(rows "$record") rows)" \
        || fail "$label: no batches after q ($n rows)"
    "$tui" stop "$name"

    # Attaching again: the history from the first epoch.
    wait_grep "$watch" '^Epoch 2/' 60 || fail "$label: the run did not reach epoch 2"
    # The history has every epoch the first client had seen before the attach, and none it had not seen after.
    local hist before after
    before=$(grep -c '^Epoch ' "$watch")
    timeout 4 "$bin" attach --headless "$sock" >"$work/$name-again.out" 2>&1
    after=$(grep -c '^Epoch ' "$watch")
    hist=$(sed -n '1,/^(history/p' "$work/$name-again.out" | grep -c '^Epoch ')
    grep -q '^(history: ' "$work/$name-again.out" && [[ $(grep -m1 '^Epoch ' "$work/$name-again.out") == "Epoch 1/"* ]] \
        && ((hist >= before && hist <= after && hist >= 2)) \
        && pass "$label: attaching again replays the history from Epoch 1 ($hist epochs; the first client saw $before before, $after after)" \
        || fail "$label: re-attach: $hist epochs in the history, $before..$after seen: $(head -n 4 "$work/$name-again.out")"
    # A tall pane: its epoch table has room for the newest ~25 epochs (the runs are paced to do fewer by now).
    start_cmd "$name" 120x60 -- "$bin" attach "$sock"
    "$tui" wait "$name" 'epoch [^0-9]*[0-9]+/[0-9]+' 60 >/dev/null || fail "$label: re-attached dashboard" "$name"
    local e; e=$(epoch_label "$name"); e=${e%%/*}
    # Its epoch table starts at epoch 1: the first row under the header is "1" with the loss that the first client
    # printed for epoch 1 (to the table's 3 digits).
    local row cells loss1
    row=$("$tui" screen "$name" | awk '/ (epoch|ep) +loss / { h = 1; next } h { print; exit }')
    cells=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "1") { for (j = i; j <= NF; j++) printf "%s ", $j; exit } }' <<<"$row")
    loss1=$(grep -m1 -oE '^[0-9]+/[0-9]+ - .* - loss: [0-9.e+-]+' "$watch" | sed 's/.* - loss: //')
    ((e >= 2)) && [[ -n $cells && -n $loss1 ]] \
        && awk -v t="$(awk '{ print $2 }' <<<"$cells")" -v w="$loss1" 'BEGIN { d = t - w; if (d < 0) d = -d; exit !(d <= 0.006 * w) }' \
        && pass "$label: the re-attached dashboard is at epoch $e; its table starts at epoch 1 ($cells; loss $loss1)" \
        || fail "$label: re-attached at epoch '$e', first table row '$row' (epoch 1's loss $loss1)" "$name"
}

# --- 1. Keras 3 on JAX ----------------------------------------------------------------------------------------------
start=$SECONDS
ksock="$work/run/mlp.sock"
"$oracle_python" "$work/pkg/examples/keras_mlp.py" --listen "$ksock" --data random --samples 4096 --epochs 200 \
    --batch-size 64 --learning-rate 0.01 --delay 0.02 --checkpoint-dir "$work/ckpt" --record "$work/krecord.jsonl" \
    --history "$work/khistory.json" >keras.out 2>keras.err &
kpid=$!; pids+=("$kpid")
wait_grep keras.err "listening on $ksock" 90 || { echo "keras-attach: the Keras run did not listen:"; cat keras.err; exit 2; }
out=$("$bin" ls 2>&1)
grep -qE "^keras-mlp +$kpid +keras 3\.[0-9.]+ \(jax\) +$ksock " <<<"$out" && pass "Keras: trainboard ls lists the run" \
    || fail "Keras: ls: $out"
"$bin" attach --headless "$ksock" >"$work/keras-watch.out" 2>"$work/keras-watch.err" &
pids+=("$!")
start_cmd keras 120x40 -- "$bin" attach "$ksock"
steer keras "$ksock" "$work/krecord.jsonl" iterations 0.01 Keras "$work/ckpt" "*.keras" 'Model: "keras-mlp" \(50890 params\)'
if [[ -n $checkpoint ]] && out=$("$oracle_python" -c '
import sys, keras
model = keras.saving.load_model(sys.argv[1])
print(model.name, model.count_params(), float(model.optimizer.learning_rate))' "$checkpoint" 2>&1) \
    && [[ $(tail -n1 <<<"$out") == "keras-mlp 50890 "* ]]; then
    pass "Keras: c wrote $(basename "$checkpoint"), which keras.saving.load_model loads ($(tail -n1 <<<"$out"))"
else
    fail "Keras: checkpoint '$checkpoint': ${out:-none}"
fi
# s: fit returns early with the History of every epoch done.
"$tui" keys keras s
for _ in $(seq 300); do kill -0 "$kpid" 2>/dev/null || break; sleep 0.1; done
wait "$kpid"; rc=$?
epochs=$(sed -n 's/^fit returned after \([0-9]*\) epoch(s)$/\1/p' keras.out)
((rc == 0)) && [[ -n $epochs ]] && ((epochs < 200)) && pass "Keras: s ends fit early (exit 0, $epochs of 200 epochs)" \
    || fail "Keras: s: exit $rc: $(tail -n 3 keras.out) $(tail -n 3 keras.err)"
wait_grep "$work/keras-watch.out" '^Run ended: ' 10
grep -q "^Run ended: stopped after epoch $epochs " "$work/keras-watch.out" \
    && out=$(history_matches "$work/khistory.json" "$work/keras-watch.out") \
    && pass "Keras: the History is intact: $out" || fail "Keras: History: ${out:-} / $(tail -n 2 "$work/keras-watch.out")"
"$tui" wait keras "stopped after epoch $epochs" 15 >/dev/null && pass "Keras: the dashboard shows the end" || fail "Keras: end" keras
"$tui" keys keras q
expect_exit keras 0 "Keras: q leaves after the end"
echo "(Keras part: $((SECONDS - start)) s)"

# --- 2. A NumPy loop with trainboard.Session -----------------------------------------------------------------------
start=$SECONDS
mkdir loopdir
nsock="$work/run/loop.sock"
(cd loopdir && exec "$oracle_python" "$work/pkg/examples/numpy_loop.py" --listen "$nsock" --epochs 1000 --delay 0.04 \
    --record "$work/nrecord.jsonl" --history "$work/nhistory.json") >numpy.out 2>numpy.err &
npid=$!; pids+=("$npid")
wait_grep numpy.err "listening on $nsock" 30 || { fail "the NumPy loop did not listen: $(cat numpy.err)"; }
"$bin" attach --headless "$nsock" >"$work/numpy-watch.out" 2>"$work/numpy-watch.err" &
pids+=("$!")
start_cmd numpy 120x40 -- "$bin" attach "$nsock"
steer numpy "$nsock" "$work/nrecord.jsonl" update 0.1 NumPy "$work/loopdir" "weights-*.npy" \
    'logistic regression, 8 inputs \(8 params\)'
if [[ -n $checkpoint ]] && out=$("$oracle_python" -c '
import sys, numpy
w = numpy.load(sys.argv[1])
print(w.shape, bool(numpy.isfinite(w).all() and abs(w).sum() > 0))' "$checkpoint" 2>&1) && [[ $out == "(8,) True" ]]; then
    pass "NumPy: c wrote $(basename "$checkpoint"), which numpy.load reads ($out)"
else
    fail "NumPy: checkpoint '$checkpoint': ${out:-none}"
fi
"$tui" keys numpy s
for _ in $(seq 300); do kill -0 "$npid" 2>/dev/null || break; sleep 0.1; done
wait "$npid"; rc=$?
wait_grep "$work/numpy-watch.out" '^Run ended: ' 10
epochs=$(grep -c '^epoch [0-9]*: loss' numpy.out)
((rc == 0)) && ((epochs >= 2 && epochs < 1000)) && grep -q "^Run ended: stopped after epoch $epochs " "$work/numpy-watch.out" \
    && pass "NumPy: s ends the loop early (exit 0, $epochs epochs)" \
    || fail "NumPy: s: exit $rc, $epochs epochs: $(tail -n 2 numpy.err) $(tail -n 2 "$work/numpy-watch.out")"
out=$(history_matches "$work/nhistory.json" "$work/numpy-watch.out") && pass "NumPy: the history is intact: $out" \
    || fail "NumPy: history: $out"
"$tui" wait numpy "stopped after epoch $epochs" 15 >/dev/null && pass "NumPy: the dashboard shows the end" || fail "NumPy: end" numpy
"$tui" keys numpy q
expect_exit numpy 0 "NumPy: q leaves after the end"
echo "(NumPy part: $((SECONDS - start)) s)"

echo "$passed passed, $failed failed"
((failed == 0))
