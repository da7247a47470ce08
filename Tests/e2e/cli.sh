#!/usr/bin/env bash
# End-to-end tests of the trainboard command line (no terminal: every run here is headless because stdout is a
# file or a pipe). Checks --help, exit status 2 with a useful message for bad flags, config, data and themes,
# headless epoch lines, CSV and JSON-lines logs, seeded reproducibility, SIGINT (exit 130 with complete logs),
# `themes` and `info`.
#
# Usage: Tests/e2e/cli.sh        (from anywhere; builds nothing)
# Env:   TRAINBOARD_BIN  the binary (default .build/debug/trainboard, relative to the repository root)
# Needs: Fashion-MNIST at /usr/share/datasets/fashion-mnist (training checks), python3 (JSON check).
# Exit status: 0 if every check passed, 1 if any failed, 2 if the setup failed.
set -uo pipefail

# shellcheck source=Tests/e2e/cli-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli-lib.sh"

# Epoch summary lines ("16/16 - 1s - 40ms/step - accuracy: ...") of a headless run's output.
epoch_lines() { grep -E '^[0-9]+/[0-9]+ - ' "$1"; }
# The same without the timing fields (total seconds, time per step).
untimed() { epoch_lines "$1" | sed -E 's#^([0-9]+/[0-9]+) - [0-9]+s - [0-9]+(s|ms|us)/step#\1#'; }

