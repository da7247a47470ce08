#!/usr/bin/env bash
# End-to-end tests of `trainboard search --executor slurm` on a real Slurm: a throw-away one-node cluster on loopback
# (Tests/e2e/slurm-cluster.sh: munged, slurmctld -D, slurmd -D from Debian's packages, no systemd), then
#   - --dry-run prints the batch script and the sbatch commands and submits nothing; bad executor options exit 2
#   - a 4-candidate x 2-fold search as one job array, 2 tasks at once; one running task killed with scancel is recorded
#     as failed with Slurm's reason in slurm/state.json, --resume submits only that fit, and cv_results (params, split
#     scores, means, stds, ranks; not times) equal the local executor's for the same seed
#   - a search started locally resumed on Slurm (--refit-local) and one started on Slurm resumed locally
#   - a task that cannot run the trainboard binary fails with a clear message in its output file
#   - Ctrl-C in the following process cancels the array (scancel), keeping the finished results
# Every daemon is stopped by PID on exit, also when a step fails.
#
# Usage: Tests/e2e/slurm.sh     (from anywhere; builds nothing; as root)
# Env:   TRAINBOARD_BIN  the binary (default .build/debug/trainboard, relative to the repository root)
# Needs: slurmctld slurmd slurm-client munge (Debian 12: Slurm 22.05), Fashion-MNIST, python3.
# Exit status: 0 if every check passed, 1 if any failed, 2 if the setup failed.
set -uo pipefail

# shellcheck source=Tests/e2e/cli-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli-lib.sh"
# shellcheck source=Tests/e2e/slurm-cluster.sh
source "$root/Tests/e2e/slurm-cluster.sh"

for c in munged slurmctld slurmd sbatch squeue scontrol scancel; do
    command -v "$c" >/dev/null || { echo "slurm.sh: $c is not installed (apt-get install slurmctld slurmd slurm-client munge)" >&2; exit 2; }
done
[[ $(id -u) == 0 ]] || { echo "slurm.sh: the test cluster runs as root (SlurmUser=root)" >&2; exit 2; }
bg=()
stop_all() {
    local p
    for p in "${bg[@]}"; do kill -KILL "$p" 2>/dev/null; done
    slurm_stop
    cleanup
}
trap stop_all EXIT
started=$SECONDS
slurm_start "$work/cluster" || exit 2
echo "cluster up in $((SECONDS - started)) s (SLURM_CONF=$SLURM_CONF)"

