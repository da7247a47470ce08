#!/usr/bin/env bash
# `trainboard search` against the real scikit-learn and pandas from PyPI (issue 10):
#   - without shuffling, the fold assignments in plan.json equal scikit-learn's StratifiedKFold (classifier, labels of
#     the first Fashion-MNIST training rows) and KFold (regressor, a real-valued CSV) on the same data;
#   - pandas reads cv_results.csv and cv_results.json: scikit-learn's columns, numeric dtypes, ranks, NaN as NaN;
#   - a fold of 40 training rows with batch 16 and 10 epochs makes exactly 30 optimizer updates (the options reach
#     every fit), and a 2 x 2 x 8 grid with --cv 3 announces 32 candidates, 96 fits and 1 refit;
#   - successive halving: the schedule of `search --halving --dry-run` (n_candidates_, n_resources_, n_iterations_,
#     n_required/possible_iterations_, min_resources_) equals HalvingGridSearchCV(resource="epochs")'s for 10
#     (n_candidates, factor, min_resources, max_resources, aggressive_elimination) combinations and
#     HalvingRandomSearchCV's n_candidates='exhaust'; and for two real halving searches, HalvingGridSearchCV fed with
#     Trainboard's own fold scores (an estimator that looks them up by lr, epochs and fold) keeps the same survivors in
#     the same order, and gives the same rows, ranks, best_index_ and attributes.
# The oracles come from Tests/e2e/pyvenv.sh (.build/oracle-venv); without them the script fails, never skips.
#
# Usage: Tests/e2e/sklearn.sh   Env: TRAINBOARD_BIN (default .build/debug/trainboard), ORACLE_VENV
# Exit status: 0 if every check passed, 1 if any failed, 2 if the setup failed.
set -uo pipefail
# shellcheck source=Tests/e2e/cli-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli-lib.sh"
# shellcheck source=Tests/e2e/pyvenv.sh
source "$(dirname "${BASH_SOURCE[0]}")/pyvenv.sh"
echo "sklearn.sh: $("$oracle_python" -c 'import sklearn, pandas; print("scikit-learn", sklearn.__version__, "pandas", pandas.__version__)')"

# --- StratifiedKFold on Fashion-MNIST labels (classifier) -----------------------------------------------------------
for k in 3 5; do
    run "$bin" search --grid 'batch-size=128' --max-samples 250 --epochs 1 --cv "$k" --jobs 2 --out "$work/strat$k"
    [[ $status -eq 0 ]] || { fail "search --cv $k on Fashion-MNIST" "status $status" "${out:0:600}"; continue; }
    check=$("$oracle_python" - "$work/strat$k/plan.json" "$k" <<'PY'
import gzip, json, sys
import numpy as np
from sklearn.model_selection import StratifiedKFold
plan = json.load(open(sys.argv[1])); k = int(sys.argv[2])
with gzip.open("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz") as f:
    y = np.frombuffer(f.read()[8:], dtype=np.uint8)[:250]
want = np.empty(250, dtype=int)
for fold, (_, test) in enumerate(StratifiedKFold(n_splits=k).split(np.zeros((250, 1)), y)):
    want[test] = fold
assert plan["cv"] == "StratifiedKFold", plan["cv"]
got = np.array(plan["test_fold"])
assert (got == want).all(), (np.nonzero(got != want)[0][:10], got[:20], want[:20])
print("ok")
PY
)
    if [[ $check == ok ]]; then pass "--cv $k: folds equal scikit-learn's StratifiedKFold on the same labels"
    else fail "--cv $k: folds equal scikit-learn's StratifiedKFold on the same labels" "$check"; fi
done

# --- KFold on a regression CSV; 40 training rows x batch 16 x 10 epochs = 30 updates --------------------------------
"$oracle_python" - "$work/reg.csv" <<'PY'
import sys
import numpy as np
rng = np.random.default_rng(1)
x = rng.random((80, 2))
y = 2 * x[:, 0] + 0.5 * x[:, 1] + 0.1 * rng.random(80)
with open(sys.argv[1], "w") as f:
    f.write("x1,x2,y\n")
    for a, b, t in zip(x[:, 0], x[:, 1], y):
        f.write(f"{float(a)!r},{float(b)!r},{float(t)!r}\n")
