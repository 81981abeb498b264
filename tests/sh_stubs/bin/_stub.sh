# Sourced by every stand-in: record argv, locate outputs, honour STUB_FAIL.
# shellcheck shell=bash
: "${STUB_LOG:?STUB_LOG must name the log file the stand-ins append to}"
STUB_NAME=$(basename "$0")
STUB_HERE=$(cd "$(dirname "$0")" && pwd)
STUB_OUT=${STUB_OUTPUTS:-$STUB_HERE/../outputs}
# One line, one write: stand-ins run in parallel (the stuck-worker check starts an strace per
# worker), and a line written piece by piece interleaves with theirs.
STUB_ARGS=''
if (($#)); then printf -v STUB_ARGS ' %q' "$@"; fi
printf '%s%s\n' "$STUB_NAME" "$STUB_ARGS" >>"$STUB_LOG"

stub_fail_if_asked() {  # stub_fail_if_asked <subcommand>
    local item
    for item in ${STUB_FAIL:-}; do
        if [[ $item == "$STUB_NAME" || $item == "$STUB_NAME:$1" ]]; then
            echo "$STUB_NAME: failing as asked (STUB_FAIL=$item)" >&2
            exit 1
        fi
    done
}

stub_show() {  # stub_show <file under outputs> : cat it, or fail like a missing recording
    if [[ -f $STUB_OUT/$1 ]]; then
        cat "$STUB_OUT/$1"
    else
        echo "$STUB_NAME stand-in: no recorded output $1" >&2
        exit 97
    fi
}

stub_show_state() {  # stub_show_state <base> : <base>.<STUB_UNIT_STATE>.txt if recorded, else <base>.txt
    if [[ -n ${STUB_UNIT_STATE:-} && -f $STUB_OUT/$1.$STUB_UNIT_STATE.txt ]]; then
        stub_show "$1.$STUB_UNIT_STATE.txt"
    else
        stub_show "$1.txt"
    fi
}
