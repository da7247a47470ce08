#!/usr/bin/env bash
# End-to-end test of `trainboard replay` and `trainboard compare` (issue 8): headless summaries of the committed
# Keras 3 CSVLogger fixtures (Tests/Fixtures/keras-logs, made by make_fixtures.py) and of logs Trainboard writes
# itself (CSV and JSON lines, a classifier and a regression on a CSV with a real-valued target), journal marks, exit
# status 2 naming the file and line for bad logs, and the read-only dashboard in tmux (Tests/e2e/tmux-drive).
# Env: TRAINBOARD_BIN  the binary (default .build/debug/trainboard)
source "$(dirname "${BASH_SOURCE[0]}")/cli-lib.sh"
fx=Tests/Fixtures/keras-logs

# contains NAME PATTERN...: the last `run` exited 0 and its output contains every PATTERN (fixed strings).
contains() { local name=$1; shift; check_output "$name" 0 "$@"; }
# squeeze: the output with runs of spaces as one (the table's alignment is not what is checked).
squeeze() { tr -s ' ' <<<"$out"; }

# Headless: one row per run named by its file, best value @ its epoch (counted from 1) for every metric, final lr.
run "$bin" replay "$fx/classifier.csv" --headless
out=$(squeeze)
contains "replay classifier (Keras CSVLogger)" \
    "run epochs loss (min) accuracy (max) val_loss (min) val_accuracy (max) final lr non-finite" \
    "classifier.csv 8 0.243125 @8 0.89375 @7 0.26026 @7 0.9 @4 0.025 -"
run "$bin" replay "$fx/regression.csv"        # stdout is not a terminal: the summary too
out=$(squeeze)
contains "replay regression (mae), stdout not a terminal" "mae (min)" "val_mae (min)" \
    "regression.csv 10 0.177721 @10 0.340991 @10 0.266808 @10 0.385557 @10 0.00330598 -"
run "$bin" replay "$fx/extra-metrics.csv" --headless
out=$(squeeze)
contains "replay extra metrics (auc, precision)" "auc (max)" "precision (max)" "val_auc (max)" \
    "0.959867 @6" "0.951328 @6"
run "$bin" replay "$fx/diverging.csv" --headless
out=$(squeeze)
contains "replay diverging: nan shown" "diverging.csv 7 7.02413 @2" "40.96 loss nan @4" \
    "epoch 4 nan: non-finite: loss nan, mae nan, val_loss nan, val_mae nan"

run "$bin" compare "$fx/classifier.csv" "$fx/classifier-adam.csv" "$fx/extra-metrics.csv" "$fx/regression.csv"
out=$(squeeze)
contains "compare four runs of different lengths and metrics" \
    "classifier.csv 8 0.243125 @8 0.89375 @7 - - - 0.26026 @7 0.9 @4" \
    "classifier-adam.csv 5 0.290431 @5 0.86875 @5 - - - 0.290898 @5 0.866667 @5 - - - - -" \
    "regression.csv 10 0.177721 @10 - - - 0.340991 @10 0.266808 @10 -"
[[ $(wc -l <<<"$out") -eq 5 ]] && pass "compare: a header and one row per run" || fail "compare rows" "$out"

# Logs Trainboard writes itself: a classifier (CSV and JSON lines of the same run agree) and a regression.
run "$bin" train --headless --epochs 3 --max-samples 300 --hidden 16 --csv-log "$work/tb.csv" --log-jsonl "$work/tb.jsonl"
if [[ $status -eq 0 ]]; then
    run "$bin" replay "$work/tb.csv"; a=$(squeeze | tail -n 1 | cut -d' ' -f2-)
    run "$bin" replay "$work/tb.jsonl"; b=$(squeeze | tail -n 1 | cut -d' ' -f2-)
    if [[ -n $a && $a == "$b" && $a == 3\ * ]]; then pass "replay Trainboard's CSV and JSON-lines logs: same bests"
    else fail "Trainboard CSV vs JSON lines" "csv:   $a" "jsonl: $b"; fi
