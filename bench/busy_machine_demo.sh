#!/usr/bin/env bash
# Must show (issue 21): with CPU hogs running, a run's headline, presentation, report and Compare
# say it was measured on a busy machine, History says so, and `horsepower advise RUN` projects no
# CPU from it and says why. Two short CPU runs (1 thread, all threads: the pair that once made
# "1 thread is 4.55x faster than all cores") under HOGS busy processes; the hogs are killed as soon
# as the runs end, and on any exit. Everything goes to a temporary history.
#
#   bench/busy_machine_demo.sh                    # 3 s timed windows, 2 hogs (about a minute)
#   DURATION=1 bench/busy_machine_demo.sh         # smoke
#   KEEP=1 bench/busy_machine_demo.sh             # keep the outputs (their folder is printed)
#
# Prints one PASS/FAIL line per claim with the line that shows it; exits 1 if any claim fails.
set -u
cd "$(dirname "$0")/.."
HP=${HORSEPOWER:-.venv/bin/horsepower}
PY=${PYTHON:-.venv/bin/python}
DURATION=${DURATION:-3}
HOGS=${HOGS:-2}
work=$(mktemp -d -t horsepower-busy-XXXXXX)
export HORSEPOWER_DATA_DIR="$work/data"
hogs=()

stop_hogs() {
    for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${hogs[@]}"; do wait "$pid" 2>/dev/null; done
    hogs=()
}
cleanup() {
    stop_hogs
    if [ -n "${KEEP:-}" ]; then echo "outputs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for _ in $(seq "$HOGS"); do
    python3 -c 'while True: pass' &
    hogs+=("$!")
done
echo "started $HOGS CPU hogs: ${hogs[*]}"

small=(--knob width=256 --knob depth=2 --batch-size 32 --duration "$DURATION" --no-wait)
"$HP" run "${small[@]}" --threads 1 --name "busy 1 thread" --json "$work/a.json" >"$work/a.txt" 2>&1
"$HP" run "${small[@]}" --name "busy all cores" --json "$work/b.json" >"$work/b.txt" 2>&1
stop_hogs
echo "hogs stopped"

run_id() { "$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["run_id"])' "$1"; }
a=$(run_id "$work/a.json") || { echo "FAIL: the first run wrote no result"; cat "$work/a.txt"; exit 1; }
b=$(run_id "$work/b.json") || { echo "FAIL: the second run wrote no result"; cat "$work/b.txt"; exit 1; }

"$HP" compare "$a" "$b" --html "$work/compare.html" >"$work/compare.txt" 2>&1
"$HP" export "$a" "$work/report.html" --html >/dev/null 2>&1
"$HP" history >"$work/history.txt" 2>&1
"$HP" advise "$a" >"$work/advise.txt" 2>&1
# the presentation's headline: the window calls this same function on the round's results
"$PY" - "$work/a.json" "$work/b.json" >"$work/headline.txt" <<'EOF'
import json, sys
from profiler.analysis.headline import headline
line = headline([json.load(open(p)) for p in sys.argv[1:]])
print(line.sentence if line else "no headline")
EOF

failed=0
claim() {  # claim WHAT FILE PATTERN [-v]: PASS when PATTERN is (or with -v: is not) in FILE
    local what=$1 file=$2 pattern=$3 negate=${4:-}
    local hit
    hit=$(grep -i -o -m1 -E -- ".{0,60}($pattern).{0,140}" "$file" | head -n1)
    if { [ -z "$negate" ] && [ -n "$hit" ]; } || { [ -n "$negate" ] && [ -z "$hit" ]; }; then
        echo "PASS  $what${hit:+: $(echo "$hit" | sed 's/<[^>]*>//g')}"
    else
        echo "FAIL  $what${hit:+ (found: $(echo "$hit" | cut -c1-160))}"
        failed=1
    fi
}
claim "run summary: machine line" "$work/a.txt" "^ *machine +BUSY"
claim "run summary: warning" "$work/a.txt" "measured on a busy machine: not this hardware"
claim "result JSON: contended" "$work/a.json" '"contended": true'
claim "presentation headline" "$work/headline.txt" "measured on a busy machine: not this hardware"
claim "presentation headline: no speedup" "$work/headline.txt" "faster" -v
claim "report headline" "$work/report.html" 'class="headline busy"'
claim "report" "$work/report.html" "measured on a busy machine"
claim "compare: run marked" "$work/compare.txt" "busy machine"
claim "compare: no speedup" "$work/compare.txt" "[0-9]×" -v
claim "compare HTML" "$work/compare.html" "measured on a busy machine"
claim "history status" "$work/history.txt" "completed · busy machine"
claim "advise: says why" "$work/advise.txt" "busy machine"
echo "--- advise $a (first lines)"
head -n 12 "$work/advise.txt"
exit "$failed"
