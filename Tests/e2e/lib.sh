# Shared helpers for the end-to-end terminal tests (sourced; needs $tui = Tests/e2e/tmux-drive and $work = a scratch
# folder).
# pass/fail counting, a wrapper that records `stty -g` before and after the program in the same pane, starting
# wrapped commands in tmux, finding the program's pid, and waiting for and checking its exit status.
# Runs the program between two `stty -g` in the same pane; records the wrapper's pid (NAME.pid) so the test can find
# the program (its child) and signal only that process, and the verdict (NAME.result: STTY-SAME|STTY-DIFF and rc=N;
# also echoed to the pane, but tmux may scroll the pane when it prints "Pane is dead").
cat >"$work/wrap.sh" <<'WRAP'
#!/usr/bin/env bash
pidfile=$1; shift
echo $$ >"$pidfile"
before=$(stty -g)
"$@"
rc=$?
after=$(stty -g)
if [ "$before" = "$after" ]; then verdict=STTY-SAME; else verdict=STTY-DIFF; fi
printf '%s\nrc=%s\n' "$verdict" "$rc" | tee "${pidfile%.pid}.result"
exit $rc
WRAP
chmod +x "$work/wrap.sh"

passed=0; failed=0
pass() { passed=$((passed + 1)); echo "PASS: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; [[ -n ${2:-} ]] && { echo "---- screen of $2:"; "$tui" screen "$2" 2>/dev/null | sed 's/^/    /'; echo "----"; }; }

# start_cmd NAME SIZE [--env K=V ...] -- CMD...: starts an arbitrary wrapped command.
start_cmd() {
    local name=$1 size=$2; shift 2
    local envs=()
    while [[ ${1:-} == --env ]]; do envs+=("$1" "$2"); shift 2; done
    [[ ${1:-} == -- ]] && shift
    "$tui" stop "$name"
    rm -f "$work/$name.pid" "$work/$name.result"
    "$tui" start "$name" "$size" "${envs[@]}" -- "$work/wrap.sh" "$work/$name.pid" "$@"
}
# program_pid NAME: the pid of the program under the wrapper.
program_pid() {
    local w i
    for i in $(seq 50); do
        if [[ -s $work/$1.pid ]]; then
            w=$(cat "$work/$1.pid")
            local p; p=$(ps -o pid= --ppid "$w" | tr -d ' ' | head -n1)
            [[ -n $p ]] && { echo "$p"; return 0; }
        fi
        sleep 0.1
    done
    return 1
}
# wait_exit NAME [SECS]: waits until the program under the wrapper ended; prints its exit status as the wrapper saw
# it (NAME.result). The pane's own status (tmux pane_dead_status) must agree when tmux reports one; under load tmux
# sometimes marks a pane dead without ever filling in its status, so an empty one is not held against the program.
wait_exit() {
    local i secs=${2:-10} rc="" s=""
    for i in $(seq $((secs * 10))); do
        [[ -s $work/$1.result ]] && grep -q '^rc=' "$work/$1.result" && break
        sleep 0.1
    done
    rc=$(sed -n 's/^rc=//p' "$work/$1.result" 2>/dev/null)
    [[ -n $rc ]] || { echo "running"; return 1; }
    for i in $(seq 20); do
        s=$("$tui" status "$1" 2>/dev/null) || s=""
        [[ $s =~ ^[0-9]+$ ]] && break
        sleep 0.1
    done
    if [[ $s =~ ^[0-9]+$ && $s != "$rc" ]]; then echo "mismatch(wrapper=$rc,tmux=$s)"; return 1; fi
    echo "$rc"
}
# expect_exit NAME STATUS LABEL: checks the exit status and the unchanged stty settings.
expect_exit() {
    local st; st=$(wait_exit "$1")
    if [[ $st == "$2" ]] && grep -qx STTY-SAME "$work/$1.result" 2>/dev/null && grep -qx "rc=$2" "$work/$1.result"; then
        pass "$3 (exit $st, stty unchanged)"
    else
        fail "$3: expected exit $2 with STTY-SAME, got status '$st' and: $(tr '\n' ' ' <"$work/$1.result" 2>/dev/null)" "$1"
    fi
}

