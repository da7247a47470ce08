#!/usr/bin/env bash
# End-to-end tests of `trainboard search`: a tiny grid search (2x2 grid, 2 folds, 600 samples, 2 epochs) and its
# directory (plan, one result and CSV log per fit, cv_results.csv/.json with scikit-learn's columns, best_params.json,
# best_model.keras), the CSV read with Python's csv module (no pandas), --resume running only missing fits, a
# randomized search with the same seed drawing the same candidates, exit status 2 for bad grids, a search killed with
# SIGKILL mid-way that --resume completes with the results of an uninterrupted one, and the README's search commands.
#
# Usage: Tests/e2e/search.sh     (from anywhere; builds nothing)
# Env:   TRAINBOARD_BIN  the binary (default .build/debug/trainboard, relative to the repository root)
# Needs: Fashion-MNIST at /usr/share/datasets/fashion-mnist, python3.
# Exit status: 0 if every check passed, 1 if any failed, 2 if the setup failed.
set -uo pipefail

# shellcheck source=Tests/e2e/cli-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli-lib.sh"

tiny=(--max-samples 600 --epochs 2 --cv 2 --jobs 2)
dir=$work/s1
run "$bin" search --grid 'init=lecun_uniform,zero;batch-size=32,128' "${tiny[@]}" --out "$dir"
if [[ $status -eq 0 ]]; then pass "grid search exits 0"; else fail "grid search exits 0" "status $status" "${out:0:800}"; fi
if grep -qF "4 candidates x 2 folds = 8 fits + 1 refit" <<<"$out"; then pass "announces candidates x folds"
else fail "announces candidates x folds" "${out:0:400}"; fi
n=$(grep -cE '^\[[0-9]+/8\] candidate [0-3] split [01]: accuracy [0-9.]+ ' <<<"$out")
if [[ $n -eq 8 ]]; then pass "one line per finished fit"; else fail "one line per finished fit" "$n lines" "${out:0:800}"; fi
# The final table: sorted by rank, zero-initialised candidates last (near chance).
table=$(sed -n '/^rank  candidate/,/^best:/p' <<<"$out" | sed '1d;$d')
ranks=$(awk '{print $1}' <<<"$table" | tr '\n' ' ')
if [[ $(awk '{print $1}' <<<"$table" | sort -n | tr '\n' ' ') == "$ranks" && $(wc -l <<<"$table") -eq 4 ]] \
   && tail -n 2 <<<"$table" | grep -q '"zero"'; then pass "final table sorted by rank, zero last"
else fail "final table sorted by rank, zero last" "$table"; fi

missing=()
for f in plan.json cv_results.csv cv_results.json best_params.json best_model.keras refit.json refit.csv; do
    [[ -s $dir/$f ]] || missing+=("$f")
done
for i in 0 1 2 3 4 5 6 7; do
    for ext in json csv; do [[ -s $dir/fits/fit-0000$i.$ext ]] || missing+=("fits/fit-0000$i.$ext"); done