# --- help -----------------------------------------------------------------------------------------------------------
for help in --help -h help "train --help"; do
    run "$bin" $help
    missing=()
    for flag in --data --epochs --batch-size --hidden --dropout --activation --init --loss --optimizer --lr --momentum \
                --decay --nesterov --schedule --early-stopping --reduce-lr-on-plateau --checkpoint --save-best-only \
                --monitor --csv-log --log-jsonl --validation-split --max-samples --seed --headless --config \
                --label-column --drop-missing --rescale --normalize; do
        grep -qE -- "(^|[^a-z-])$flag([^a-z-]|$)" <<<"$out" || missing+=("$flag")
    done
    if [[ $status -eq 0 && ${#missing[@]} -eq 0 ]]; then pass "$help lists every flag"
    else fail "$help lists every flag" "status $status, missing: ${missing[*]:-}"; fi
done

# --- bad input: exit status 2 and a message naming the problem -----------------------------------------------------
expect_error "--epochs 0" "--epochs" "0" -- --epochs 0
expect_error "--hidden 64,x" "--hidden" "'x'" -- --hidden 64,x
expect_error "--dropout 1.5" "--dropout" "1.5" -- --dropout 1.5
expect_error "--optimizer lbfgs" "--optimizer" "lbfgs" -- --optimizer lbfgs
expect_error "--schedule bogus:k=1" "--schedule" "bogus" -- --schedule bogus:k=1
expect_error "--lr=-0.1" "--lr: must be >= 0" "-0.1" -- --lr=-0.1
expect_error "--lr nan" "--lr: must be >= 0" "nan" -- --lr nan
expect_error "--lr inf" "--lr: must be >= 0" "inf" -- --lr inf
printf 'lr: -1\n' >"$work/negative-lr.yaml"
expect_error "config: lr -1 names the file" "$work/negative-lr.yaml: lr: must be >= 0" -- --config "$work/negative-lr.yaml"
expect_error "--monitor val_acc (EarlyStopping)" "--monitor: EarlyStopping monitors 'val_acc'" \
    "accuracy, learning_rate, loss, val_accuracy, val_loss" -- --monitor val_acc --early-stopping on --max-samples 100
expect_error "--monitor val_acc (ReduceLROnPlateau)" "ReduceLROnPlateau monitors 'val_acc'" "val_accuracy" -- \
    --monitor val_acc --reduce-lr-on-plateau on --max-samples 100
expect_error "--monitor val_acc (--save-best-only)" "ModelCheckpoint monitors 'val_acc'" "val_accuracy" -- \
    --monitor val_acc --checkpoint "$work/ckpt.tbmodel" --save-best-only --max-samples 100
expect_error "--early-stopping monitor=learning_rate (mode auto)" "--early-stopping:" "mode=min or mode=max" -- \
    --early-stopping monitor=learning_rate --max-samples 100
expect_error "--checkpoint path field not logged" "--checkpoint: the path's field {val_acc}" "val_accuracy" -- \
    --checkpoint "$work/m-{val_acc:.2f}.tbmodel" --max-samples 100
expect_error "--early-stopping patience=x" "--early-stopping" "patience=x" -- --early-stopping patience=x
expect_error "--reduce-lr-on-plateau factor=2" "--reduce-lr-on-plateau" "factor" -- --reduce-lr-on-plateau factor=2
expect_error "--epochs abc (parser)" "--epochs" "abc" -- --epochs abc
expect_error "unknown flag" "--bogus-flag" -- --bogus-flag 3
expect_error "--config /nonexistent.yaml" "/nonexistent.yaml" -- --config /nonexistent.yaml

printf 'epochs: 2\nbatch_size: 64\n' >"$work/unknown-key.yaml"
expect_error "config: unknown key" "unknown-key.yaml" "batch_size" "batch-size" -- --config "$work/unknown-key.yaml"
printf 'epochs: many\n' >"$work/wrong-type.yaml"
expect_error "config: wrong type" "$work/wrong-type.yaml: epochs: expected a whole number, got 'many'" -- \
    --config "$work/wrong-type.yaml"
printf 'nesterov: maybe\n' >"$work/wrong-bool.yaml"
expect_error "config: wrong type (bool)" "wrong-bool.yaml: nesterov: expected true or false, got 'maybe'" -- \
    --config "$work/wrong-bool.yaml"
printf 'epochs: [2\nlr: : 1\n' >"$work/broken.yaml"
expect_error "config: invalid YAML" "broken.yaml" "YAML" -- --config "$work/broken.yaml"
printf 'epochs: 0\n' >"$work/zero-epochs.yaml"
expect_error "config: bad value names the file" "$work/zero-epochs.yaml: epochs: must be at least 1" -- \
    --config "$work/zero-epochs.yaml"
printf 'dropout: 1.5\n' >"$work/run-dropout.yaml"
expect_error "config: bad dropout names the file" "$work/run-dropout.yaml: dropout: must be in [0, 1), got 1.5" -- \
    --config "$work/run-dropout.yaml"
expect_error "bad flag over a config stays a flag error" "--dropout: must be in [0, 1), got 1.2" -- \
    --config "$work/run-dropout.yaml" --dropout 1.2
printf 'max-samples: 0\n' >"$work/zero-samples.yaml"
expect_error "config: max-samples 0" "zero-samples.yaml: max-samples: must be at least 1" -- \
    --config "$work/zero-samples.yaml"
expect_error "--max-samples 0" "--max-samples: must be at least 1" -- --max-samples 0 --epochs 1
expect_error "--hidden 64,,64" "--hidden" "'64,,64'" "empty" -- --hidden 64,,64
expect_error "--replay-journal /nonexistent" "--replay-journal: cannot read /nonexistent: no such file" -- \
    --replay-journal /nonexistent --epochs 1
expect_error "--theme missing file" "cannot read theme file themes/nosuch.theme: no such file" -- \
    --theme themes/nosuch.theme --epochs 1

# An unwritable checkpoint directory (root passes permission bits; /proc takes no new files) fails before training.
run "$bin" --checkpoint /proc/x.tbmodel --max-samples 100 --epochs 1 </dev/null
if [[ $status -eq 2 ]] && grep -qF -- "--checkpoint: cannot write in /proc: " <<<"$out" \
    && ! grep -q 'Epoch 1' <<<"$out" && ! grep -q 'Error Domain' <<<"$out"; then
    pass "--checkpoint in an unwritable directory exits 2 before training"
else
    fail "--checkpoint in an unwritable directory exits 2 before training" "status $status" "${out:0:600}"
fi

# Every config key is a train flag and every train flag (but --config) a config key.
run "$bin" train --help
flags=$(grep -oE -- '--[a-z][a-z-]*' <<<"$out" | sed 's/^--//' | grep -vxE 'help|version|config|no-.*' | sort -u)
printf 'bogus-key: 1\n' >"$work/bogus-key.yaml"
run "$bin" --config "$work/bogus-key.yaml"
keys=$(sed -n 's/.*known keys: //p' <<<"$out" | tr ',' '\n' | tr -d ' ' | grep -v '^$' | sort -u)
if [[ -n $keys && -n $flags && $keys == "$flags" ]]; then pass "config keys and train flags match"
else fail "config keys and train flags match" "$(diff <(echo "$keys") <(echo "$flags"))"; fi

expect_error "--data /nonexistent" "/nonexistent" -- --data /nonexistent

# A directory of IDX files whose training images stop after 100 of the 2*28*28 pixels.
idx="$work/idx"
mkdir -p "$idx"
{ printf '\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x1c\x00\x00\x00\x1c'; head -c 100 /dev/zero; } \
    >"$idx/train-images-idx3-ubyte"
printf '\x00\x00\x08\x01\x00\x00\x00\x02\x00\x01' >"$idx/train-labels-idx1-ubyte"
{ printf '\x00\x00\x08\x03\x00\x00\x00\x01\x00\x00\x00\x1c\x00\x00\x00\x1c'; head -c 784 /dev/zero; } \
    >"$idx/t10k-images-idx3-ubyte"
printf '\x00\x00\x08\x01\x00\x00\x00\x01\x00' >"$idx/t10k-labels-idx1-ubyte"
expect_error "truncated IDX file" "train-images-idx3-ubyte" "truncated" -- --data "$idx" --epochs 1

printf 'a,b,label\n1,2,0\n3,4\n5,6,1\n' >"$work/ragged.csv"
expect_error "CSV with a ragged row" "ragged.csv:3" -- --data "$work/ragged.csv" --epochs 1

# --- data people bring (issue 6): CSV label column, missing cells, scaling ----------------------------------------
# MNIST in CSV: no header, the label first, 784 pixels 0-255 (the last pixel always 0). 40 rows, labels 0-9.
awk 'BEGIN { for (i = 0; i < 40; i++) { printf "%d", i % 10; for (j = 0; j < 784; j++) printf ",%d", (j == 783 ? 0 : (i * 31 + j * 7) % 256); printf "\n" } }' \
    >"$work/mnist_train.csv"
expect_error "headerless label-first CSV: the constant last column is refused" \
    "mnist_train.csv: label column 784 (the last; no header) has the single value 0 in all 40 rows" "--label-column" -- \
    --data "$work/mnist_train.csv" --epochs 1
run "$bin" --data "$work/mnist_train.csv" --label-column 0 --validation-split 0.25 --epochs 1 --headless </dev/null
if [[ $status -eq 0 ]] && grep -qF "40 train (last 10 held out for validation), 784 features, 10 classes; label column 0 (no header); pixels 0-255 scaled by 1/255 (--rescale 1 keeps them raw)" <<<"$out" \
    && grep -qE '^1/1 - .*val_accuracy' <<<"$out"; then
    pass "--label-column 0: 10 classes, pixels scaled by 1/255, held-out count in the data line"
else
    fail "--label-column 0: 10 classes, pixels scaled by 1/255, held-out count in the data line" "status $status" "${out:0:800}"
fi
run "$bin" --data "$work/mnist_train.csv" --label-column 0 --rescale 1 --epochs 1 --headless </dev/null
if [[ $status -eq 0 ]] && grep -qF "label column 0 (no header); features x 1 (--rescale)" <<<"$out"; then
    pass "--rescale 1 keeps raw pixels and says so"
else
    fail "--rescale 1 keeps raw pixels and says so" "status $status" "${out:0:800}"
fi
printf 'label-column: 0\nnormalize: true\nepochs: 1\nheadless: true\n' >"$work/data-keys.yaml"
run "$bin" --data "$work/mnist_train.csv" --config "$work/data-keys.yaml" </dev/null
if [[ $status -eq 0 ]] && grep -qF "label column 0 (no header); normalized with the mean and std of the 40 training samples" <<<"$out"; then
    pass "YAML label-column and normalize"
else
    fail "YAML label-column and normalize" "status $status" "${out:0:800}"
fi
printf 'a,b,label\n1,2,0\n3,nan,1\n5,,1\n7,8,1\n9,10,0\n' >"$work/nan.csv"
expect_error "CSV with a nan cell" "nan.csv:3: column 2: 'nan' is a missing value or not a finite number" \
    "--drop-missing" -- --data "$work/nan.csv" --epochs 1
run "$bin" --data "$work/nan.csv" --drop-missing --epochs 1 --headless </dev/null
if [[ $status -eq 0 ]] && grep -qF "3 train, 2 features, 2 classes; label column 2 (\"label\"); 2 rows with missing values dropped" <<<"$out"; then
    pass "--drop-missing drops and counts the rows"
else
    fail "--drop-missing drops and counts the rows" "status $status" "${out:0:800}"
fi
printf 'a,b,label\n1,2,0\n3,4,1\n5,6,2.5\n' >"$work/frac.csv"
expect_error "non-integral class label" "frac.csv:4: label column 2: label '2.5' is not an integer class index" -- \
    --data "$work/frac.csv" --loss categorical_crossentropy --epochs 1
printf 'income,age,label\n52000,31,1\n61000,45,0\n18000,22,1\n' >"$work/people.csv"
run "$bin" --data "$work/people.csv" --epochs 1 --headless </dev/null
if [[ $status -eq 0 ]] && grep -qF "warning: " <<<"$out" && grep -qF -- "--normalize" <<<"$out"; then
    pass "large unscaled features: a warning naming --normalize"
else
    fail "large unscaled features: a warning naming --normalize" "status $status" "${out:0:800}"
fi
expect_error "--rescale 0" "--rescale: must be a finite non-zero factor" -- --rescale 0 --epochs 1
expect_error "--label-column on IDX data" "--label-column: applies to CSV files only" -- --label-column 0 --epochs 1

touch "$work/plain-file"
expect_error "--csv-log under a regular file" "--csv-log" "$work/plain-file/x.csv" "not a directory" -- \
    --csv-log "$work/plain-file/x.csv" --epochs 1
expect_error "--log-jsonl is a directory" "--log-jsonl" "is a directory" -- --log-jsonl "$work" --epochs 1

expect_error "--theme nosuchtheme" "nosuchtheme" -- --theme nosuchtheme --epochs 1
printf '# a theme\ntheme[text]="#d0d0d0"\nthis line is not a theme entry\n' >"$work/bad.theme"
expect_error "theme file with a malformed line" "bad.theme:3" -- --theme "$work/bad.theme" --epochs 1
expect_error "themes <bad file>" "bad.theme:3" -- themes "$work/bad.theme"

# --- headless training ----------------------------------------------------------------------------------------------
if [[ ! -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]]; then
    fail "training checks" "Fashion-MNIST is not installed at /usr/share/datasets/fashion-mnist"
else
    # Piped stdout: headless, Keras verbose=2 lines.
    "$bin" --max-samples 1000 --epochs 2 --seed 3 --csv-log "$work/logs/a.csv" --log-jsonl "$work/a.jsonl" \
        2>"$work/a.err" </dev/null | cat >"$work/a.out"
    st=${PIPESTATUS[0]}
    if [[ $st -eq 0 ]] && grep -qx 'Epoch 1/2' "$work/a.out" && grep -qx 'Epoch 2/2' "$work/a.out" \
        && [[ $(epoch_lines "$work/a.out" | grep -c 'val_accuracy: .* learning_rate: ') -eq 0 ]] \
        && [[ $(epoch_lines "$work/a.out" | grep -cE '^8/8 - [0-9]+s - [0-9]+(s|ms|us)/step - accuracy: [0-9.]+ - learning_rate: [0-9.e+-]+ - loss: [0-9.]+ - val_accuracy: [0-9.]+ - val_loss: [0-9.]+$') -eq 2 ]]; then
        pass "piped stdout runs headless with Keras epoch lines"
    else
        fail "piped stdout runs headless with Keras epoch lines" "status $st" "$(head -c 1500 "$work/a.out")" \
            "$(tail -c 600 "$work/a.err")"
    fi

    if [[ -f $work/logs/a.csv ]] && [[ $(wc -l <"$work/logs/a.csv") -eq 3 ]] \
        && [[ $(head -1 "$work/logs/a.csv") == "epoch,accuracy,learning_rate,loss,val_accuracy,val_loss" ]] \
        && grep -q '^0,' "$work/logs/a.csv" && grep -q '^1,' "$work/logs/a.csv"; then
        pass "--csv-log has a header and 2 rows"
    else
        fail "--csv-log has a header and 2 rows" "$(cat "$work/logs/a.csv" 2>&1)"
    fi

    if [[ -f $work/a.jsonl ]] && python3 - "$work/a.jsonl" <<'EOF' >"$work/json.err" 2>&1; then
import json, sys
def reject(c): raise ValueError("non-standard JSON constant " + c)
lines = open(sys.argv[1]).read().splitlines()
events = [json.loads(l, parse_constant=reject)["event"] for l in lines]
assert events == ["epoch", "epoch", "train_end"], events
EOF
        pass "--log-jsonl lines are valid JSON"
    else
        fail "--log-jsonl lines are valid JSON" "$(cat "$work/json.err" 2>/dev/null)" "$(head -c 600 "$work/a.jsonl" 2>&1)"
    fi

    # Same seed: the same epoch lines except the timings; another seed: different numbers.
    "$bin" --max-samples 1000 --epochs 2 --seed 3 --headless >"$work/b.out" 2>/dev/null </dev/null
    "$bin" --max-samples 1000 --epochs 2 --seed 4 --headless >"$work/c.out" 2>/dev/null </dev/null
    if [[ $(untimed "$work/a.out" | wc -l) -eq 2 ]] && diff <(untimed "$work/a.out") <(untimed "$work/b.out") >/dev/null \
        && ! diff <(untimed "$work/a.out") <(untimed "$work/c.out") >/dev/null; then
        pass "same seed gives identical epoch lines, another seed does not"
    else
        fail "same seed gives identical epoch lines, another seed does not" \
            "$(diff <(untimed "$work/a.out") <(untimed "$work/b.out"))" "seed 4:" "$(untimed "$work/c.out")"
    fi

    # A log that fails while training (/dev/full: ENOSPC) is a training failure: exit status 1, the error named.
    run "$bin" --max-samples 500 --epochs 3 --csv-log /dev/full
    if [[ $status -eq 1 ]] && grep -q 'error: training failed: CSVLogger: cannot write /dev/full' <<<"$out" \
        && ! grep -q 'stopped by the user' <<<"$out"; then
        pass "a log write failure exits 1 naming it"
    else
        fail "a log write failure exits 1 naming it" "status $status" "${out: -800}"
    fi

    # --schedule step: lr0 * drop^floor(epoch / every), 0-based epochs; the CSV's learning_rate at epochs 9, 10, 19, 20.
    run "$bin" --max-samples 200 --epochs 21 --decay 0 --schedule step:drop=0.5,every=10 --csv-log "$work/step.csv"
    rates=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "learning_rate") c = i; next }
                     $1 == 9 || $1 == 10 || $1 == 19 || $1 == 20 { printf "%s ", $c }' "$work/step.csv" 2>/dev/null)
    if [[ $status -eq 0 && $rates == "0.1 0.05 0.05 0.025 " ]]; then
        pass "--schedule step:drop=0.5,every=10 logs 0.1 0.05 0.05 0.025 at epochs 9 10 19 20"
    else
        fail "--schedule step:drop=0.5,every=10 logs 0.1 0.05 0.05 0.025 at epochs 9 10 19 20" "status $status" \
            "rates: $rates" "${out: -400}"
    fi

    # --lr 0: accepted, and the weights do not move (the same val_loss after every epoch).
    run "$bin" --max-samples 300 --epochs 3 --lr 0 --csv-log "$work/lr0.csv"
    distinct=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "val_loss") c = i; next } { print $c }' \
        "$work/lr0.csv" 2>/dev/null | sort -u | wc -l)
    if [[ $status -eq 0 && $(wc -l <"$work/lr0.csv") -eq 4 && $distinct -eq 1 ]]; then
        pass "--lr 0 trains with frozen weights"
    else
        fail "--lr 0 trains with frozen weights" "status $status" "$(cat "$work/lr0.csv" 2>&1)" "${out: -400}"
    fi

    # Checkpoint file names count epochs from 1 ({epoch:02d}, as Keras), the metadata from 0 (as Keras logs).
    run "$bin" --max-samples 300 --epochs 3 --checkpoint "$work/ck/ckpt-{epoch:02d}.tbmodel"
    meta=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["metadata"]["epoch"])' \
        "$work/ck/ckpt-03.tbmodel" 2>&1)
    if [[ $status -eq 0 && $(ls "$work/ck" | tr '\n' ' ') == "ckpt-01.tbmodel ckpt-02.tbmodel ckpt-03.tbmodel " \
          && $meta == 2 ]]; then
        pass "checkpoint names count epochs from 1, their metadata from 0"
    else
        fail "checkpoint names count epochs from 1, their metadata from 0" "status $status" "$(ls "$work/ck" 2>&1)" \
            "metadata epoch: $meta"
    fi

    # A theme with an unknown key: a warning naming file and line (said once), and the run goes on.
    printf 'theme[text]="#d0d0d0"\ntheme[nope]="#ffffff"\n' >"$work/warn.theme"
    run "$bin" --theme "$work/warn.theme" --max-samples 200 --epochs 1
    if [[ $status -eq 0 ]] && grep -qF "trainboard: $work/warn.theme:2: warning: unknown key 'nope'" <<<"$out" \
        && ! grep -q 'warning: .*warning:' <<<"$out"; then
        pass "theme with an unknown key warns once and runs"
    else
        fail "theme with an unknown key warns once and runs" "status $status" "${out:0:600}"
    fi

    # signal_after_first_epoch SIG NAME ARGS...: runs a headless training in the background (stdout/stderr in
    # $work/NAME.out/.err), sends SIG once the first epoch line is printed, and sets `st` to its exit status.
    signal_after_first_epoch() {
        local sig=$1 name=$2; shift 2
        "$bin" "$@" >"$work/$name.out" 2>"$work/$name.err" </dev/null &
        bg_pid=$!
        for _ in $(seq 1 600); do
            epoch_lines "$work/$name.out" >/dev/null 2>&1 && break
            kill -0 "$bg_pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -"$sig" "$bg_pid" 2>/dev/null
        wait "$bg_pid"
        st=$?
        bg_pid=
    }

    # SIGTERM after the first epoch: exit 143, the JSON-lines log complete up to train_end.
    signal_after_first_epoch TERM term --epochs 50 --max-samples 5000 --log-jsonl "$work/term.jsonl"
    if [[ $st -eq 143 ]] && python3 - "$work/term.jsonl" <<'EOF' >"$work/term.py" 2>&1; then
