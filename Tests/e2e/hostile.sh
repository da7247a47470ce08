#!/usr/bin/env bash
# End-to-end tests of hostile inputs and failing disks (issue 7): every output flag leaves /dev/null and symbolic
# links as they are, a full disk ends the run with exit 1 naming the path, bad data and flags exit 2 naming what was
# wrong, and nothing hangs on a FIFO or reads /dev/zero forever.
#
# Usage: Tests/e2e/hostile.sh     (from anywhere; builds nothing)
# Env:   TRAINBOARD_BIN  the binary (default .build/debug/trainboard)
# Needs: Fashion-MNIST at /usr/share/datasets/fashion-mnist, python3 with numpy (npz files).
# Exit status: 0 if every check passed, 1 if any failed, 2 if the setup failed.
set -uo pipefail
# shellcheck source=Tests/e2e/cli-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli-lib.sh"

small=(--max-samples 300 --epochs 1 --headless)

# --- devices and links survive every output flag ---------------------------------------------------------------------
# Run as root this replaced /dev/null with a regular file.
for flag in --checkpoint --csv-log --log-jsonl; do
    run timeout 60 "$bin" "${small[@]}" "$flag" /dev/null </dev/null
    if [[ $status -eq 0 && -c /dev/null ]]; then pass "$flag /dev/null: exit 0 and /dev/null is still a device"
    else fail "$flag /dev/null: exit 0 and /dev/null is still a device" "status $status" "$(ls -l /dev/null)" "${out:0:400}"; fi
done
for flag in --checkpoint --csv-log --log-jsonl; do
    rm -f "$work/target" "$work/link"
    echo old >"$work/target"
    ln -s target "$work/link"
    run timeout 60 "$bin" "${small[@]}" "$flag" "$work/link" </dev/null
    if [[ $status -eq 0 && -L $work/link && -s $work/target && $(head -c 3 "$work/target") != old ]]; then
        pass "$flag through a symbolic link writes its target and keeps the link"
    else
        fail "$flag through a symbolic link writes its target and keeps the link" "status $status" \
            "$(ls -l "$work")" "${out:0:400}"
    fi
done

# --- a full disk ends the run cleanly (exit 1, the path named), never a crash -----------------------------------------
for flag in --checkpoint --csv-log --log-jsonl; do
    run timeout 60 "$bin" "${small[@]}" "$flag" /dev/full </dev/null
    if [[ $status -eq 1 ]] && grep -qF "/dev/full" <<<"$out" && grep -qF "no space left on device" <<<"$out" && [[ -c /dev/full ]]; then
        pass "$flag /dev/full: exit 1 naming the path and the reason"
    else fail "$flag /dev/full: exit 1 naming the path and the reason" "status $status" "${out:0:600}"; fi
done

# --- files that must not be read: FIFOs and /dev/zero (no hang, no memory blow-up) -------------------------------------
mkfifo "$work/fifo.csv"
run timeout 20 "$bin" --headless --data "$work/fifo.csv" </dev/null
if [[ $status -eq 2 ]] && grep -qF "not a regular file (a FIFO)" <<<"$out"; then pass "--data FIFO: exit 2 at once"
else fail "--data FIFO: exit 2 at once" "status $status (124 = hung)" "${out:0:400}"; fi
# idx_dir DIR: a complete, tiny IDX directory (2 images of 4x4 per split) to break one file of.
idx_dir() {
    python3 - "$1" <<'PY'
import os, struct, sys
d = sys.argv[1]; os.makedirs(d, exist_ok=True)
for split in ("train", "t10k"):
    open(f"{d}/{split}-images-idx3-ubyte", "wb").write(struct.pack(">IIII", 0x803, 2, 4, 4) + bytes(32))
    open(f"{d}/{split}-labels-idx1-ubyte", "wb").write(struct.pack(">II", 0x801, 2) + bytes([0, 1]))
PY
}
idx_dir "$work/zero-idx"
ln -sf /dev/zero "$work/zero-idx/train-images-idx3-ubyte"
run timeout 20 "$bin" --headless --data "$work/zero-idx" </dev/null
if [[ $status -eq 2 ]] && grep -qF "not a regular file (a character device)" <<<"$out"; then pass "IDX file linked to /dev/zero: exit 2 at once"
else fail "IDX file linked to /dev/zero: exit 2 at once" "status $status (124 = hung)" "${out:0:400}"; fi
mkfifo "$work/fifo.yaml"
run timeout 20 "$bin" --headless --config "$work/fifo.yaml" </dev/null
if [[ $status -eq 2 ]] && grep -qF "not a regular file (a FIFO)" <<<"$out"; then pass "--config FIFO: exit 2 at once"
else fail "--config FIFO: exit 2 at once" "status $status" "${out:0:400}"; fi

# --- sizes from flags and files are bounded before allocation ---------------------------------------------------------
expect_error "--hidden 100000,100000: exit 2 with the estimate" "--hidden:" "needs about" "GiB" "memory limit" \
    -- "${small[@]}" --hidden 100000,100000
