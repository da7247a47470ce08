#!/usr/bin/env bash
# End-to-end test of a real hangup (issue 7): the dashboard runs in tmux and the tmux session is killed, which closes
# the terminal and sends SIGHUP (often twice: to the foreground process group and through the session leader). Every
# time, training must stop gracefully: the final checkpoint is written and the CSV log holds every finished epoch.
#
# Usage: Tests/e2e/hangup.sh   (env TRAINBOARD_BIN, default .build/debug/trainboard; HANGUP_TRIES, default 4)
# Needs: tmux, Fashion-MNIST. Exit status: 0 if every try passed, 1 otherwise, 2 if the setup failed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${TRAINBOARD_BIN:-$root/.build/debug/trainboard}
tui="$root/Tests/e2e/tmux-drive"
[[ -x $bin ]] || { echo "hangup.sh: no trainboard binary at $bin" >&2; exit 2; }
command -v tmux >/dev/null || { echo "hangup.sh: tmux is needed" >&2; exit 2; }
export TMUX_DRIVE_SOCKET="tb-hangup-$$"
work=$(mktemp -d)
trap '"$tui" kill-server 2>/dev/null; rm -rf "$work"' EXIT
passed=0 failed=0
for try in $(seq "${HANGUP_TRIES:-4}"); do
    dir="$work/try$try"
    mkdir -p "$dir"
    "$tui" start hup 100x30 -- "$bin" --epochs 500 --max-samples 3000 --checkpoint "$dir/ckpt.tbmodel" \
        --csv-log "$dir/log.csv" --journal "$dir/journal.jsonl"
    if ! "$tui" wait hup '[^0-9/]([2-9]|[1-9][0-9]+)/500' 60 2>"$dir/screen"; then
        failed=$((failed + 1)); echo "FAIL try $try: the dashboard did not reach epoch 2"; cat "$dir/screen"; continue
    fi
    pid=$(pgrep -f -- "--checkpoint $dir/ckpt.tbmodel" | head -n 1)
    "$tui" stop hup    # closes the pty: the kernel sends SIGHUP
    for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        failed=$((failed + 1)); echo "FAIL try $try: still running 20 s after the hangup"; kill -KILL "$pid"; continue
    fi
    final=$(ls "$dir"/final-epoch* 2>/dev/null | head -n 1)
    rows=$(($(wc -l <"$dir/log.csv") - 1))
    if [[ -n $final && -s $final && $rows -ge 1 ]] && ! ls "$dir"/.*tbtmp* >/dev/null 2>&1; then
        passed=$((passed + 1)); echo "ok   try $try: hangup wrote $(basename "$final") and $rows CSV rows"
    else
        failed=$((failed + 1)); echo "FAIL try $try: final checkpoint '${final:-none}', $rows CSV rows (or a temporary left)"; ls -la "$dir"
    fi
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