PY
run "$bin" search --grid 'batch-size=16' --data "$work/reg.csv" --cv 2 --epochs 10 --jobs 2 --out "$work/reg"
check=$("$oracle_python" - "$work/reg" <<'PY'
import json, sys
import numpy as np
from sklearn.model_selection import KFold
d = sys.argv[1]
plan = json.load(open(d + "/plan.json"))
want = np.empty(80, dtype=int)
for fold, (_, test) in enumerate(KFold(n_splits=2).split(np.zeros((80, 1)))):
    want[test] = fold
assert plan["cv"] == "KFold", plan["cv"]
assert (np.array(plan["test_fold"]) == want).all()
for i in (0, 1):
    r = json.load(open(f"{d}/fits/fit-{i:05d}.json"))
    assert r["n_train_samples"] == 40 and r["epochs"] == 10 and r["updates"] == 30, r
print("ok")
PY
)
if [[ $status -eq 0 && $check == ok ]]; then pass "regression: KFold folds equal scikit-learn's; 40 rows x batch 16 x 10 epochs = 30 updates"
else fail "regression: KFold folds equal scikit-learn's; 40 rows x batch 16 x 10 epochs = 30 updates" "status $status" "$check" "${out:0:400}"; fi

# --- pandas reads the results (a NaN score included) ----------------------------------------------------------------
run "$bin" search --grid 'lr=0.1,100000;batch-size=64,128' --max-samples 300 --epochs 2 --cv 2 --jobs 2 --out "$work/nan"
check=$("$oracle_python" - "$work/nan" <<'PY'
import json, math, sys
import pandas as pd
d = sys.argv[1]
df = pd.read_csv(d + "/cv_results.csv")
j = pd.read_json(d + "/cv_results.json")
want = ["mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time", "param_batch-size", "param_lr", "params",
        "split0_test_score", "split1_test_score", "mean_test_score", "std_test_score", "rank_test_score"]
assert list(df.columns) == want, list(df.columns)
assert list(j.columns) == want, list(j.columns)
assert len(df) == 4 and df["param_batch-size"].dtype.kind == "i" and df["param_lr"].dtype.kind == "f", df.dtypes
assert df["rank_test_score"].dtype.kind == "i" and df["mean_test_score"].dtype.kind == "f"
bad = df[df["param_lr"] == 100000.0]
assert bad["mean_test_score"].isna().all(), bad
assert (bad["rank_test_score"] == bad["rank_test_score"].max()).all()
good = df[df["param_lr"] == 0.1]
assert good["mean_test_score"].notna().all() and (good["rank_test_score"] <= 2).all(), good
assert all(isinstance(json.loads(p), dict) for p in df["params"])
print("ok")
PY
)
if [[ $check == ok ]]; then pass "pandas reads cv_results.csv/.json: columns, dtypes, NaN scores ranked last"
else fail "pandas reads cv_results.csv/.json: columns, dtypes, NaN scores ranked last" "$check" "${out:0:400}"; fi

# --- 2 x 2 x 8 grid with --cv 3: the announced counts (a dry run: nothing trains) ------------------------------------
run "$bin" search --grid 'batch-size=10,20;epochs=10,50;init=zero,uniform,normal,lecun_uniform,glorot_normal,glorot_uniform,he_normal,he_uniform' \
    --cv 3 --max-samples 300 --dry-run --out "$work/dry"
if [[ $status -eq 0 ]] && grep -qF "32 candidates x 3 folds = 96 fits + 1 refit" <<<"$out" && [[ ! -e $work/dry/fits ]]; then
    pass "2 x 2 x 8 grid, --cv 3: 32 candidates x 3 folds = 96 fits + 1 refit (dry run, nothing trained)"
else fail "2 x 2 x 8 grid, --cv 3: 32 candidates x 3 folds = 96 fits + 1 refit (dry run, nothing trained)" "status $status" "${out:0:400}"; fi

# --- Successive halving: the schedule against HalvingGridSearchCV (dry runs: nothing trains) -------------------------
# An estimator whose score is a known function of its parameter and of its epochs resource; the schedule and the
# attributes are compared with the dry run's lines.
cat >"$work/halving_schedule.py" <<'PY'
import re, sys, warnings
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import HalvingGridSearchCV, HalvingRandomSearchCV, KFold
from scipy.stats import loguniform
warnings.simplefilter("ignore")
n, f, mn, mx, ag, text_file = sys.argv[1:]
factor = int(f) if float(f).is_integer() else float(f)
min_r = mn if mn in ("exhaust", "smallest") else int(mn)
class Known(RegressorMixin, BaseEstimator):
    def __init__(self, lr=0.0, epochs=1): self.lr = lr; self.epochs = epochs
    def fit(self, X, y): return self
    def score(self, X, y): return -abs(self.lr - 0.004) + 1e-4 * self.epochs