import json, sys
events = [json.loads(l)["event"] for l in open(sys.argv[1]).read().splitlines()]
assert 1 <= events.count("epoch") < 50 and events[-1] == "train_end", events
EOF
        pass "SIGTERM exits 143 with the JSON-lines log complete"
    else
        fail "SIGTERM exits 143 with the JSON-lines log complete" "status $st" "$(cat "$work/term.py" 2>/dev/null)" \
            "$(tail -c 600 "$work/term.err")"
    fi

    # --terminate-on-nan / --no-terminate-on-nan, and exit-when-done / terminate-on-nan as config keys.
    printf 'exit-when-done: true\nterminate-on-nan: false\n' >"$work/keys.yaml"
    run "$bin" --config "$work/keys.yaml" --terminate-on-nan --max-samples 100 --epochs 1 --headless
    st1=$status
    run "$bin" --no-terminate-on-nan --max-samples 100 --epochs 1 --headless
    if [[ $st1 -eq 0 && $status -eq 0 ]]; then pass "--[no-]terminate-on-nan and exit-when-done config key"
    else fail "--[no-]terminate-on-nan and exit-when-done config key" "status $st1, $status" "${out:0:400}"; fi

    # Themes resolve from any directory (the source tree's themes/ is a fallback location).
    out=$(cd /tmp && "$bin" --theme nord --headless --max-samples 100 --epochs 1 2>&1 </dev/null); status=$?
    if [[ $status -eq 0 ]]; then pass "--theme nord works from /tmp"
    else fail "--theme nord works from /tmp" "status $status" "${out:0:400}"; fi

    # bench --json: stdout is exactly one JSON object; the table (targets marked) goes to stderr.
    printf 'a,b,c,label\n' >"$work/tiny.csv"
    for i in $(seq 1 120); do echo "$((i % 7)),$((i % 5)),$((i % 3)),$((i % 3))" >>"$work/tiny.csv"; done
    # (a 3-epoch search_speedup search: the two searches run and their times and ratio are reported)
    "$bin" bench --json --epochs 1 --search-epochs 3 --data "$work/tiny.csv" >"$work/bench.out" 2>"$work/bench.err" </dev/null
    st=$?
    if [[ $st -eq 0 ]] && python3 -c 'import json,sys; d=json.load(sys.stdin); assert "samples_per_s_64" in d; assert d["search_s_jobs1"] > 0 and d["search_s_jobs2"] > 0 and abs(d["search_speedup"] - d["search_s_jobs1"] / d["search_s_jobs2"]) < 0.01' \
        <"$work/bench.out" 2>/dev/null && grep -qE '^samples_per_s_64 .*(ok|MISSED)$' "$work/bench.err" \
        && grep -qE '^search_speedup .*(ok|MISSED|n/a)$' "$work/bench.err"; then
        pass "bench --json prints only JSON on stdout, the marked table on stderr"
    else
        fail "bench --json prints only JSON on stdout, the marked table on stderr" "status $st" \
            "$(head -c 400 "$work/bench.out")" "$(tail -c 400 "$work/bench.err")"
    fi

    # No hidden layers: no dropout and no hidden activation in the model line.
    run "$bin" --hidden none --epochs 1 --max-samples 200
    if [[ $status -eq 0 ]] && grep -q '^Model: 784-10 softmax init glorot_uniform;' <<<"$out"; then
        pass "--hidden none: the model line has no dropout"
    else
        fail "--hidden none: the model line has no dropout" "status $status" "$(grep '^Model' <<<"$out")"
    fi

    # A YAML config with flags on top.
    printf 'epochs: 5\nmax-samples: 500\nhidden: [32]\nseed: 3\n' >"$work/run.yaml"
    run "$bin" --config "$work/run.yaml" --epochs 1 --headless
    if [[ $status -eq 0 ]] && grep -qx 'Epoch 1/1' <<<"$out" \
        && grep -q '^Model: 784-32-10 relu/softmax dropout 0.1 init glorot_uniform;' <<<"$out" \
        && grep -qE '^4/4 - ' <<<"$out"; then
        pass "--config with a flag overriding it"
    else
        fail "--config with a flag overriding it" "status $status" "${out:0:800}"
    fi

    # SIGINT after the first epoch: exit 130, the finished epochs are in the CSV log, every line complete.
    signal_after_first_epoch INT int --epochs 50 --max-samples 20000 --csv-log "$work/int.csv"
    printed=$(epoch_lines "$work/int.out" | wc -l)
    rows=$(($(cat "$work/int.csv" 2>/dev/null | wc -l) - 1))
    complete=$(awk -F, 'NF != 6 { bad = 1 } END { print bad ? "no" : "yes" }' "$work/int.csv" 2>/dev/null)
    if [[ $st -eq 130 && $printed -ge 1 && $printed -lt 50 && $rows -eq $printed && $complete == yes ]] \
        && [[ -z $(tail -c 1 "$work/int.csv") ]] && grep -q 'signal 2' "$work/int.err"; then
        pass "SIGINT exits 130 with the finished epochs logged"
    else
        fail "SIGINT exits 130 with the finished epochs logged" "status $st, $printed epoch lines, $rows CSV rows" \
            "$(cat "$work/int.csv" 2>&1)" "$(tail -c 600 "$work/int.err")"
    fi