else fail "train for the Trainboard logs" "$out"; fi
awk 'BEGIN { srand(3); print "x1,x2,y"; for (i = 0; i < 300; i++) { a = rand(); b = rand(); printf "%.4f,%.4f,%.4f\n", a, b, 2*a - b + 0.5 } }' >"$work/reg.csv"
run "$bin" train --headless --data "$work/reg.csv" --epochs 2 --hidden 8 --validation-split 0.2 --csv-log "$work/reg-log.csv"
if [[ $status -eq 0 ]]; then
    run "$bin" replay "$work/reg-log.csv"
    contains "replay a Trainboard regression run: mae columns" "loss (min)" "mae (min)" "val_mae (min)"
    grep -q "accuracy" <<<"$out" && fail "regression replay has no accuracy" "$out"
else fail "train a regression" "$out"; fi

# A journal: its actions listed where they happened.
cat >"$work/journal.jsonl" <<'J'
{"action":"pause","epoch":1,"time":2.5,"update":12}
{"action":"lr_scale","epoch":2,"factor":1.25,"learning_rate":0.0625,"time":3,"update":25}
{"action":"checkpoint","epoch":2,"path":"runs/manual-epoch3-update26.tbmodel","time":3.1,"update":26}
J
run "$bin" replay "$fx/classifier.csv" --journal "$work/journal.jsonl" --headless
contains "replay with --journal (epochs from 1)" "epoch 2 pause: paused (update 12)" "epoch 3 lr_change: lr x1.25 -> 0.0625 (update 25)" \
    "epoch 3 checkpoint: checkpoint runs/manual-epoch3-update26.tbmodel (update 26)"
[[ $out != *"is it this run's journal"* ]] && pass "a journal within the log's epochs gets no warning" \
    || fail "a matching journal was warned about" "$out"
# A journal from a longer run: replayed, with a warning naming the first action outside the log.
printf '{"action":"pause","epoch":40,"time":2.5,"update":480}\n' >"$work/other-journal.jsonl"
run "$bin" replay "$fx/classifier.csv" --journal "$work/other-journal.jsonl" --headless
contains "replay with another run's journal warns" "1 of 1 actions fall outside" "the first pause at epoch 40" \
    "is it this run's journal?"

# Bad input: exit 2 naming the file and the line.
printf 'loss,accuracy\n0.5,0.9\n' >"$work/noepoch.csv"
expect_error "no epoch column" "$work/noepoch.csv:1: no 'epoch' column" -- replay "$work/noepoch.csv"
printf 'epoch,loss,val_loss\n0,0.5,0.6\n1,0.4\n' >"$work/ragged.csv"
expect_error "ragged row" "$work/ragged.csv:3: 2 fields, expected 3" -- replay "$work/ragged.csv"
printf 'epoch,note\n0,NA\n1,\n' >"$work/nonumbers.csv"
expect_error "no numeric columns" "$work/nonumbers.csv:1: no numeric columns" -- replay "$work/nonumbers.csv"
printf 'epoch,loss\n0,0.5\n1,zero\n' >"$work/word.csv"
expect_error "a word in a number column" "$work/word.csv:3: column 'loss': expected a number" "'zero'" -- replay "$work/word.csv"
printf '{"epoch":0,"loss":1}\nnot json\n' >"$work/bad.jsonl"
expect_error "a bad JSON line" "$work/bad.jsonl:2: not a JSON object" -- replay "$work/bad.jsonl"
expect_error "compare: a bad second log" "$work/ragged.csv:3:" -- compare "$fx/classifier.csv" "$work/ragged.csv"
expect_error "missing log" "$work/none.csv" -- replay "$work/none.csv"
expect_error "a device" "/dev/zero" "not a regular file" -- replay /dev/zero
mkfifo "$work/fifo.csv"
expect_error "a FIFO is refused, not waited on" "$work/fifo.csv" -- replay "$work/fifo.csv"
expect_error "compare one log" "compare takes 2 to 4 logs, got 1" -- compare "$fx/classifier.csv"
expect_error "compare five logs" "got 5" -- compare "$fx"/classifier.csv "$fx"/classifier.csv "$fx"/classifier.csv \
    "$fx"/classifier.csv "$fx"/classifier.csv
expect_error "--charts names an unlogged metric" "--charts: 'accuracy' is not a metric of the log" "loss, mae" -- \
    replay "$fx/regression.csv" --charts loss,accuracy
