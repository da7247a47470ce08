#!/usr/bin/env bash
# End-to-end test of the search view: drives `trainboard search` in tmux through Tests/e2e/tmux-drive on a small
# Fashion-MNIST search (2 candidates x 2 folds, 1 job, enough epochs to act while a fit runs). Checks: the estimate
# line (of the resumed search); the table appears with a running fit; Enter opens the running fit's live dashboard (p
# pauses that fit) and q returns;
# k skips the selected candidate (recorded in its result files); s stops, keeping finished results, and q exits 0 with
# the terminal restored; `--resume` completes headless without running the skipped candidate; `search --replay` shows
# the ranks in the view and, headless, prints the table sorted by rank.
#
# Usage: Tests/e2e/search-view.sh   (env: TRAINBOARD_BIN, default .build/debug/trainboard)
# Prints "N passed, M failed"; exit status 0 only if everything passed (2 on a setup failure).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 2
tui="$root/Tests/e2e/tmux-drive"
[[ -x $tui ]] || { echo "search-view: $tui is missing or not executable" >&2; exit 2; }
command -v tmux >/dev/null || { echo "search-view: tmux is required" >&2; exit 2; }
bin=${TRAINBOARD_BIN:-.build/debug/trainboard}
[[ $bin == /* ]] || bin="$root/$bin"
[[ -x $bin ]] || { echo "search-view: no binary at $bin (build first)" >&2; exit 2; }
[[ -d /usr/share/datasets/fashion-mnist ]] || { echo "search-view: Fashion-MNIST missing" >&2; exit 2; }

export TMUX_DRIVE_SOCKET="tb-search-view-$$"
work=$(mktemp -d)
cleanup() { "$tui" kill-server; rm -rf "$work"; }
trap cleanup EXIT
source "$root/Tests/e2e/lib.sh"
cd "$work" || exit 2

dir=$work/s
# 600 training rows per fold, 600 epochs: a few seconds per fit (0.4 s per 60 epochs in a release build on 2 cores),
# one fit at a time, so that a fit is still running when the keys below reach it.
start_cmd sv 110x30 -- "$bin" search --grid 'init=lecun_uniform,zero' --max-samples 1200 --epochs 600 --cv 2 \
    --jobs 1 --seed 5 --out "$dir"
if "$tui" wait sv 'rank +# +state +split0 +split1' 60 >/dev/null 2>&1; then pass "the search table appears"
else fail "the search table appears" sv; fi
if "$tui" wait sv '0/4 fits .* 1 running' 30 >/dev/null 2>&1 && "$tui" wait sv ' e[0-9]+ ' 30 >/dev/null 2>&1
then pass "a running fit with its sparkline and epoch count"; else fail "a running fit with its sparkline and epoch count" sv; fi
# Enter on the running fit: its live dashboard (the fit listens), whose keys steer that fit; q comes back.
"$tui" keys sv Enter
if "$tui" wait sv 'attached to fit-00000' 10 >/dev/null 2>&1 && "$tui" wait sv 'q: detach' 5 >/dev/null 2>&1
then pass "Enter opens the running fit's live dashboard"
else fail "Enter opens the running fit's live dashboard" sv; fi
"$tui" keys sv p
if "$tui" wait sv 'PAUSED' 10 >/dev/null 2>&1; then
    rows=$(wc -l <"$dir/fits/fit-00000.csv"); sleep 2
    [[ $(wc -l <"$dir/fits/fit-00000.csv") -eq $rows ]] && pass "p in the fit's dashboard pauses that fit (its log stays at $rows lines for 2 s)" \
        || fail "p pauses the fit" "its log grew from $rows lines"
else fail "p in the fit's dashboard pauses that fit" sv; fi
"$tui" keys sv p
"$tui" wait sv 'RUNNING' 10 >/dev/null 2>&1 || fail "p again resumes the fit" sv
# l: a learning rate for this fit alone; the fit's result and cv_results say it was steered.
"$tui" keys sv l
"$tui" keys sv 0 . 0 1 2 3 Enter
"$tui" wait sv 'lr set' 10 >/dev/null 2>&1 || fail "l sets the fit's learning rate" sv
"$tui" keys sv q
if "$tui" wait sv 'rank +# +state' 10 >/dev/null 2>&1 && "$tui" wait sv "back from fit 0's dashboard" 5 >/dev/null 2>&1
then pass "q returns to the table, the fit goes on"; else fail "q returns to the table" sv; fi
# Fit 0 (the steered one) finishes before the stop below, so that its result is kept.
"$tui" wait sv '1/4 fits' 180 >/dev/null 2>&1 || fail "fit 0 finishes" sv
if grep -qE '"update [0-9]+: learning rate [0-9.e-]+ -> 0.0123"' "$dir/fits/fit-00000.json" 2>/dev/null
then pass "the steered fit's result records the change ($(grep -o '"update [^"]*"' "$dir/fits/fit-00000.json"))"
else fail "steering in fit-00000.json: $(cat "$dir/fits/fit-00000.json" 2>/dev/null)"; fi
if head -n1 "$dir/cv_results.csv" | grep -q ',n_unfinished_splits,n_steered_splits$' \
   && sed -n 2p "$dir/cv_results.csv" | grep -qE ',1$'; then pass "cv_results count the steered split (n_steered_splits 1 for candidate 0)"
else fail "n_steered_splits: $(head -n 2 "$dir/cv_results.csv")"; fi
"$tui" keys sv Down k
if "$tui" wait sv 'candidate 1 skipped' 10 >/dev/null 2>&1 && "$tui" wait sv ' 1 skipped +skip +skip ' 10 >/dev/null 2>&1
then pass "k skips the selected candidate"; else fail "k skips the selected candidate" sv; fi
if grep -q '"reason" : "skipped"' "$dir/fits/fit-00002.json" 2>/dev/null && grep -q '"reason" : "skipped"' "$dir/fits/fit-00003.json" 2>/dev/null
then pass "skipped fits are recorded in the directory"; else fail "skipped fits are recorded in the directory" "$(ls "$dir/fits")"; fi
"$tui" keys sv s
if "$tui" wait sv 'stopped: [0-9] of 4 fits finished and kept' 20 >/dev/null 2>&1; then pass "s stops the search"
else fail "s stops the search" sv; fi
"$tui" keys sv q
expect_exit sv 0 "q leaves the stopped search"
if [[ ! -e $dir/refit.json ]]; then pass "no refit after a stop"; else fail "no refit after a stop"; fi

out=$("$bin" search --resume "$dir" 2>&1); rc=$?
if [[ $rc -eq 0 ]] && grep -q '^best: candidate 0 ' <<<"$out" && ! grep -q 'candidate 1 split' <<<"$out"; then
    pass "--resume completes without running the skipped candidate"
else fail "--resume completes without running the skipped candidate: rc=$rc ${out:0:1200}"; fi
if grep -q '^resuming: [2-3] of 4 fits already finished' <<<"$out"; then pass "--resume keeps the finished and skipped fits"
else fail "--resume keeps the finished and skipped fits: ${out:0:600}"; fi
if grep -qE '^estimated time: about [0-9hms ]+ with [0-9]+ jobs? \(probe: [0-9.]+ ms per row and epoch over [0-9]+ rows' <<<"$out"
then pass "the time estimate before starting"; else fail "the time estimate before starting: ${out:0:600}"; fi

out=$("$bin" search --replay "$dir" 2>&1); rc=$?
table=$(sed -n '/^rank  candidate/,$p' <<<"$out")
if [[ $rc -eq 0 ]] && grep -qE '^ +1 +0  [0-9.]+ ' <<<"$table" && grep -qE '^ +2 +1  NaN ' <<<"$table"; then
    pass "search --replay (headless) prints the table sorted by rank"
else fail "search --replay (headless) prints the table sorted by rank: rc=$rc $out"; fi

start_cmd rv 100x24 -- "$bin" search --replay "$dir"
if "$tui" wait rv '4/4 fits' 20 >/dev/null 2>&1 && "$tui" wait rv '^ +1 +\*0 +done ' 5 >/dev/null 2>&1 \
   && "$tui" wait rv '^ +2 +1 +skipped ' 5 >/dev/null 2>&1 && "$tui" wait rv 'refit test' 5 >/dev/null 2>&1
then pass "search --replay shows the ranks in the view"; else fail "search --replay shows the ranks in the view" rv; fi
"$tui" keys rv k
if "$tui" wait rv 'read-only' 5 >/dev/null 2>&1; then pass "k is off in a replay"; else fail "k is off in a replay" rv; fi
"$tui" keys rv Enter
if "$tui" wait rv 'Trainboard search fit 0: candidate 0, split 0' 10 >/dev/null 2>&1; then pass "Enter opens a finished fit in a replay"
else fail "Enter opens a finished fit in a replay" rv; fi
"$tui" keys rv Escape q
expect_exit rv 0 "q leaves the replay"

# An estimate over an hour asks first: n starts nothing; --yes does not ask.
start_cmd ask 100x24 -- "$bin" search --grid 'init=lecun_uniform,zero' --max-samples 1200 --epochs 1000000 --cv 2 \
    --jobs 1 --out "$work/long"
if "$tui" wait ask 'Start the search\?' 60 >/dev/null 2>&1 && "$tui" wait ask 'This is more than an hour' 5 >/dev/null 2>&1
then pass "an estimate over an hour asks for confirmation"; else fail "an estimate over an hour asks for confirmation" ask; fi
"$tui" keys ask n
expect_exit ask 0 "n leaves without starting"
if [[ ! -d $work/long/fits ]]; then pass "nothing ran after n"; else fail "nothing ran after n" "$(ls "$work/long/fits")"; fi
start_cmd yes 100x24 -- "$bin" search --grid 'init=lecun_uniform,zero' --max-samples 1200 --epochs 1000000 --cv 2 \
    --jobs 1 --out "$work/long2" --yes
if "$tui" wait yes '1 running' 60 >/dev/null 2>&1 && ! "$tui" screen yes | grep -q 'Start the search'
then pass "--yes starts without asking"; else fail "--yes starts without asking" yes; fi
"$tui" keys yes s
"$tui" wait yes 'stopped: 0 of 4' 20 >/dev/null 2>&1
"$tui" keys yes q
expect_exit yes 0 "s then q leave a long search"

out=$("$bin" search --replay "$work/nothing" 2>&1); rc=$?
if [[ $rc -eq 2 ]] && grep -q 'not a search directory' <<<"$out"; then pass "search --replay of a non-search exits 2"
else fail "search --replay of a non-search exits 2: rc=$rc $out"; fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
