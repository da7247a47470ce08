#!/usr/bin/env bash
# `trainboard search` against the real scikit-learn and pandas from PyPI (issue 10):
#   - without shuffling, the fold assignments in plan.json equal scikit-learn's StratifiedKFold (classifier, labels of
#     the first Fashion-MNIST training rows) and KFold (regressor, a real-valued CSV) on the same data;
#   - pandas reads cv_results.csv and cv_results.json: scikit-learn's columns, numeric dtypes, ranks, NaN as NaN;
#   - a fold of 40 training rows with batch 16 and 10 epochs makes exactly 30 optimizer updates (the options reach
#     every fit), and a 2 x 2 x 8 grid with --cv 3 announces 32 candidates, 96 fits and 1 refit.
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

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