common = dict(resource="epochs", factor=factor, min_resources=min_r, max_resources=int(mx),
              aggressive_elimination=ag == "1", cv=KFold(2), refit=False)
if n == "exhaust":
    s = HalvingRandomSearchCV(Known(), {"lr": loguniform(0.001, 0.1)}, n_candidates="exhaust", random_state=0, **common)
else:
    s = HalvingGridSearchCV(Known(), {"lr": [(i + 1) / 1000 for i in range(int(n))]}, **common)
s.fit(np.zeros((8, 1)), np.zeros(8))
text = open(text_file).read()
got = [(int(c), int(r)) for c, r in re.findall(r"^iter \d+: (\d+) candidates? x 2 folds at (\d+) epochs?", text, re.M)]
want = [(int(c), int(r)) for c, r in zip(s.n_candidates_, s.n_resources_)]
assert got == want, ("n_candidates_, n_resources_", got, want)
m = re.search(r"n_iterations_=(\d+), n_required_iterations_=(\d+), n_possible_iterations_=(\d+)", text)
sk = (s.n_iterations_, s.n_required_iterations_, s.n_possible_iterations_)
assert m and tuple(map(int, m.groups())) == sk, ("iterations", m and m.groups(), sk)
m = re.search(r"min_resources_=(\d+)", text)
assert m and int(m.group(1)) == s.min_resources_, ("min_resources_", m and m.group(1), s.min_resources_)
print("ok")
PY
combos=("10 3 exhaust 30 0" "10 3 smallest 30 0" "30 3 5 20 1" "30 3 5 20 0" "7 2.5 exhaust 100 0" "13 2 smallest 100 1"
        "27 3 smallest 60 0" "1 3 exhaust 10 0" "50 4 3 10 1" "6 1.5 exhaust 20 0" "exhaust 3 2 9 0")
bad=()
for combo in "${combos[@]}"; do
    read -r n f mn mx ag <<<"$combo"
    extra=(); [[ $ag == 1 ]] && extra=(--aggressive-elimination)
    if [[ $n == exhaust ]]; then space=(--grid 'lr=loguniform(0.001,0.1)' --n-candidates exhaust)
    else space=(--grid "lr=$(python3 -c "import sys; print(','.join(str((i + 1) / 1000) for i in range(int(sys.argv[1]))))" "$n")"); fi
    run "$bin" search --halving "${space[@]}" --data "$work/reg.csv" --cv 2 --epochs "$mx" --factor "$f" \
        --min-resources "$mn" "${extra[@]}" --dry-run
    printf '%s\n' "$out" >"$work/dry.txt"
    check=$("$oracle_python" "$work/halving_schedule.py" "$n" "$f" "$mn" "$mx" "$ag" "$work/dry.txt" 2>&1 | tail -n 3)
    [[ $status -eq 0 && $check == ok ]] || bad+=("($combo): status $status: $check")