done
if [[ ${#missing[@]} -eq 0 ]]; then pass "search directory holds every file"; else fail "search directory holds every file" "missing: ${missing[*]}"; fi
if ls -a "$dir" "$dir/fits" | grep -q tbtmp; then fail "no temporaries left" "$(ls -a "$dir" "$dir/fits")"; else pass "no temporaries left"; fi

# cv_results.csv with the csv module: scikit-learn's columns, 4 rows, ranks 1..4 consistent with the means, population
# std of the split scores; best_params.json agrees; the JSON has the same columns.
check=$(python3 - "$dir" <<'PY'
import csv, json, math, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/cv_results.csv", newline="")))
want = ["mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time", "param_batch-size", "param_init",
        "params", "split0_test_score", "split1_test_score", "mean_test_score", "std_test_score", "rank_test_score"]
cols = list(rows[0].keys())
assert cols == want, cols
assert len(rows) == 4, len(rows)
assert [ (r["param_batch-size"], r["param_init"]) for r in rows ] == [("32", "lecun_uniform"), ("32", "zero"), ("128", "lecun_uniform"), ("128", "zero")]
for r in rows:
    s = [float(r["split0_test_score"]), float(r["split1_test_score"])]
    m = sum(s) / 2
    assert abs(float(r["mean_test_score"]) - m) < 1e-12, r
    assert abs(float(r["std_test_score"]) - math.sqrt(sum((x - m) ** 2 for x in s) / 2)) < 1e-12, r
    assert json.loads(r["params"]) == {"batch-size": int(r["param_batch-size"]), "init": r["param_init"]}
means = [float(r["mean_test_score"]) for r in rows]
ranks = [int(r["rank_test_score"]) for r in rows]
assert ranks == [1 + sum(x > m for x in means) for m in means], (means, ranks)
best = json.load(open(d + "/best_params.json"))
bi = ranks.index(1)
assert best["best_index"] == bi and abs(best["best_score"] - means[bi]) < 1e-12, best
assert best["best_params"] == json.loads(rows[bi]["params"]), best
assert 0 <= best["test_score"] <= 1, best
j = json.load(open(d + "/cv_results.json"))
assert list(j.keys()) == want and all(len(v) == 4 for v in j.values()), list(j.keys())
plan = json.load(open(d + "/plan.json"))
assert plan["cv"] == "StratifiedKFold" and plan["n_splits"] == 2 and len(plan["test_fold"]) == 600, plan["cv"]
r0 = json.load(open(d + "/fits/fit-00000.json"))
assert r0["n_train_samples"] + r0["n_test_samples"] == 600 and r0["epochs"] == 2, r0
print("ok")
PY
)
if [[ $check == ok ]]; then pass "cv_results.csv/.json, best_params.json, plan and results agree"
else fail "cv_results.csv/.json, best_params.json, plan and results agree" "$check"; fi
# Each fit's CSV log: Keras's columns, one row per epoch, validated on the held-out fold.
hdr=$(head -n 1 "$dir/fits/fit-00003.csv")
if [[ $hdr == epoch,* && $hdr == *val_accuracy* && $(wc -l <"$dir/fits/fit-00003.csv") -eq 3 ]]; then pass "each fit has its CSV log"
else fail "each fit has its CSV log" "$hdr"; fi
# --epochs reaches every fit (not ignored as in a known wrapper bug).
if grep -q '"epochs" : 2' "$dir/fits/fit-00002.json" || grep -q '"epochs": 2' "$dir/fits/fit-00002.json"; then
    pass "options apply to every fit (epochs)"; else fail "options apply to every fit (epochs)" "$(cat "$dir/fits/fit-00002.json")"; fi

# --resume: remove two results and the derived files; only those two fits run again, the rest are kept as they were.
cp "$dir/fits/fit-00000.json" "$work/fit0.json"
rm "$dir/fits/fit-00005.json" "$dir/fits/fit-00006.json" "$dir/cv_results.csv" "$dir/best_model.keras"
run "$bin" search --resume "$dir" --jobs 1
n=$(grep -cE '^\[[0-9]+/8\] candidate' <<<"$out")
if [[ $status -eq 0 && $n -eq 2 ]] && grep -qF "6 of 8 fits already finished, 2 to run" <<<"$out" \
   && cmp -s "$work/fit0.json" "$dir/fits/fit-00000.json" && [[ -s $dir/cv_results.csv && -s $dir/best_model.keras ]]; then
    pass "--resume runs only the missing fits and regenerates the results"
else fail "--resume runs only the missing fits and regenerates the results" "status $status, $n fit lines" "${out:0:600}"; fi
# Same seed, same fold order: the resumed fits score as before (deterministic training).
run "$bin" search --resume "$dir" --jobs 1
if [[ $status -eq 0 ]] && grep -qF "8 of 8 fits already finished, 0 to run" <<<"$out"; then pass "--resume of a finished search only refits"
else fail "--resume of a finished search only refits" "${out:0:400}"; fi

# SIGKILL while fits run, then --resume: the same cv_results (scores, ranks, params; not times), best_params.json and
# refit score as the same search run without interruption. Both use the same seed and --jobs 2 (one BLAS thread per
# fit, so every fit computes the same numbers in any process).
kargs=(--grid 'init=lecun_uniform,zero,glorot_uniform;batch-size=32,64' --max-samples 600 --epochs 3 --cv 2 --jobs 2 --seed 7)
run "$bin" search "${kargs[@]}" --out "$work/k-ref"
[[ $status -eq 0 ]] || fail "uninterrupted search (for the SIGKILL comparison) exits 0" "status $status" "${out:0:600}"
kdir=$work/k-killed
"$bin" search "${kargs[@]}" --out "$kdir" >"$work/k-killed.txt" 2>&1 &
bg_pid=$!
finished_at_kill=-1 fresh= seen=" "
for ((i = 0; i < 2400; i++)); do    # up to 60 s
    # Kill once 2 fits have finished, at the moment a new fit process starts (its .log appears): that fit is
    # certainly running (it has its data to load and 3 epochs to train) and must not finish after the kill.
    done_n=0 new=
    for f in "$kdir"/fits/fit-*.log; do
        [[ -e $f ]] || continue
        [[ -e ${f%.log}.json ]] && done_n=$((done_n + 1))
        [[ $seen == *" $f "* ]] || { seen+="$f "; [[ -e ${f%.log}.json ]] || new=$f; }
    done
    if ((done_n >= 2)) && [[ -n $new ]]; then kill -KILL "$bg_pid"; finished_at_kill=$done_n; fresh=${new%.log}; break; fi
    kill -0 "$bg_pid" 2>/dev/null || break
    sleep 0.025
done
wait "$bg_pid" 2>/dev/null; kstatus=$?; bg_pid=
sleep 2    # the fits check their parent every 0.2 s
orphans=()
for p in /proc/[0-9]*; do
    cmd=$( { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null) || continue
    [[ $cmd == *"fit-trial $kdir "* ]] && orphans+=("${p#/proc/}: $cmd")
done
results_n=$(find "$kdir/fits" -name 'fit-*.json' 2>/dev/null | wc -l)
if ((finished_at_kill >= 2 && kstatus == 137 && results_n < 12)) && [[ ! -e $kdir/refit.json ]]; then
    pass "search killed with SIGKILL mid-way ($finished_at_kill of 12 fits finished, $(basename "$fresh") just started)"
else fail "search killed with SIGKILL mid-way" "finished at kill: $finished_at_kill, status $kstatus, $results_n results" "$(tail -n 5 "$work/k-killed.txt")"; fi
# Without the watch, the fit started at the kill would go on (an orphan) or finish and write its result.
if [[ ${#orphans[@]} -eq 0 && -n $fresh && ! -e $fresh.json ]]; then pass "the killed search's fit processes end with it, without a result"
else fail "the killed search's fit processes end with it, without a result" "${orphans[@]}" "$(ls "$kdir/fits")"; fi
run "$bin" search --resume "$kdir" --jobs 2
if [[ $status -eq 0 ]] && grep -qF "resuming: $results_n of 12 fits already finished, $((12 - results_n)) to run" <<<"$out"; then
    pass "--resume after SIGKILL runs the rest"
else fail "--resume after SIGKILL runs the rest" "status $status, $results_n results before" "${out:0:600}"; fi
check=$(python3 - "$work/k-ref" "$kdir" <<'PY'
import csv, json, sys
a, b = sys.argv[1], sys.argv[2]
times = {"mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time", "refit_time"}
rows = [list(csv.DictReader(open(d + "/cv_results.csv", newline=""))) for d in (a, b)]
assert list(rows[0][0].keys()) == list(rows[1][0].keys()), "columns differ"
assert len(rows[0]) == len(rows[1]) == 6, "rows"
for i, (x, y) in enumerate(zip(*rows)):
    for k in x:
        if k not in times:
            assert x[k] == y[k], f"cv_results.csv row {i} {k}: {x[k]} uninterrupted, {y[k]} resumed"
js = [json.load(open(d + "/cv_results.json")) for d in (a, b)]
assert {k: v for k, v in js[0].items() if k not in times} == {k: v for k, v in js[1].items() if k not in times}, "cv_results.json"
bp = [json.load(open(d + "/best_params.json")) for d in (a, b)]
assert {k: v for k, v in bp[0].items() if k not in times} == {k: v for k, v in bp[1].items() if k not in times}, bp
# The scores are real ones (zero-initialised candidates near chance, the others above), not both empty.
means = [float(r["mean_test_score"]) for r in rows[0]]
assert all(0.05 < m < 0.2 for m in means[1::3]) and all(m > 0.3 for i, m in enumerate(means) if i % 3 != 1), means
# Every fit's CSV log is whole: a header and the 3 epochs (a killed fit's log was rewritten, not appended to).
import glob
for f in sorted(glob.glob(b + "/fits/fit-*.csv")):
    n = len(open(f).read().splitlines())
    assert n == 4, f"{f}: {n} lines"
print("ok")
PY
)
if [[ $check == ok ]]; then pass "after SIGKILL and --resume: cv_results, best_params and refit score equal the uninterrupted search's"
else fail "after SIGKILL and --resume: cv_results, best_params and refit score equal the uninterrupted search's" "$check"; fi

# fit-trial: one fit as its own process writes its result file.
rm "$dir/fits/fit-00001.json"
run "$bin" fit-trial "$dir" 1
if [[ $status -eq 0 && -s $dir/fits/fit-00001.json ]]; then pass "fit-trial DIR INDEX writes the fit's result"
else fail "fit-trial DIR INDEX writes the fit's result" "status $status" "${out:0:400}"; fi
expect_error "fit-trial with an index out of range" "out of range" -- fit-trial "$dir" 99
expect_error "fit-trial on a directory without a plan" "no plan.json" -- fit-trial "$work" 0

# Randomized search: the same seed draws the same candidates.
for s in r1 r2; do
    run "$bin" search --grid 'lr=loguniform(0.01,0.3);batch-size=randint(16,129)' --n-iter 2 --seed 4 \
        --max-samples 300 --epochs 1 --cv 2 --jobs 2 --out "$work/$s"
    [[ $status -eq 0 ]] || fail "randomized search $s exits 0" "status $status" "${out:0:600}"
done
if [[ -s $work/r1/plan.json ]] && python3 -c "import json,sys; a,b=(json.load(open(sys.argv[i]))['candidates'] for i in (1,2)); sys.exit(a!=b)" \
     "$work/r1/plan.json" "$work/r2/plan.json"; then pass "randomized search: same seed, same candidates"
else fail "randomized search: same seed, same candidates"; fi

# A failing fit (a learning rate that makes the loss NaN) is recorded with a NaN score and a warning; the search goes on.
run "$bin" search --grid 'lr=0.1,100000' --max-samples 300 --epochs 2 --cv 2 --jobs 2 --out "$work/nan"
row=$(grep -F '100000.0' "$work/nan/cv_results.csv" 2>/dev/null)
if [[ $status -eq 0 && $row == *,NaN,NaN,NaN,NaN,2 ]] && grep -q "warning: .*fit failed; its score is set to NaN" <<<"$out" \
   && grep -q '"error"' "$work/nan/fits/fit-00002.json"; then pass "a failing fit is recorded as NaN with a warning"
else fail "a failing fit is recorded as NaN with a warning" "status $status, row: $row" "${out:0:600}"; fi

# --- Successive halving ----------------------------------------------------------------------------------------------
# 5 candidates, factor 3, --epochs 4: n_required = 1 + floor(log3 5) = 2, exhaust: min = max(1, 4 // 3) = 1,
# n_possible = 1 + floor(log3 4) = 2: iterations of 5 and ceil(5/3) = 2 candidates at 1 and 3 epochs, (5 + 2) x 2 =
# 14 fits. A regression CSV (continuous scores: no ties), --normalize (fitted per fold).
python3 - "$work/hreg.csv" <<'PY'
import random, sys
random.seed(3)
with open(sys.argv[1], "w") as f:
    f.write("a,b,y\n")
    for _ in range(80):
        a, b = random.uniform(0, 50), random.uniform(-1, 1)
        f.write(f"{a!r},{b!r},{0.05 * a + b + random.uniform(0, 0.1)!r}\n")
PY
hgrid='lr=0.001,0.01,0.03,0.1,100000'
hopts=(--halving --grid "$hgrid" --data "$work/hreg.csv" --epochs 4 --cv 2 --batch-size 8 --normalize)
run "$bin" search "${hopts[@]}" --dry-run
check_output "halving --dry-run prints the schedule" 0 "iter 0: 5 candidates x 2 folds at 1 epoch = 10 fits" \
    "iter 1: 2 candidates x 2 folds at 3 epochs = 4 fits" "n_iterations_=2, n_required_iterations_=2, n_possible_iterations_=2" \
    "successive halving: 2 iterations (5 at 1 epoch, 2 at 3 epochs) x 2 folds = 14 fits + 1 refit"
run "$bin" search "${hopts[@]}" --jobs 2 --out "$work/h1"
if [[ $status -eq 0 ]] && grep -qE '^\[14/14\] iter 1 candidate [0-4] split [01]: neg_mean_squared_error' <<<"$out" \
   && grep -q "normalized with the mean and std of the fold's 40 training samples (split 0)" "$work/h1/fits/fit-00000.log"; then
    pass "halving search runs 14 fits, each fold normalised on its own training part"
else fail "halving search runs 14 fits, each fold normalised on its own training part" "status $status" "${out:0:900}"; fi
check=$(python3 - "$work/h1" <<'PY'
import csv, json, math, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/cv_results.csv", newline="")))
cols = list(rows[0].keys())
assert cols[:2] == ["iter", "n_resources"] and "param_epochs" in cols and "n_unfinished_splits" not in cols, cols
assert [(r["iter"], r["n_resources"]) for r in rows] == [("0", "1")] * 5 + [("1", "3")] * 2, rows
mean = lambda r: float(r["mean_test_score"])
it0 = rows[:5]
# The survivors: the 2 best of iteration 0 in ascending order (NaN of lr=100000 never survives).
order = sorted(range(5), key=lambda i: (-math.inf if math.isnan(mean(it0[i])) else mean(it0[i]), i))
want = [json.loads(it0[i]["params"])["lr"] for i in order[-2:]]
assert [json.loads(r["params"])["lr"] for r in rows[5:]] == want, (want, rows[5:])
assert all(json.loads(r["params"])["epochs"] == 3 for r in rows[5:])
it1 = json.load(open(d + "/iterations/iter-01.json"))
lrs = [0.001, 0.01, 0.03, 0.1, 100000]
assert [lrs[c] for c in it1["candidates"]] == want and it1["n_resources"] == 3, it1
best = json.load(open(d + "/best_params.json"))
bi = 5 + max(range(2), key=lambda j: (mean(rows[5 + j]), -j))
assert best["best_index"] == bi and best["best_params"] == json.loads(rows[bi]["params"]), best
assert best["complete"] is True and best["n_iterations_"] == 2 and best["n_resources_"] == [1, 3], best
assert best["n_candidates_"] == [5, 2] and best["min_resources_"] == 1 and best["max_resources_"] == 4, best
assert best["n_required_iterations_"] == 2 and best["n_possible_iterations_"] == 2, best
r = json.load(open(d + "/fits/fit-00013.json"))
assert r["iter"] == 1 and r["n_resources"] == 3 and r["epochs"] == 3, r
print("ok")
PY
)
if [[ $check == ok ]]; then pass "halving cv_results: iter, n_resources, survivors, best row of the last iteration"
else fail "halving cv_results: iter, n_resources, survivors, best row of the last iteration" "$check"; fi

# --resume after a SIGKILL of the search and its fits (during iteration 1): the same survivors and scores.
nontime() { python3 -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1]))); k=[i for i,c in enumerate(r[0]) if "time" not in c]; print("\n".join(",".join(x[i] for i in k) for x in r))' "$1"; }
setsid "$bin" search "${hopts[@]}" --jobs 1 --out "$work/h2" >"$work/h2.out" 2>&1 &
bg_pid=$!
for _ in $(seq 1 600); do [[ -e $work/h2/fits/fit-00011.json ]] && break; sleep 0.05; done
kill -KILL -- "-$bg_pid" 2>/dev/null; wait "$bg_pid" 2>/dev/null; bg_pid=
partial=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["complete"])' "$work/h2/best_params.json" 2>&1)
run "$bin" search --resume "$work/h2" --jobs 2
if [[ $status -eq 0 && $partial == False ]] && grep -q "fits already finished" <<<"$out" \
   && cmp -s "$work/h1/iterations/iter-01.json" "$work/h2/iterations/iter-01.json" \
   && [[ "$(nontime "$work/h1/cv_results.csv")" == "$(nontime "$work/h2/cv_results.csv")" ]]; then
    pass "halving --resume after SIGKILL: same survivors and cv_results (times aside)"
else fail "halving --resume after SIGKILL: same survivors and cv_results (times aside)" "status $status, partial=$partial" "${out:0:600}" \
    "$(diff <(nontime "$work/h1/cv_results.csv") <(nontime "$work/h2/cv_results.csv") | head -5)"; fi

# Partial files: with iteration 1's results removed, cv_results says which rows are unfinished.
cp -r "$work/h1" "$work/h3"
rm "$work/h3"/fits/fit-0001[0-3].json
run "$bin" fit-trial "$work/h3" 10
check=$(python3 - "$work/h3" <<'PY'
import csv, json, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/cv_results.csv", newline="")))
assert list(rows[0].keys())[-1] == "n_unfinished_splits", list(rows[0].keys())
assert [r["n_unfinished_splits"] for r in rows] == ["0"] * 5 + ["1", "2"], rows
assert rows[5]["split1_test_score"] == "" and rows[5]["mean_test_score"] == "" and rows[5]["split0_test_score"] != ""
best = json.load(open(d + "/best_params.json"))
assert best["complete"] is False and best["n_finished_fits"] == 11 and best["n_fits"] == 14, best
assert best["best_index"] < 5, best
print("ok")
PY
)
if [[ $status -eq 0 && $check == ok ]]; then pass "after each fit the results are regenerated; unfinished rows are marked"
else fail "after each fit the results are regenerated; unfinished rows are marked" "status $status" "$check" "${out:0:300}"; fi
# The unit is self-contained: a fit of iteration 1 without its record decides it from iteration 0's results (the same
# survivors); with iteration 0 unfinished it refuses.
rm "$work/h3"/iterations/iter-01.json "$work/h3"/fits/fit-00012.json
run "$bin" fit-trial "$work/h3" 12
if [[ $status -eq 0 && -s $work/h3/fits/fit-00012.json ]] && cmp -s "$work/h1/iterations/iter-01.json" "$work/h3/iterations/iter-01.json"; then
    pass "fit-trial of a later iteration decides it alone, with the same survivors"
else fail "fit-trial of a later iteration decides it alone, with the same survivors" "status $status" "${out:0:300}"; fi
rm "$work/h3"/iterations/iter-01.json "$work/h3"/fits/fit-00009.json
expect_error "fit-trial of an iteration whose predecessor is unfinished" "not decided yet" "iteration 0 has unfinished fits" -- fit-trial "$work/h3" 10

expect_error "halving with epochs in the grid" "epochs is the resource" -- search --halving --grid 'epochs=1,2' --out "$work/bad9"
expect_error "--factor without --halving" "--factor" "--halving" -- search --grid 'lr=0.1' --factor 2 --out "$work/bad10"
expect_error "--factor 1" "--factor: must be a number > 1" -- search --halving --grid 'lr=0.1,0.2' --factor 1 --max-samples 300 --out "$work/bad11"
expect_error "min > max resources" "min_resources_=50 is greater than max_resources_=4" -- search --halving --grid 'lr=0.1,0.2' --epochs 4 --min-resources 50 --max-samples 300 --out "$work/bad12"
expect_error "both exhaust" "cannot be used together" -- search --halving --grid 'lr=0.1,0.2' --n-candidates exhaust --min-resources exhaust --max-samples 300 --out "$work/bad13"
expect_error "bad --min-resources" "expected exhaust, smallest or a whole number" -- search --halving --grid 'lr=0.1,0.2' --min-resources few --max-samples 300 --out "$work/bad14"

# Bad grids and options: exit 2 naming the problem, and no directory left behind.
expect_error "unknown grid option" "'bogus'" -- search --grid 'bogus=1,2' --out "$work/bad1"
expect_error "bad grid value" "batch-size" "'x' is not a whole number" -- search --grid 'batch-size=32,x' --out "$work/bad2"
expect_error "grid without =" "no '='" -- search --grid 'init' --out "$work/bad3"
expect_error "distribution without --n-iter" "--n-iter" -- search --grid 'lr=uniform(0.01,0.1)' --out "$work/bad4"
expect_error "invalid value for an option" "candidate 1" "--dropout" -- search --grid 'dropout=0.1,1.5' --out "$work/bad5"
expect_error "too many folds" "n_splits=700" -- search --grid 'init=zero' --cv 700 --max-samples 600 --out "$work/bad6"
expect_error "search with --csv-log" "--csv-log" -- search --grid 'init=zero' --csv-log "$work/x.csv" --out "$work/bad7"
expect_error "missing --grid" "--grid" -- search --out "$work/bad8"
expect_error "--out already holds a search" "--resume" -- search --grid 'init=zero' --max-samples 600 --out "$dir"
expect_error "--resume of a non-search directory" "no plan.json" -- search --resume "$work"
left=$(ls -d "$work"/bad* 2>/dev/null)
if [[ -z $left ]]; then pass "bad input leaves no directory"; else fail "bad input leaves no directory" "$left"; fi

# The README's search commands (the sh block under "### Hyperparameter search with cross-validation"), read from the
# README so that the test follows it: each runs with --dry-run (options, space and data checked, candidates counted),
# and the tutorial's initializer search also runs for real on a subset (later flags win: --max-samples 1500
# --epochs 3), where `zero` must come out near chance and last in the table.
readme_cmds=()
while IFS= read -r line; do readme_cmds+=("$line"); done < <(
    awk '/^### Hyperparameter search with cross-validation/ { s = 1 } s && /^```sh/ { b = 1; next } b && /^```/ { exit } b' README.md \
        | sed -e ':a' -e '/\\$/N; s/\\\n *//; ta' -e 's/[[:space:]][[:space:]]*# .*$//' | grep '^trainboard search ')
# The counts of the commands this test knows (a command added later only has to pass its dry run).
want_count() {
    case $1 in
        *--halving*) echo "" ;;    # successive halving: its own checks above; here only its dry run
        *"init=zero,uniform,normal,lecun_uniform,lecun_normal,glorot_uniform,glorot_normal,he_uniform' --cv 3"*)
            echo "8 candidates x 3 folds = 24 fits + 1 refit" ;;
        *"batch-size=10,20;epochs=10,50;init=lecun_uniform,glorot_uniform,zero' --n-iter 10 --cv 3"*)
            echo "10 candidates x 3 folds = 30 fits + 1 refit" ;;
        *"batch-size=10,20;epochs=10,50;init=lecun_uniform,glorot_uniform,zero' --cv 3"*)
            echo "12 candidates x 3 folds = 36 fits + 1 refit" ;;
        *"dropout=uniform(0,0.5)' --n-iter 20 --cv 3"*) echo "20 candidates x 3 folds = 60 fits + 1 refit" ;;
        *) echo "" ;;
    esac
}
known=0
for c in "${readme_cmds[@]}"; do [[ -n $(want_count "$c") ]] && known=$((known + 1)); done
if [[ $known -eq 4 ]]; then pass "README: the 4 tutorial search commands found (${#readme_cmds[@]} in all)"
else fail "README: the 4 tutorial search commands found" "found $known known of ${#readme_cmds[@]}:" "${readme_cmds[@]}"; fi
for i in "${!readme_cmds[@]}"; do
    eval "args=(${readme_cmds[$i]#trainboard })"    # the README's quoting, as a shell reads it
    run "$bin" "${args[@]}" --dry-run
    want=$(want_count "${readme_cmds[$i]}")
    if [[ $status -eq 0 ]] && grep -qF "$want" <<<"$out" && grep -qF "(dry run" <<<"$out"; then
        pass "README command $((i + 1)) (--dry-run)${want:+: $want}"
    else fail "README command $((i + 1)) (--dry-run)" "${readme_cmds[$i]}" "status $status" "${out:0:600}"; fi
