#!/usr/bin/env bash
# Trainboard's model files against the real Keras, in both directions (issue 9):
#   - Trainboard trains a model and writes .keras, .h5, .weights.h5 and .json; Keras 3 (numpy backend) opens each
#     (load_model, model_from_json + load_weights) and predicts the same outputs as `trainboard predict` on 1,000
#     Fashion-MNIST test images (max abs difference <= 1e-5), with the optimizer's iterations and momentum restored
#     and Trainboard's extra archive member ignored;
#   - Keras writes .keras, .weights.h5 (+ .json), .h5 and the tutorial's model.json + model.h5; Trainboard reads each
#     and predicts what Keras predicted (same bound), and `evaluate`/`convert` work on them.
# Keras comes from PyPI into the oracles' virtual environment (Tests/e2e/pyvenv.sh, cached at .build/oracle-venv;
# ~1-2 min the first time). If that environment cannot be built the script fails loudly: it never skips.
#
# Env: TRAINBOARD_BIN (default .build/debug/trainboard), ORACLE_VENV (default .build/oracle-venv), PYTHON (python3)
source "$(dirname "${BASH_SOURCE[0]}")/cli-lib.sh"
n=1000

# Keras defaults to the TensorFlow backend; its numpy backend loads and predicts without TensorFlow, but Keras 3.15's
# numpy backend imports jax at start-up (keras/src/backend/numpy/math.py), so jax is installed too (CPU wheels).
export KERAS_BACKEND=numpy
# shellcheck source=Tests/e2e/pyvenv.sh
source "$(dirname "${BASH_SOURCE[0]}")/pyvenv.sh"
py() { KERAS_BACKEND=numpy PYTHONPATH="$root/Tests/keras" "$venv/bin/python" "$@"; }
echo "keras.sh: $(py -c 'import keras; print("Keras", keras.__version__)' 2>/dev/null), $n test images"

# --- Trainboard -> Keras ------------------------------------------------------------------------------------------
tb=$work/tb
mkdir -p "$tb"
run "$bin" train --headless --epochs 1 --max-samples 2000 --seed 4 --checkpoint "$tb/tb.keras"
if [[ $status -eq 0 && -f $tb/tb.keras ]]; then pass "trainboard train --checkpoint tb.keras"
else fail "trainboard train --checkpoint tb.keras" "status $status" "${out:0:600}"; fi
for ext in h5 weights.h5 json; do
    run "$bin" convert "$tb/tb.keras" "$tb/tb.$ext"
    if [[ $status -eq 0 && -s $tb/tb.$ext ]]; then pass "trainboard convert tb.keras tb.$ext"
    else fail "trainboard convert tb.keras tb.$ext" "status $status" "${out:0:600}"; fi
done
run "$bin" predict "$tb/tb.keras" --max-samples $n --out "$tb/tb.csv"
if [[ $status -eq 0 && $(wc -l <"$tb/tb.csv") -eq $((n + 1)) ]] && head -n 1 "$tb/tb.csv" | grep -qx 'p0,p1,p2,p3,p4,p5,p6,p7,p8,p9,y_pred,y_true'; then
    pass "trainboard predict writes a header and $n rows"
else fail "trainboard predict writes a header and $n rows" "status $status" "${out:0:600}"; fi
while IFS= read -r line; do
    case $line in ok*) pass "${line#ok   }" ;; FAIL*) fail "${line#FAIL }" ;; "exit 0") ;; "exit "*) fail "load_trainboard_files.py: $line" ;; *) echo "       $line" ;; esac
done < <(py "$root/Tests/keras/load_trainboard_files.py" "$tb" $n 2>&1; echo "exit $?")

# --- Keras -> Trainboard ------------------------------------------------------------------------------------------
k=$work/k
mkdir -p "$k"
if out=$(py "$root/Tests/keras/write_keras_files.py" "$k" $n 2>&1); then pass "$(tail -n 1 <<<"$out")"
else fail "Keras writes its files" "${out:0:800}"; fi
for file in k.keras k.weights.h5 k.h5 model.h5; do
    run "$bin" predict "$k/$file" --max-samples $n --out "$k/$file.csv"
    if [[ $status -ne 0 ]]; then fail "trainboard predict $file (Keras-written)" "status $status" "${out:0:600}"; continue; fi
    if res=$(py "$root/Tests/keras/compare.py" "Trainboard reads Keras's $file and predicts Keras's outputs" \
        "$k/$file.csv" "$k/keras.npy" 2>&1); then pass "${res#ok   }"; else fail "${res#FAIL }"; fi
done
run "$bin" evaluate "$k/k.keras" --max-samples $n
if [[ $status -eq 0 ]] && grep -qE '^loss: [0-9]+\.[0-9]{4} - accuracy: 0\.[0-9]{4}$' <<<"$out"; then
    pass "trainboard evaluate k.keras prints Keras-style '${out##*$'\n'}'"
else fail "trainboard evaluate k.keras prints loss and accuracy" "status $status" "${out:0:600}"; fi
run "$bin" convert "$k/k.h5" "$k/back.keras"
if [[ $status -eq 0 ]] && res=$(py -c "
import keras, numpy as np, sys
from common import test_images
x = test_images(50)
a = keras.saving.load_model('$k/back.keras').predict(x, verbose=0)
b = keras.saving.load_model('$k/k.keras').predict(x, verbose=0)
d = float(np.abs(a - b).max()); print(d); sys.exit(d > 1e-6)" 2>&1); then
    pass "Keras .h5 -> trainboard convert -> .keras loads in Keras with the same outputs (max diff ${res##*$'\n'})"
else fail "Keras .h5 -> trainboard convert -> .keras loads in Keras" "status $status" "${out:0:300}" "${res:-}"; fi

echo "$passed passed, $failed failed"
((failed == 0))
