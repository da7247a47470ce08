# A scratch setup shared by the end-to-end tests that start background runs (sourced before lib.sh):
#   source Tests/e2e/scratch.sh NAME
# sets TMUX_DRIVE_SOCKET=NAME-PID (a private tmux server), $work (a scratch folder), $pids (background processes the
# test adds), and an EXIT trap that stops the tmux server, kills those processes and removes $work.
export TMUX_DRIVE_SOCKET="$1-$$"
work=$(mktemp -d)
pids=()
cleanup() {
    "$tui" kill-server
    local p; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
