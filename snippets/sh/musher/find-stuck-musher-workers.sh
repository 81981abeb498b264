#!/usr/bin/env bash
# title: Find uWSGI worker threads stuck in read(
# effect: read
# tags: [shell, services]
# params:
#   SAMPLE_SECONDS:
#     type: integer
#     default: '5'
#     pattern: ^\d+$
#     help: seconds to watch each worker
#   SERVICE:
#     default: uwsgi@husky-musher
#     pattern: ^[A-Za-z0-9@._-]+$
#     help: systemd unit of the uWSGI master
#   KEEP_TRACES:
#     default: 'no'
#     pattern: ^(yes|no)$
#     help: yes keeps the strace output (private folder, path printed) for a closer look
# notes: >-
#   Finds the uWSGI master (the unit's MainPID) and its worker processes and their threads
#   (ps -L --ppid), watches every worker with strace -f for SAMPLE_SECONDS (all at once, each
#   bounded by timeout), and reports each thread whose only system call in that window is an
#   unfinished read( - a thread that stays blocked reading. It ends with whether a reload is
#   advised. The traces can hold fragments of requests, with personal data: they are written
#   into a private folder (mode 700) under TMPDIR, removed when the check ends, unless
#   KEEP_TRACES=yes, which keeps it and prints its path. Needs root (strace attaches to the
#   workers).

# The parentheses run the snippet in a subshell: pasted into your shell, `set -e` and `exit`
# stop the snippet, not your shell.
(
set -euo pipefail
SAMPLE_SECONDS=${SAMPLE_SECONDS:-5}
SERVICE=${SERVICE:-uwsgi@husky-musher}
KEEP_TRACES=${KEEP_TRACES:-no}
if ! [[ $KEEP_TRACES =~ ^(yes|no)$ ]]; then
    echo "KEEP_TRACES must be yes or no, not '$KEEP_TRACES'" >&2
    exit 2
fi
if ! [[ $SAMPLE_SECONDS =~ ^[0-9]+$ ]] || ((10#$SAMPLE_SECONDS < 1 || 10#$SAMPLE_SECONDS > 300)); then
    echo "SAMPLE_SECONDS must be a whole number of seconds from 1 to 300, not '$SAMPLE_SECONDS'" >&2
    exit 2
fi
if ! [[ $SERVICE =~ ^[A-Za-z0-9@._-]+$ ]]; then
    echo "SERVICE must be a systemd unit name such as uwsgi@husky-musher, not '$SERVICE'" >&2
    exit 2
fi

master=$(systemctl show -p MainPID "$SERVICE")
master=${master#MainPID=}
if ! [[ $master =~ ^[0-9]+$ ]] || ((master == 0)); then
    echo "$SERVICE is not running (no MainPID): systemctl status $SERVICE" >&2
    exit 1
fi
# One line per thread of every child of the master: "<worker pid> <thread id>".
threads=$(ps -L -o pid=,lwp= --ppid "$master")
mapfile -t workers < <(awk '{print $1}' <<<"$threads" | sort -nu)
if ((${#workers[@]} == 0)); then
    echo "The $SERVICE master $master has no worker processes" >&2
    exit 1
fi
echo "$SERVICE: master $master, workers ${workers[*]}, $(grep -c . <<<"$threads") threads; watching each worker for $SAMPLE_SECONDS s"

# Traces may hold request data: a folder only you can open, gone at the end unless kept.
traces=$(mktemp -d "${TMPDIR:-/tmp}/musher-strace.XXXXXX")
chmod 700 "$traces"
if [[ $KEEP_TRACES == no ]]; then
    trap 'rm -rf "$traces"' EXIT
fi
trap 'exit 130' INT TERM
pids=()
for worker in "${workers[@]}"; do
    sudo timeout "$SAMPLE_SECONDS" strace -f -p "$worker" -o "$traces/$worker.trace" 2>"$traces/$worker.err" &
    pids+=("$!")
done
untraced=()
for i in "${!workers[@]}"; do
    worker=${workers[$i]}
    status=0
    wait "${pids[$i]}" || status=$?
    # 124: timeout ended strace after the window, as intended.
    if ((status != 0 && status != 124)) || ! [[ -s $traces/$worker.trace ]]; then
        untraced+=("$worker")
        echo "Could not trace worker $worker (exit $status): $(tail -n 1 "$traces/$worker.err")" >&2
    fi
done

# With -f and -o, strace starts each line with the thread id. A thread is stuck when its only
# event in the window is a read( that never finished (strace marks it unfinished or detached).
stuck=0
for worker in "${workers[@]}"; do
    [[ -s $traces/$worker.trace ]] || continue
    while read -r tid call; do
        echo "stuck: worker $worker thread $tid: $call"
        stuck=$((stuck + 1))
    done < <(awk '
        $2 ~ /^<detached/ || ($2 == "<..." && $0 ~ /resumed> *<detached \.\.\.>$/) { next }
        { n[$1]++; last[$1] = $0 }
        END {
            for (t in n)
                if (n[t] == 1 && last[t] ~ /^[0-9]+ +read\(.*<(unfinished|detached) \.\.\.>$/) {
                    line = last[t]; sub(/^[0-9]+ +/, "", line); print t, line
                }
        }' "$traces/$worker.trace" | sort -n)
done

if [[ $KEEP_TRACES == yes ]]; then
    echo "Traces: $traces"
    echo "Kept as asked (KEEP_TRACES=yes): they may hold request data; rm -rf the folder when done."
fi
if ((stuck > 0)); then
    echo "$stuck thread(s) stayed blocked in read( for $SAMPLE_SECONDS s."
    echo "Reload advised: sudo systemctl reload $SERVICE (reload-husky-musher.sh), then run this check again."
elif ((${#untraced[@]} > 0)); then
    echo "No stuck thread among the workers traced, but ${untraced[*]} could not be traced (run as root)." >&2
    exit 1
else
    echo "No thread stayed blocked in read( for $SAMPLE_SECONDS s: no reload needed."
fi
)