printf '{"action":"warp","epoch":0,"update":0,"time":0}\n' >"$work/badjournal.jsonl"
expect_error "bad journal" "$work/badjournal.jsonl:1:" -- replay "$fx/classifier.csv" --journal "$work/badjournal.jsonl"
run "$bin" --help
contains "--help lists replay and compare" "replay" "compare"

# The read-only dashboard in tmux: panels from the log, steering keys off, m / Tab / g / q.
tui="$root/Tests/e2e/tmux-drive"
if command -v tmux >/dev/null; then
    s=tb-replay-$$
    # The exit status through a file: tmux does not always report a dead pane's status.
    "$tui" start "$s" 120x40 -- sh -c '"$0" replay "$1"; echo "rc=$?" >"$2"' "$bin" "$fx/extra-metrics.csv" "$work/tmux.rc"
    if "$tui" wait "$s" "Trainboard replay: extra-metrics.csv" 20 >/dev/null 2>&1 \
        && "$tui" wait "$s" "Accuracy  accuracy 0.916" 5 >/dev/null 2>&1 \
        && "$tui" wait "$s" "auc 0.96/0.951 max 0.951" 5 >/dev/null 2>&1 \
        && "$tui" wait "$s" "off \(read-only\)" 5 >/dev/null 2>&1; then pass "tmux: replay shows the log's metrics"
    else fail "tmux: replay screen" "$("$tui" screen "$s")"; fi
    "$tui" keys "$s" p
    "$tui" wait "$s" "read-only: a finished run cannot be steered" 5 >/dev/null 2>&1 && pass "tmux: p is off" \
        || fail "tmux: p" "$("$tui" screen "$s")"
    "$tui" keys "$s" m
    "$tui" wait "$s" "AUC  auc 0.96" 5 >/dev/null 2>&1 && pass "tmux: m charts the next metric" \
        || fail "tmux: m" "$("$tui" screen "$s")"
    "$tui" keys "$s" Tab
    "$tui" wait "$s" "\[recent\]" 5 >/dev/null 2>&1 && pass "tmux: Tab" || fail "tmux: Tab" "$("$tui" screen "$s")"
    "$tui" keys "$s" q
    for _ in $(seq 50); do [[ -s $work/tmux.rc ]] && break; sleep 0.1; done
    st=$(cat "$work/tmux.rc" 2>/dev/null)
    [[ $st == rc=0 ]] && pass "tmux: q leaves with status 0" || fail "tmux: q" "status '$st'"
    "$tui" stop "$s"
    # The learning-rate column as a chart, on a log scale with g.
    "$tui" start "$s" 100x30 -- "$bin" replay "$fx/classifier.csv"
    "$tui" wait "$s" "Learning rate  applied 0.025" 20 >/dev/null 2>&1 && "$tui" keys "$s" g \
        && "$tui" wait "$s" "applied 0.025  \(log\)" 5 >/dev/null 2>&1 && pass "tmux: learning rate, g" \
        || fail "tmux: learning rate / g" "$("$tui" screen "$s")"
    "$tui" stop "$s"
    # A live regression run (real-valued CSV target): MAE chart and mae / val_mae columns, no accuracy panel.
    "$tui" start "$s" 100x30 -- "$bin" train --data "$work/reg.csv" --epochs 100000 --hidden 8 --validation-split 0.2
    if "$tui" wait "$s" "RUNNING" 60 >/dev/null 2>&1 && "$tui" wait "$s" "MAE  mae [0-9.]+  val_mae" 10 >/dev/null 2>&1 \
        && "$tui" wait "$s" "loss +mae +vloss +vmae" 5 >/dev/null 2>&1 && ! "$tui" screen "$s" | grep -qi "accuracy"; then
        pass "tmux: a regression run charts mae, not accuracy"
    else fail "tmux: regression dashboard" "$("$tui" screen "$s")"; fi
    "$tui" keys "$s" q; sleep 0.5; "$tui" keys "$s" q
    for _ in $(seq 50); do "$tui" alive "$s" || break; sleep 0.1; done
    "$tui" stop "$s"
else
    echo "skip tmux checks (no tmux)"
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