done
tutorial=
for c in "${readme_cmds[@]}"; do [[ $(want_count "$c") == "8 candidates"* ]] && tutorial=$c; done
eval "args=(${tutorial#trainboard })"
run "$bin" "${args[@]}" --max-samples 1500 --epochs 3 --jobs 2 --seed 3 --out "$work/readme1"
check=$(python3 - "$work/readme1" <<'PY' 2>&1
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1] + "/cv_results.csv", newline="")))
by = {r["param_init"]: (float(r["mean_test_score"]), int(r["rank_test_score"])) for r in rows}
assert sorted(by) == sorted("zero uniform normal lecun_uniform lecun_normal glorot_uniform glorot_normal he_uniform".split()), by
assert by["zero"][0] < 0.2 and by["zero"][1] == 8, by
assert max(m for m, _ in by.values()) > 0.5, by
print("ok")
PY
)
table=$(sed -n '/^rank  candidate/,/^best:/p' <<<"$out" | sed '1d;$d')
if [[ $status -eq 0 && $check == ok ]] && tail -n 1 <<<"$table" | grep -q '"zero"'; then
    pass "README's initializer search on 1,500 samples: zero near chance, last in the table"
else fail "README's initializer search on 1,500 samples: zero near chance, last in the table" "status $status" "$check" "${out:0:800}"; fi

echo "$passed passed, $failed failed"
((failed == 0))