expect_error "--checkpoint with a 999999999999-wide field: exit 2" "--checkpoint:" "width 999999999999 is too large" \
    -- "${small[@]}" --checkpoint 'x-{epoch:999999999999d}.tbmodel'
idx_dir "$work/big"
rm "$work/big/train-images-idx3-ubyte"
python3 - "$work/big/train-images-idx3-ubyte.gz" <<'PY'
import gzip, struct, sys
with gzip.open(sys.argv[1], "wb") as f:
    f.write(struct.pack(">IIII", 0x803, 1, 8000, 8000) + bytes(100000))
PY
expect_error "gzip IDX declaring one 8000x8000 image: exit 2" "train-images-idx3-ubyte.gz" "larger than 4096x4096" \
    -- --headless --data "$work/big"
if python3 -c 'import numpy' 2>/dev/null; then
    python3 - "$work" <<'PY'
import numpy as np, sys
d = sys.argv[1]
for name, label in [("e8", 10**8), ("e40", 2**40), ("million", 10**6)]:
    y = np.zeros(300, np.int64); y[5] = label
    np.savez(f"{d}/{name}.npz", x_train=np.zeros((300, 4, 4), np.uint8), y_train=y,
             x_test=np.zeros((2, 4, 4), np.uint8), y_test=np.array([0, 1], np.int64))
PY
    for name in e8 e40 million; do
        expect_error "npz label $name: exit 2 naming the array" "$work/$name.npz" "y_train.npy" "65536 classes" \
            -- "${small[@]}" --data "$work/$name.npz"
    done
else
    fail "npz label checks" "python3 with numpy is needed"
fi

# --- config files -----------------------------------------------------------------------------------------------------
{
    echo 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
    prev=a
    for n in b c d e f g h i; do echo "$n: &$n [*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev]"; prev=$n; done
    echo '? *i'; echo ': 1'
} >"$work/bomb.yaml"
run timeout 10 "$bin" --headless --config "$work/bomb.yaml" </dev/null
if [[ $status -eq 2 ]] && grep -qF "anchors and aliases are not supported" <<<"$out" && ((${#out} < 400)); then
    pass "YAML alias bomb: exit 2 at once, short message"
else fail "YAML alias bomb: exit 2 at once, short message" "status $status (124 = hung), ${#out} bytes" "${out:0:400}"; fi
printf 'data: %s/nowhere\n' "$work" >"$work/data.yaml"
expect_error "a bad data path from a config file names the file" "$work/data.yaml: data:" "$work/nowhere" \
    -- --headless --config "$work/data.yaml"

# --- flags and data with plain-words errors ----------------------------------------------------------------------------
expect_error "--epochs -1 says it must be at least 1" "--epochs: must be at least 1, got -1" -- --headless --epochs -1
expect_error "--lr -1 says it must be >= 0" "--lr: must be >= 0" -- --headless --lr -1
expect_error "--decay -1 says it must be >= 0" "--decay: must be >= 0" -- --headless --decay -1
expect_error "--seed -1 names the value and says >= 0" "'-1' is invalid for '--seed" ">= 0" -- --headless --seed -1
expect_error "--validation-split 0.999 leaves no training rows" "--validation-split:" "no training samples" \
    -- "${small[@]}" --validation-split 0.999
printf 'label,a,b\n1,0\0.5,2\n0,1,2\n1,2,3\n' >"$work/nul.csv"
expect_error "a NUL byte inside a CSV cell is refused" "$work/nul.csv:2" -- "${small[@]}" --data "$work/nul.csv"
printf 'a,b,label\n1,2,nan\n0,1,1\n1,2,0\n' >"$work/nan-label.csv"
expect_error "a NaN label names file, line and column" "$work/nan-label.csv:2: column 3" -- "${small[@]}" --data "$work/nan-label.csv"
printf '{"action":"lr_set","epoch":0,"update":5,"time":1,"learning_rate":-1}\n' >"$work/neg.jsonl"
expect_error "--replay-journal with a negative rate is refused" "$work/neg.jsonl:1" "learning_rate: expected a finite number >= 0" \
    -- "${small[@]}" --replay-journal "$work/neg.jsonl"
printf '{"action":"pa\xffuse"}\n' >"$work/bad-utf8.jsonl"
expect_error "--replay-journal with invalid UTF-8 names the offset" "not UTF-8 text (invalid byte at offset 13)" \
    -- "${small[@]}" --replay-journal "$work/bad-utf8.jsonl"
expect_error "--checkpoint template with an unknown key is refused before training" "{foo}" \
    -- "${small[@]}" --checkpoint "$work/ck-{foo}.tbmodel"

# --- a checkpoint template ending in / writes inside the directory ----------------------------------------------------
run timeout 60 "$bin" "${small[@]}" --checkpoint "$work/ck/{epoch:02d}/" </dev/null
if [[ $status -eq 0 && -f $work/ck/01/model.keras ]]; then pass "--checkpoint 'dir/{epoch:02d}/' writes dir/01/model.keras"
else fail "--checkpoint 'dir/{epoch:02d}/' writes dir/01/model.keras" "status $status" "$(find "$work/ck" 2>&1)" "${out:0:400}"; fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
