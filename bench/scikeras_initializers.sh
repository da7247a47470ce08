#!/usr/bin/env bash
# The tutorial's initializer search both ways, side by side, on the same grid and data (issue 10):
#   scikeras KerasClassifier + scikit-learn GridSearchCV on Keras 3 / JAX   (bench/scikeras_initializers.py)
#   trainboard search                                                        (the release build)
# 8 Keras initializers x 3 folds (StratifiedKFold, no shuffle) + refit, 10 epochs, batch 128, the first 4,000 training
# rows, the tutorial's MLP (784-64-Dropout(0.1)-64-10, SGD lr 0.1, momentum 0.8, decay 0.0016), scoring accuracy.
# Data: Keras's MNIST (mnist.npz in $KERAS_HOME/datasets or ~/.keras/datasets) when it is there, else Fashion-MNIST
# from /usr/share/datasets/fashion-mnist; the output says which.
# Prints both wall times (whole command; for scikeras also GridSearchCV.fit alone), the ratios, and both tables of
# mean test scores. Target: trainboard >= 10x faster. Not part of .ci/test (it downloads Keras and JAX from PyPI).
#
# Usage: bench/scikeras_initializers.sh
# Env:   TRAINBOARD_BIN   the binary (default: .build/release/trainboard, built with `swift build -c release` if missing)
#        SCIKERAS_PYTHON  a python with scikeras, keras, jax and scikit-learn (default: the venv this script builds in
#                         .build/scikeras-venv from PyPI)
#        N_TRAIN (4000) EPOCHS (10) BATCH (128) JOBS (trainboard --jobs, default its own: the cores)
#        SK_JOBS (GridSearchCV n_jobs, default 1: n_jobs=2 was no faster on 2 cores)
# Exit status: 0 when both ran (whatever the ratio), 1 when one of them failed, 2 when the setup failed.
set -uo pipefail
export KERAS_BACKEND=jax
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2
n_train=${N_TRAIN:-4000}; epochs=${EPOCHS:-10}; batch=${BATCH:-128}; sk_jobs=${SK_JOBS:-1}
inits=zero,uniform,normal,lecun_uniform,lecun_normal,glorot_uniform,glorot_normal,he_uniform

# --- the two tools -----------------------------------------------------------------------------------------------------
bin=${TRAINBOARD_BIN:-.build/release/trainboard}
if [[ ! -x $bin ]]; then
    echo "building the release binary (swift build -c release) ..." >&2
    swift build -c release 2>&1 | tail -n 3 >&2
    bin=$(swift build -c release --show-bin-path)/trainboard
fi
[[ -x $bin ]] || { echo "error: no trainboard binary at $bin" >&2; exit 2; }
python=${SCIKERAS_PYTHON:-}
if [[ -z $python ]]; then
    venv=.build/scikeras-venv
    python=$venv/bin/python
    # scikeras 0.13.0 (its last release) needs scikit-learn < 1.6 (the estimator-tags change of 1.6 breaks it).
    if ! "$python" -c 'import scikeras, keras, jax, sklearn' 2>/dev/null; then
        echo "building $venv (scikeras, keras, jax, scikit-learn from PyPI) ..." >&2
        python3 -m venv "$venv" || { echo "error: python3 -m venv failed (install python3-venv)" >&2; exit 2; }
        "$venv/bin/pip" install -q "scikeras==0.13.0" "scikit-learn==1.5.2" "keras==3.15.1" "jax[cpu]" >&2 \
            || { echo "error: pip install failed" >&2; exit 2; }
    fi
fi

# --- the data ------------------------------------------------------------------------------------------------------------
npz=${KERAS_HOME:-$HOME/.keras}/datasets/mnist.npz
if [[ -s $npz ]]; then data=mnist; pydata=$npz; what="MNIST ($npz)"
else data=fashion-mnist; pydata=fashion-mnist; what="Fashion-MNIST (/usr/share/datasets/fashion-mnist; MNIST is not in the Keras cache)"; fi
echo "data: $what, the first $n_train training rows (and $n_train test rows for the refit's score)"
echo "grid: init = $inits; 3 folds + refit, $epochs epochs, batch $batch"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores"

# --- trainboard ------------------------------------------------------------------------------------------------------------
out=$(mktemp -d "${TMPDIR:-/tmp}/scikeras-bench.XXXXXX") || exit 2
trap 'rm -rf "$out"' EXIT
jobs_flag=(); [[ -n ${JOBS:-} ]] && jobs_flag=(--jobs "$JOBS")
t0=$(date +%s.%N)
"$bin" search --grid "init=$inits" --cv 3 --max-samples "$n_train" --epochs "$epochs" --batch-size "$batch" \
    --data "$data" --seed 1 "${jobs_flag[@]}" --out "$out/tb" >"$out/tb.txt" 2>&1
tb_status=$?
t1=$(date +%s.%N)
tb_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
if ((tb_status != 0)); then echo "error: trainboard search failed (status $tb_status):" >&2; tail -n 20 "$out/tb.txt" >&2; exit 1; fi
echo "trainboard search: $tb_s s ($("$bin" --version 2>/dev/null | head -n 1), $(grep -m1 -o '[0-9]* candidates x [0-9]* folds = [0-9]* fits + 1 refit' "$out/tb.txt"))"
sed -n '/^rank  candidate/,/^best:/p' "$out/tb.txt"

# --- scikeras -----------------------------------------------------------------------------------------------------------
t0=$(date +%s.%N)
sk=$("$python" bench/scikeras_initializers.py "$pydata" "$n_train" "$epochs" "$batch" "$sk_jobs" 2>"$out/sk.err")
sk_status=$?
t1=$(date +%s.%N)
sk_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
json=$(grep '^{' <<<"$sk" | tail -n 1)
if ((sk_status != 0)) || [[ -z $json ]]; then echo "error: the scikeras search failed (status $sk_status):" >&2; tail -n 20 "$out/sk.err" >&2; exit 1; fi
"$python" - "$json" "$tb_s" "$sk_s" "$sk_jobs" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); tb = float(sys.argv[2]); sk = float(sys.argv[3])
print(f"scikeras GridSearchCV (n_jobs={sys.argv[4]}): {sk:.2f} s whole script "
      f"(imports {r['import_s']:.1f} s, data {r['data_s']:.1f} s, GridSearchCV.fit {r['fit_s']:.2f} s); {r['versions']}")
print("mean_test_score   initializer")
for k, v in sorted(r["mean_test_score"].items(), key=lambda kv: -kv[1]):
    print(f"{v:15.4f}   {k}")
print(f"best {r['best_params']}, refit test accuracy {r['test_accuracy']:.4f} on {r['n_test']} samples")
print()
print(f"wall time: trainboard {tb:.2f} s, scikeras {sk:.2f} s (GridSearchCV.fit alone {r['fit_s']:.2f} s)")
ratio, ratio_fit = sk / tb, r["fit_s"] / tb
status = "ok" if ratio_fit >= 10 else "MISSED"
print(f"ratio (whole commands): {ratio:.1f}x; ratio (scikeras fit alone vs the whole trainboard command): "
      f"{ratio_fit:.1f}x   target >= 10x: {status}")
PY