grid=(--grid 'init=lecun_uniform,zero;batch-size=16,64' --max-samples 1000 --epochs 3 --cv 2 --seed 3)
state() { python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$1/slurm/state.json" "$2" 2>/dev/null; }
# same_cv A B: cv_results.json of A and B agree in every column but the times.
same_cv() {
    python3 - "$1/cv_results.json" "$2/cv_results.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert list(a) == list(b), (list(a), list(b))
diff = [k for k in a if "time" not in k and a[k] != b[k]]
assert not diff, {k: (a[k], b[k]) for k in diff}
assert "params" in a and "rank_test_score" in a and "split1_test_score" in a
print("ok")
PY
}

# --- --dry-run: the script and the commands, nothing written or submitted; bad options.
echo "[$((SECONDS - started)) s] --dry-run"
run "$bin" search "${grid[@]}" --executor slurm --max-parallel 2 --time 5 --mem 500M --partition debug \
    --sbatch-arg=--comment=tb --out "$work/dry" --dry-run
check_output "--dry-run prints the batch script and the sbatch commands" 0 "#!/bin/bash" 'exec "$tb" fit-trial "$dir" "$fit"' \
    "array=\$(sbatch --parsable" "--array=0-7%2" "--time=5" "--mem=500M" "--partition=debug" "--comment=tb" \
    "--cpus-per-task=1" "--dependency=afterok:\$array" "--output=$work/dry/fits/fit-%5a.log" "fit.sh 8"
if [[ ! -e $work/dry && -z $(squeue -h -o %i) ]]; then pass "--dry-run writes and submits nothing"
else fail "--dry-run writes and submits nothing" "$(ls "$work/dry" 2>&1)" "$(squeue -h 2>&1)"; fi
expect_error "--executor bogus" "--executor: expected local or slurm" -- search "${grid[@]}" --executor bogus --out "$work/bad1"
expect_error "a Slurm option without --executor slurm" "--partition needs --executor slurm" -- search "${grid[@]}" --partition x --out "$work/bad2"
expect_error "a bad --time" "--time: expected one of Slurm's time formats" "'5 hours'" -- search "${grid[@]}" --executor slurm --time '5 hours' --out "$work/bad3"
expect_error "--jobs with slurm" "--max-parallel" -- search "${grid[@]}" --executor slurm --jobs 2 --out "$work/bad4"
expect_error "--cpus-per-fit 0" "--cpus-per-fit: expected a whole number" -- search "${grid[@]}" --executor slurm --cpus-per-fit 0 --out "$work/bad5"

# --- The reference: the local executor, same seed.
echo "[$((SECONDS - started)) s] The reference"
t=$SECONDS
run "$bin" search "${grid[@]}" --jobs 2 --out "$work/local"
local_s=$((SECONDS - t))
[[ $status -eq 0 ]] || { fail "local reference search" "status $status" "${out:0:600}"; exit 1; }

# --- On Slurm: follow it, kill one running task with scancel.
echo "[$((SECONDS - started)) s] On Slurm"
t=$SECONDS
"$bin" search "${grid[@]}" --executor slurm --max-parallel 2 --out "$work/s" >"$work/s.out" 2>&1 &
spid=$!; bg+=("$spid")
killed= maxrun=0 array=
for ((i = 0; i < 300; i++)); do
    array=${array:-$(state "$work/s" 's["array_job_id"]')}
    running=$(squeue -h -r -n trainboard-search -t RUNNING -o '%F %K' 2>/dev/null | awk -v a="$array" '$1 == a {print $2}')
    n=$(grep -c . <<<"$running")
    ((n > maxrun)) && maxrun=$n
    if [[ -z $killed && -n $array ]]; then
        for k in $running; do
            f=$(printf '%s/s/fits/fit-%05d.json' "$work" "$k")
            [[ -e $f ]] && continue
            scancel "${array}_$k"; sleep 0.5
            if [[ ! -e $f ]]; then killed=$k; break; fi    # it finished first: try another one
        done
    fi
    kill -0 "$spid" 2>/dev/null || break
    sleep 0.2
done
wait "$spid"; status=$?
slurm_s=$((SECONDS - t))
out=$(cat "$work/s.out")
if ((maxrun >= 2)); then pass "2 fits run at once (--max-parallel 2)"; else fail "2 fits run at once (--max-parallel 2)" "at most $maxrun"; fi
if [[ -n $killed ]]; then pass "scancel of a running task (fit $killed of array $array)"
else fail "scancel of a running task" "no running task without a result was caught" "${out:0:600}"; fi
killed=${killed:-0}
st=$(state "$work/s" "s['fits'][$killed]['state']")
reason=$(state "$work/s" "s['fits'][$killed]['reason']")
if [[ $status -eq 1 && $st == failed && $reason == CANCELLED* && ! -e $(printf '%s/s/fits/fit-%05d.json' "$work" "$killed") ]] \
   && grep -qF "warning: fit $killed (" <<<"$out" && grep -qF -- "--resume submits it again" <<<"$out"; then
    pass "the killed task is recorded as failed with its reason (state.json: $reason)"
else fail "the killed task is recorded as failed with its reason" "status $status, state $st, reason $reason" "${out:0:900}"; fi
done_n=$(state "$work/s" "sum(f['state'] == 'completed' for f in s['fits'])")
refit_st=$(state "$work/s" "s['refit']['state']")
refit_reason=$(state "$work/s" "s['refit']['reason']")
if [[ $done_n == 7 && $refit_st == cancelled && ! -e $work/s/best_model.keras && -z $(squeue -h -o %i) ]]; then
    pass "the other fits finished and the refit job was cancelled"
else fail "the other fits finished and the refit job was cancelled" "$done_n completed, refit $refit_st: $refit_reason" "$(squeue -h 2>&1)"; fi

# --- --resume on Slurm submits only the killed fit, then the refit job runs.
echo "[$((SECONDS - started)) s] --resume on Slurm submits only the killed fit, then the refi"
t=$SECONDS
run "$bin" search --resume "$work/s" --executor slurm --max-parallel 2
resume_s=$((SECONDS - t))
check_output "--resume submits only the unfinished fit" 0 "7 of 8 fits already finished, 1 to run" \
    "submitted 1 fit as job array" "(--array=$killed%2)" "refit (job" "saved $work/s/best_model.keras"
[[ $(state "$work/s" "s['fits'][$killed]['state']") == completed ]] || fail "state.json: the resubmitted fit completed"
if [[ $(same_cv "$work/local" "$work/s" 2>&1) == ok ]]; then pass "cv_results on Slurm equal the local executor's"
else fail "cv_results on Slurm equal the local executor's" "$(same_cv "$work/local" "$work/s" 2>&1 | tail -n 3)"; fi

# --- Across executors: local -> Slurm (refit here), Slurm -> local.
echo "[$((SECONDS - started)) s] Across executors"
cp -r "$work/local" "$work/x"
rm "$work/x/fits/fit-00002.json" "$work/x/fits/fit-00005.json" "$work/x/cv_results.json" "$work/x/best_model.keras"
run "$bin" search --resume "$work/x" --executor slurm --refit-local
check_output "a local search resumed on Slurm (--refit-local)" 0 "6 of 8 fits already finished, 2 to run" \
    "(--array=2,5)" "the refit runs here" "refit of the best candidate on all training data (here)"
if [[ -s $work/x/best_model.keras && $(same_cv "$work/local" "$work/x" 2>&1) == ok ]]; then pass "... with the local executor's cv_results"
else fail "... with the local executor's cv_results" "$(same_cv "$work/local" "$work/x" 2>&1 | tail -n 3)"; fi
rm "$work/s/fits/fit-00000.json" "$work/s/fits/fit-00007.json" "$work/s/cv_results.json"
run "$bin" search --resume "$work/s" --jobs 2
if [[ $status -eq 0 ]] && grep -qF "6 of 8 fits already finished, 2 to run" <<<"$out" && [[ $(same_cv "$work/local" "$work/s" 2>&1) == ok ]]; then
    pass "a Slurm search resumed locally, same cv_results"
else fail "a Slurm search resumed locally, same cv_results" "status $status" "${out:0:600}"; fi

# --- A task that cannot run the binary fails with a clear message in its output file. The array is held until the
echo "[$((SECONDS - started)) s] A task that cannot run the binary fails with a clear message"
# binary the script names is gone.
cp "$bin" "$work/tb-copy"
cp -r "$work/local" "$work/y"
rm "$work/y/fits/fit-00001.json"
"$work/tb-copy" search --resume "$work/y" --executor slurm --refit-local --sbatch-arg=--hold >"$work/y.out" 2>&1 &
ypid=$!; bg+=("$ypid")
for ((i = 0; i < 100; i++)); do ya=$(state "$work/y" 's["array_job_id"]'); [[ -n $ya && $ya != None ]] && break; sleep 0.1; done
rm -f "$work/tb-copy"
scontrol release "$ya" 2>/dev/null
wait "$ypid"; status=$?
log=$(cat "$work/y/fits/fit-00001.log" 2>/dev/null)
reason=$(state "$work/y" "s['fits'][1]['reason']")
if [[ $status -eq 1 && $log == *"cannot run $work/tb-copy"*"build trainboard on a file system that every node mounts"* \
      && $reason == *"exit status 127"* ]]; then pass "a task without the binary fails with a clear message ($reason)"
else fail "a task without the binary fails with a clear message" "status $status, reason $reason" "log: $log" "$(cat "$work/y.out")"; fi

# Runs the Slurm search into $work/$1 (output $work/$1.out) with --max-parallel $2, sends it signal $3 once its
# first fit has a result (up to 20 s), and waits for it: its exit status is then in $signalled_status.
signal_search() {
    "$bin" search "${grid[@]}" --executor slurm --max-parallel "$2" --out "$work/$1" >"$work/$1.out" 2>&1 &
    local pid=$!
    bg+=("$pid")
    for ((i = 0; i < 200; i++)); do [[ -e $work/$1/fits/fit-00000.json ]] && break; sleep 0.1; done
    kill -"$3" "$pid"
    wait "$pid"; signalled_status=$?
}

# --- Ctrl-C in the following process cancels the array and keeps finished results.
echo "[$((SECONDS - started)) s] Ctrl-C in the following process cancels the array and keeps "
signal_search c 1 INT; status=$signalled_status
out=$(cat "$work/c.out")
cancelled=$(state "$work/c" "sum(f['state'] == 'cancelled' for f in s['fits'])")
completed=$(state "$work/c" "sum(f['state'] == 'completed' for f in s['fits'])")
results=$(ls "$work/c/fits/"*.json 2>/dev/null | wc -l)
if [[ $status -eq 130 && -z $(squeue -h -o %i) && $completed -ge 1 && $results -eq $completed && $((cancelled + completed)) -eq 8 ]] \
   && grep -qF "cancelling: scancel" <<<"$out" && grep -qF "have results (kept)" <<<"$out"; then
    pass "Ctrl-C cancels the array ($completed results kept, $cancelled fits cancelled)"
else fail "Ctrl-C cancels the array" "status $status, $completed completed, $cancelled cancelled, $results results" "${out:0:800}" "$(squeue -h 2>&1)"; fi

# --- `s` in a terminal does the same with --headless (script(1) gives the follower a terminal; without --headless
# the search view opens there, tested below).
echo "[$((SECONDS - started)) s] s in a terminal does the same (script(1) gives the follower "
(sleep 3; printf s; sleep 6) | script -qfec "$bin search --grid 'init=zero,lecun_uniform' --max-samples 1000 --epochs 3 --cv 2 --executor slurm --max-parallel 1 --headless --out $work/k" /dev/null >"$work/k.out" 2>&1 &
kpid=$!; bg+=("$kpid")
for ((i = 0; i < 200; i++)); do grep -q "have results (kept)" "$work/k.out" 2>/dev/null && break; sleep 0.1; done
wait "$kpid" 2>/dev/null    # the whole pipeline: at most the 9 s of its input
states=$(state "$work/k" "' '.join(sorted(set(f['state'] for f in s['fits'])))")
if grep -qF "s or Ctrl-C cancels the array" "$work/k.out" && grep -qF "cancelled by this search (s or Ctrl-C)" "$work/k.out" \
   && [[ $states == *cancelled* && -z $(squeue -h -o %i) ]]; then pass "s in the terminal cancels the array (fits: $states)"
else fail "s in the terminal cancels the array" "fits: $states" "$(tail -n 8 "$work/k.out")"; fi

# --- In a terminal the search view follows the Slurm search: Slurm's states and task ids in the table (from
# slurm/state.json), s cancels the array and keeps finished results.
echo "[$((SECONDS - started)) s] the search view follows a Slurm search"
tui=$root/Tests/e2e/tmux-drive
export TMUX_DRIVE_SOCKET="tb-slurm-view-$$"
"$tui" start sv 130x30 --env "SLURM_CONF=$SLURM_CONF" -- "$bin" search --grid 'init=zero,lecun_uniform,glorot_uniform' \
    --max-samples 1000 --epochs 30 --cv 2 --executor slurm --max-parallel 1 --out "$work/v"
if "$tui" wait sv 'rank +# +state +split0 +split1' 60 >/dev/null 2>&1 && "$tui" wait sv 'pending [0-9]+_[0-9]+' 60 >/dev/null 2>&1
then pass "the search view shows the Slurm search: pending fits with their array task ids"
else fail "the search view shows Slurm's states" "$("$tui" screen sv 2>&1 | head -n 14)"; fi
for ((i = 0; i < 300; i++)); do [[ -e $work/v/fits/fit-00000.json ]] && break; sleep 0.1; done
"$tui" keys sv s
for ((i = 0; i < 300; i++)); do
    vstates=$(state "$work/v" "' '.join(sorted(set(f['state'] for f in s['fits'])))")
    [[ $vstates == *cancelled* && $vstates != *running* && $vstates != *pending* ]] && break; sleep 0.1
done
"$tui" keys sv q
for ((i = 0; i < 100; i++)); do "$tui" alive sv >/dev/null 2>&1 || break; sleep 0.1; done
if [[ -e $work/v/fits/fit-00000.json && $vstates == *cancelled* && -z $(squeue -h -o %i) ]]; then
    pass "s in the search view cancels the array (fits: $vstates), finished results kept"
else fail "s in the search view cancels the array" "fits: $vstates" "$(squeue -h 2>&1)" "$("$tui" screen sv 2>&1 | head -n 14)"; fi
"$tui" kill-server >/dev/null 2>&1

# --- A hangup only stops following: the array runs on, and --resume follows it again instead of submitting twice.
echo "[$((SECONDS - started)) s] A hangup only stops following"
signal_search h 2 HUP; hstatus=$signalled_status
harray=$(state "$work/h" 's["array_job_id"]')
queued=$(squeue -h -o %i 2>/dev/null | grep -c .)
run "$bin" search --resume "$work/h" --executor slurm
if [[ $hstatus -eq 129 && $status -eq 0 && $queued -ge 1 ]] && grep -qF "stopped following; the jobs keep running" "$work/h.out" \
   && grep -qF "following job array $harray that an earlier run submitted" <<<"$out" && ! grep -q "^submitted " <<<"$out" \
   && [[ -s $work/h/best_model.keras && $(same_cv "$work/local" "$work/h" 2>&1) == ok ]]; then
    pass "a hangup leaves the array running; --resume follows it to the end (same cv_results)"
else fail "a hangup leaves the array running; --resume follows it to the end" "hangup status $hstatus, resume status $status, $queued queued" \
    "$(cat "$work/h.out")" "${out:0:600}"; fi

# --- Successive halving on Slurm: one array per iteration, the same survivors and cv_results as the local executor.
echo "[$((SECONDS - started)) s] successive halving on Slurm"
hgrid=(--halving --grid 'init=zero,lecun_uniform,glorot_uniform,he_uniform' --max-samples 800 --max-resources 4 --factor 2
       --cv 2 --seed 3)
run "$bin" search "${hgrid[@]}" --jobs 2 --out "$work/hl"
[[ $status -eq 0 ]] || fail "local halving reference" "status $status" "${out:0:400}"
run "$bin" search "${hgrid[@]}" --executor slurm --max-parallel 2 --out "$work/hs"
arrays=$(grep -c '^submitted ' <<<"$out")
if [[ $status -eq 0 && $arrays -ge 2 && -s $work/hs/best_model.keras ]] && cmp -s "$work/hl/iterations/iter-01.json" "$work/hs/iterations/iter-01.json" \
   && [[ $(same_cv "$work/hl" "$work/hs" 2>&1) == ok ]]; then
    pass "successive halving on Slurm: $arrays arrays (one per iteration), the local executor's survivors and cv_results"
else fail "successive halving on Slurm" "status $status, $arrays arrays" "${out:0:900}" "$(same_cv "$work/hl" "$work/hs" 2>&1 | tail -n 3)"; fi

# --- The scheduler's own latency: 8 empty tasks, 2 at once (4 waves), from sbatch until the queue is empty.
echo "[$((SECONDS - started)) s] The scheduler's own latency"
t0=$(date +%s.%N)
sbatch --parsable --array=0-7%2 --output=/dev/null --wrap=true >/dev/null
for ((i = 0; i < 300; i++)); do [[ -z $(squeue -h -o %i) ]] && break; sleep 0.1; done
latency=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

# --- Stop every daemon by PID; nothing of the cluster is left running.
echo "[$((SECONDS - started)) s] Stop every daemon by PID; nothing of the cluster is left run"
pids=("${slurm_pids[@]}")
slurm_stop
left=0
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done
if [[ $left -eq 0 && -z ${SLURM_CONF:-} ]]; then pass "every daemon stopped, SLURM_CONF unset"; else fail "every daemon stopped" "$left alive"; fi
echo "timing: local executor $local_s s, Slurm $slurm_s s for 8 fits (2 at once, one killed); --resume of 1 fit + the refit job $resume_s s;" \
    "8 empty array tasks 2 at once: $latency s from sbatch to an empty queue; whole script $((SECONDS - started)) s"
echo "$passed passed, $failed failed"
((failed == 0))