fi

# --- other subcommands ----------------------------------------------------------------------------------------------
run "$bin" themes
missing=()
for t in default light mono; do grep -qE "^$t( |$)" <<<"$out" || missing+=("$t"); done
count=$(grep -cE '^[A-Za-z0-9_-]+( |$)' <<<"$out")
if [[ $status -eq 0 && ${#missing[@]} -eq 0 && $count -ge 5 ]]; then pass "themes lists default, light, mono and more"
else fail "themes lists default, light, mono and more" "status $status, missing ${missing[*]:-}, $count themes" "$out"; fi

out=$(cd /tmp && "$bin" themes 2>&1); status=$?
missing=()
for t in default light mono nord; do grep -qE "^$t( |$)" <<<"$out" || missing+=("$t"); done
if [[ $status -eq 0 && ${#missing[@]} -eq 0 ]]; then pass "themes from /tmp lists light, nord (source tree fallback)"
else fail "themes from /tmp lists light, nord (source tree fallback)" "status $status, missing ${missing[*]:-}" "$out"; fi


# --- saved models: convert / evaluate / predict / train --from (issue 9) ---------------------------------------------
m=$work/models
mkdir -p "$m"
run "$bin" train --headless --epochs 1 --max-samples 300 --hidden 16 --checkpoint "$m/a.keras" </dev/null
if [[ $status -eq 0 && -f $m/a.keras ]]; then pass "--checkpoint a.keras writes a .keras archive"
else fail "--checkpoint a.keras writes a .keras archive" "status $status" "${out:0:400}"; fi
run "$bin" convert "$m/a.keras" "$m/a.tbmodel"
run "$bin" evaluate "$m/a.tbmodel" --max-samples 300
e1=$out
run "$bin" evaluate "$m/a.keras" --max-samples 300
if [[ $status -eq 0 && $out == "$e1" ]] && grep -qE '^loss: [0-9]+\.[0-9]{4} - accuracy: [01]\.[0-9]{4}$' <<<"$out"; then
    pass "evaluate: '$out', the same from .keras and .tbmodel"
else fail "evaluate prints Keras-style loss and accuracy" "status $status" "$out" "$e1"; fi
run "$bin" predict "$m/a.keras" --max-samples 7 --out "$m/p.csv"
if [[ $status -eq 0 && $(wc -l <"$m/p.csv") -eq 8 ]] && head -n 1 "$m/p.csv" | grep -qx 'p0,p1,p2,p3,p4,p5,p6,p7,p8,p9,y_pred,y_true' \
    && awk -F, 'NR > 1 { s = 0; m = 0; k = 0; for (i = 1; i <= 10; i++) { s += $i; if ($i > m) { m = $i; k = i - 1 } } if (s < 0.999 || s > 1.001 || k != $11) bad = 1 } END { exit bad }' "$m/p.csv"; then
    pass "predict: header, 7 rows, probabilities sum to 1 and y_pred is their argmax"
else fail "predict writes p0..p9,y_pred,y_true" "status $status" "${out:0:300}" "$(head -n 3 "$m/p.csv" 2>&1)"; fi
run "$bin" train --headless --epochs 1 --max-samples 300 --from "$m/a.keras" --lr 0.01 </dev/null
if [[ $status -eq 0 ]] && grep -qF "Model: 784-16-Dropout(0.1)-10 (relu, softmax) from $m/a.keras" <<<"$out"; then pass "train --from a.keras starts from the saved model"
else fail "train --from a.keras starts from the saved model" "status $status" "${out:0:600}"; fi
head -c 300 "$m/a.keras" >"$m/cut.keras"
expect_error "a truncated .keras: exit 2 naming the file" "$m/cut.keras: not a valid model file" -- evaluate "$m/cut.keras"
printf 'not hdf5' >"$m/bad.h5"
expect_error "a .h5 that is not HDF5: exit 2 naming the file" "$m/bad.h5: not a valid model file: not an HDF5 file" -- predict "$m/bad.h5" --out "$m/x.csv"
run "$bin" convert "$m/a.keras" "$m/arch.json"
expect_error "evaluate on an architecture alone: exit 2" "holds the architecture only" -- evaluate "$m/arch.json"
printf 'a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n' >"$m/two.csv"
expect_error "train --from a model for other data: exit 2 naming both widths" \
    "--from: $m/a.keras: the model takes 784 features per sample, $m/two.csv has 2" \
    -- train --headless --epochs 1 --from "$m/a.keras" --data "$m/two.csv"
expect_error "--checkpoint x.json is refused: no weights" "--checkpoint: a .json file holds the architecture only" \
    -- train --headless --epochs 1 --max-samples 100 --checkpoint "$m/x.json"

# --- train --resume (issue 9): 3 epochs + --resume to 5 == 5 epochs in one go, through the binary ------------------
r=$work/resume
mkdir -p "$r"
common=(train --headless --max-samples 400 --hidden 16,8 --dropout 0.2 --batch-size 40 --seed 9 --decay 0.01
        --early-stopping patience=3 --reduce-lr-on-plateau patience=1,factor=0.5)
run "$bin" "${common[@]}" --epochs 5 --checkpoint "$r/one.keras" --csv-log "$r/one.csv" --log-jsonl "$r/one.jsonl" </dev/null
run "$bin" "${common[@]}" --epochs 3 --checkpoint "$r/two.keras" --csv-log "$r/two.csv" --log-jsonl "$r/two.jsonl" </dev/null
run "$bin" train --headless --resume "$r/two.keras" --epochs 5 </dev/null
if [[ $status -eq 0 ]] && grep -qF "Resuming $r/two.keras: epoch 4, update 31, 3 earlier epochs" <<<"$out" \
    && cmp -s "$r/one.csv" "$r/two.csv" && [[ $(grep -c '^epoch' "$r/two.csv") -eq 1 ]]; then
    pass "3 epochs + --resume to 5: the same CSV log (one header, rows 0-4, equal values) as 5 epochs in one go"
else fail "3 epochs + --resume to 5 equals 5 epochs in one go" "status $status" "${out:0:600}" "$(diff "$r/one.csv" "$r/two.csv" 2>&1 | head -n 6)"; fi
if cmp -s "$r/one.jsonl" "$r/two.jsonl" && [[ $(grep -c '"train_end"' "$r/two.jsonl") -eq 1 ]]; then
    pass "3 epochs + --resume to 5: the same JSON-lines log (epochs 0-4 once, one train_end) as 5 epochs in one go"
else fail "the resumed JSON-lines log differs from the uninterrupted one" "$(diff "$r/one.jsonl" "$r/two.jsonl" 2>&1 | head -n 8)"; fi
expect_error "--resume with another architecture: exit 2 naming --hidden" "--hidden: $r/two.keras was trained with hidden 16,8, this run has 32" \
    -- train --headless --resume "$r/two.keras" --epochs 9 --hidden 32
expect_error "--resume with nothing left to run: exit 2 naming --epochs" "--epochs: $r/two.keras resumes at epoch 6" \
    -- train --headless --resume "$r/two.keras" --epochs 5
run "$bin" convert "$r/two.keras" "$r/two.h5"
expect_error "--resume from a .h5 (no training state): exit 2" "--resume: $r/two.h5: holds no training state" \
    -- train --headless --resume "$r/two.h5" --epochs 9
expect_error "--resume with --from: exit 2" "--resume: --from starts a new run" \
    -- train --headless --resume "$r/two.keras" --from "$r/two.keras" --epochs 9
run "$bin" convert "$r/two.keras" "$r/two.txt"
check_output "convert to an unknown extension: exit 2 listing the formats, nothing written" 2 \
    "$r/two.txt: unknown model file extension" ".keras, .weights.h5"
[[ ! -e $r/two.txt ]] || fail "convert to .txt wrote $r/two.txt"
mkdir -p "$r/tables"; printf 'a,b,label\n1,2,0\n3,4,1\n' >"$r/tables/small.csv"
expect_error "--data DIR of CSV files: exit 2 naming the file to give" "without IDX files" "--data $r/tables/small.csv" \
    -- train --headless --data "$r/tables" --epochs 1

run "$bin" info
if [[ $status -eq 0 ]] && grep -qE '^BLAS: .+' <<<"$out"; then pass "info prints the BLAS line"
else fail "info prints the BLAS line" "status $status" "$out"; fi

run "$bin" --version
if [[ $status -eq 0 && -n $out ]]; then pass "--version"; else fail "--version" "status $status" "$out"; fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
