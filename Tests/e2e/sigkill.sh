#!/usr/bin/env bash
# Checkpoints survive SIGKILL (issue 9): a run overwrites one .keras checkpoint every epoch (a 784-512-10 model with
# momentum, about 3.3 MB a file, one batch of 100 samples per epoch, so much of the time goes to checkpoint writes); it is killed with SIGKILL at a random
# moment after it wrote its first checkpoint, and the checkpoint present must hold a training state whose epoch never
# goes back; the next run resumes from it (`--resume`, which reads and checks the whole file: exit 2 if it cannot) and
# is killed again, KILLS times in a row. Finally a resume runs to its end
# (exit 0) and leaves no temporary file. Atomic writes (SafeFile: temporary file, fsync, rename, fsync of the
# directory) make this hold; a killed writer's temporary `.ck.keras.tbtmp-PID-N` is removed by the next run.
#
# Env: TRAINBOARD_BIN (default .build/debug/trainboard), KILLS (default 30)
source "$(dirname "${BASH_SOURCE[0]}")/cli-lib.sh"
kills=${KILLS:-30}
d=$work/kill
mkdir -p "$d"
ck=$d/ck.keras

# The epoch (0-based) in a checkpoint's training state, or "none".
state_epoch() {
    python3 -c '
import json, sys, zipfile
try:
    with zipfile.ZipFile(sys.argv[1]) as z:
        s = json.loads(z.read("trainboard-state.json"))
    print(s["epoch"] + (1 if s["epochEnded"] else 0))
except Exception as e:
    print("none", e)' "$1"
}

last=-1
loaded=0
bad=0
midwrite=0
for ((i = 1; i <= kills; i++)); do
    if [[ -f $ck ]]; then
        args=(train --headless --resume "$ck")
    else
        args=(train --headless --max-samples 100 --batch-size 100 --hidden 512 --epochs 100000 --seed 3 --checkpoint "$ck")
    fi
    before=$(stat -c %y "$ck" 2>/dev/null)
    "$bin" "${args[@]}" </dev/null >"$d/out-$i.txt" 2>&1 &
    pid=$!
    # Wait until the run has written two checkpoints (past its start-up), measuring one cycle of a training step and
    # a checkpoint write, then kill it at a random moment of the next cycle.
    marks=()
    for ((t = 0; t < 6000 && ${#marks[@]} < 2; t++)); do
        kill -0 "$pid" 2>/dev/null || break
        now=$(stat -c %y "$ck" 2>/dev/null)
        if [[ $now != "$before" ]]; then marks+=("$(date +%s%N)"); before=$now; fi
        sleep 0.002
    done
    if ((${#marks[@]} == 2)); then
        cycle=$(((marks[1] - marks[0]) / 1000000))
        ((cycle < 1)) && cycle=1
        delay=$((RANDOM % cycle))
        sleep "$((delay / 1000)).$(printf %03d $((delay % 1000)))"
    fi
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    # A temporary left behind: this kill landed inside a checkpoint write.
    [[ -n $(find "$d" -name '*tbtmp*' | head -n 1) ]] && midwrite=$((midwrite + 1))
    if grep -q 'error' "$d/out-$i.txt"; then
        bad=$((bad + 1)); fail "run $i (resuming from the previous kill's checkpoint) failed" "$(head -c 400 "$d/out-$i.txt")"
    fi
    [[ -f $ck ]] || continue
    e=$(state_epoch "$ck")
    if [[ $e == none* ]]; then
        bad=$((bad + 1)); fail "kill $i: the checkpoint present holds a readable training state" "$e"
        cp "$ck" "$d/broken-$i.keras"; rm -f "$ck"; continue
    fi
    if ((e < last)); then
        bad=$((bad + 1)); fail "kill $i: the checkpoint went back from resume epoch $last to $e"
    fi
    last=$e
    loaded=$((loaded + 1))
done
if ((bad == 0 && loaded >= kills / 2)); then
    pass "$kills SIGKILLs across checkpoint writes ($midwrite inside a write): each next run resumed from the checkpoint present (last resume epoch $((last + 1)))"
elif ((bad == 0)); then
    fail "$kills SIGKILLs: only $loaded checkpoints to check (the runs were killed before writing any)"
fi

# The last checkpoint resumes and finishes; the killed writers' temporaries are gone.
e=$(state_epoch "$ck")
run "$bin" train --headless --resume "$ck" --epochs $((e + 2)) </dev/null
if [[ $status -eq 0 ]] && grep -qF "Resuming $ck: epoch $((e + 1))" <<<"$out" \
    && [[ $(state_epoch "$ck") == $((e + 2)) ]]; then
    pass "the newest checkpoint after $kills kills resumes at epoch $((e + 1)) and finishes"
else fail "the newest checkpoint resumes and finishes" "status $status" "${out:0:600}"; fi
left=$(find "$d" -name '*tbtmp*' | head -n 3)
if [[ -z $left ]]; then pass "no temporary file left next to the checkpoint"
else fail "no temporary file left next to the checkpoint" "$left"; fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
