# Shared setup of the command-line end-to-end scripts (sourced by cli.sh and hostile.sh): finds the binary, makes a
# scratch folder ($work, removed on exit), and defines pass/fail counting, `run` and `expect_error`.
# Env: TRAINBOARD_BIN  the binary (default .build/debug/trainboard, relative to the repository root)
bin=${TRAINBOARD_BIN:-.build/debug/trainboard}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# A relative TRAINBOARD_BIN is relative to the caller's directory; the default one to the repository root.
if [[ $bin != /* ]]; then
    if [[ -n ${TRAINBOARD_BIN:-} ]]; then bin="$PWD/$bin"; else bin="$root/$bin"; fi
fi
cd "$root" || exit 2    # ./themes is one of the theme locations
[[ -x $bin ]] || { echo "$(basename "$0"): no trainboard binary at $bin (build it or set TRAINBOARD_BIN)" >&2; exit 2; }

work=$(mktemp -d)
bg_pid=
cleanup() {
    if [[ -n $bg_pid ]]; then kill -KILL "$bg_pid" 2>/dev/null; fi
    rm -rf "$work"
}
trap cleanup EXIT

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() {
    failed=$((failed + 1)); echo "FAIL $1"
    shift
    local line
    for line in "$@"; do printf '       %s\n' "$line"; done
}

# run NAME CMD...: runs CMD with stdout+stderr in $out, status in $status.
out= status=
run() { out=$("${@}" 2>&1); status=$?; }

# check_output NAME STATUS PATTERN...: the last `run` exited with STATUS and its output contains every PATTERN (fixed
# strings).
check_output() {
    local name=$1 want=$2; shift 2
    if [[ $status -ne $want ]]; then fail "$name" "exit status $status, expected $want" "${out:0:600}"; return; fi
    local p
    for p in "$@"; do
        if ! grep -qF -- "$p" <<<"$out"; then fail "$name" "output does not contain '$p':" "${out:0:600}"; return; fi
    done
    pass "$name"
}

# expect_error NAME PATTERN... -- ARGS...: `trainboard ARGS` exits 2 and its output contains every PATTERN (fixed
# strings).
expect_error() {
    local name=$1; shift
    local patterns=()
    while [[ $1 != -- ]]; do patterns+=("$1"); shift; done
    shift
    run "$bin" "$@" </dev/null
    check_output "$name" 2 "${patterns[@]}"
}