done
if [[ ${#bad[@]} -eq 0 ]]; then pass "halving schedule equals HalvingGridSearchCV/HalvingRandomSearchCV's for ${#combos[@]} combinations"
else fail "halving schedule equals HalvingGridSearchCV/HalvingRandomSearchCV's for ${#combos[@]} combinations" "${bad[@]}"; fi

# --- Successive halving: survivors, rows and best index against HalvingGridSearchCV fed with Trainboard's scores ------
# Real searches on the regression CSV (continuous scores, lr=100000 fails: NaN); scikit-learn gets an estimator whose
# score on a fold is the one Trainboard recorded for the same lr, epochs and fold (PredefinedSplit with the plan's
# test_fold), so every candidate it asks for must be one Trainboard ran, in the same iteration and order.
cat >"$work/halving_select.py" <<'PY'
import csv, glob, json, math, sys, warnings
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import HalvingGridSearchCV, PredefinedSplit
warnings.simplefilter("ignore")
d = sys.argv[1]
plan = json.load(open(d + "/plan.json"))
h = plan["halving"]
fold = np.array(plan["test_fold"])
table = {}
for p in glob.glob(d + "/fits/fit-*.json"):
    r = json.load(open(p))
    score = r.get("test_score") if r.get("test_score") is not None else math.nan
    table[(r["params"]["lr"], r["params"]["epochs"], r["split"])] = score
class Recorded(RegressorMixin, BaseEstimator):
    def __init__(self, lr=0.0, epochs=1): self.lr = lr; self.epochs = epochs
    def fit(self, X, y): return self
    def score(self, X, y):
        return table[(self.lr, self.epochs, int(fold[int(X[0, 0])]))]   # KeyError: a fit Trainboard did not run
lrs = [c["lr"] for c in plan["candidates"]]
factor = h["factor"]; factor = int(factor) if float(factor).is_integer() else factor
min_r = h["min_resources"]; min_r = min_r if min_r in ("exhaust", "smallest") else int(min_r)
s = HalvingGridSearchCV(Recorded(), {"lr": lrs}, resource="epochs", factor=factor, min_resources=min_r,
                        max_resources=h["max_resources_"], aggressive_elimination=h["aggressive_elimination"],
                        cv=PredefinedSplit(fold), refit=False, error_score="raise")
n = len(fold)
s.fit(np.arange(n, dtype=float).reshape(n, 1), np.zeros(n))
r = s.cv_results_
rows = list(csv.DictReader(open(d + "/cv_results.csv", newline="")))
ours = [(int(x["iter"]), int(x["n_resources"]), json.loads(x["params"])["lr"], json.loads(x["params"])["epochs"]) for x in rows]
theirs = [(int(i), int(nr), p["lr"], p["epochs"]) for i, nr, p in zip(r["iter"], r["n_resources"], r["params"])]
assert ours == theirs, ("rows (iter, n_resources, lr, epochs) in order", ours, theirs)
# The comparison is about real choices: no ties among finite means within an iteration.
for it in set(r["iter"]):
    m = [x for x, i in zip(r["mean_test_score"], r["iter"]) if i == it and not math.isnan(x)]
    assert len(set(m)) == len(m), ("tied means in iteration", it, m)
mean = [float(x["mean_test_score"]) for x in rows]
assert all((math.isnan(a) and math.isnan(b)) or abs(a - b) < 1e-12 for a, b in zip(mean, r["mean_test_score"])), (mean, list(r["mean_test_score"]))
assert [int(x["rank_test_score"]) for x in rows] == list(r["rank_test_score"]), ([x["rank_test_score"] for x in rows], list(r["rank_test_score"]))
best = json.load(open(d + "/best_params.json"))
assert best["best_index"] == s.best_index_, (best["best_index"], s.best_index_)
assert best["best_params"] == s.best_params_, (best["best_params"], s.best_params_)
for k in ("n_iterations_", "n_resources_", "n_candidates_", "n_required_iterations_", "n_possible_iterations_",
          "min_resources_", "max_resources_", "n_remaining_candidates_"):
    assert best[k] == getattr(s, k), (k, best[k], getattr(s, k))
print("ok", s.n_candidates_, s.n_resources_, "best", s.best_index_)
PY
hb=("lr=0.001,0.003,0.01,0.02,0.05,0.1,100000|--factor 2 --min-resources smallest --epochs 8"
    "lr=0.0005,0.001,0.002,0.004,0.008,0.015,0.03,0.06,0.12|--factor 3 --min-resources 2 --epochs 6 --aggressive-elimination")
for i in "${!hb[@]}"; do
    IFS='|' read -r grid_spec flags <<<"${hb[$i]}"
    # shellcheck disable=SC2086
    run "$bin" search --halving --grid "$grid_spec" $flags --data "$work/reg.csv" --cv 2 --batch-size 8 --jobs 2 --out "$work/halving$i"
    check=$("$oracle_python" "$work/halving_select.py" "$work/halving$i" 2>&1 | tail -n 3)
    if [[ $status -eq 0 && $check == ok* ]]; then pass "halving search $i ($flags): survivors, rows, ranks and best_index_ equal HalvingGridSearchCV's on the same scores (${check#ok })"
    else fail "halving search $i ($flags): survivors, rows, ranks and best_index_ equal HalvingGridSearchCV's on the same scores" "status $status" "$check" "${out:0:400}"; fi
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
