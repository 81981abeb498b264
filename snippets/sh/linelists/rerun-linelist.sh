#!/usr/bin/env bash
# title: Rerun the WA DOH linelist for a date, as its cron job does
# effect: write
# tags: [shell, results]
# params:
#   LINELIST_DATE:
#     type: date
#     pattern: ^\d{4}-\d{2}-\d{2}$
#     example: '2021-11-29'
#     help: the day the linelist covers
#   OUTPUT_DIR:
#     list: true
#     pattern: ^(/|s3://|ssh://)\S*$
#     example: /tmp/linelists
#     help: local folder, s3:// or ssh:// destinations (comma-separated)
#   CRON_FILE:
#     default: /etc/cron.d/backoffice-wa-doh-linelists
#     pattern: ^/\S*$
#     help: the installed cron file of the linelist job
# connection: >-
#   None of yours: the job's own settings from CRON_FILE (PGSERVICE=production-etl,
#   PIPENV_PIPFILE, ENVD, the DOH_* upload settings), run as the job's user, whose
#   ~/.pg_service.conf defines the service.
# notes: >-
#   backoffice installs each of its crontabs/<name> as /etc/cron.d/backoffice-<name> (sudo make
#   -C crontabs). This snippet reads the installed linelist job from CRON_FILE: its variable
#   settings, its user (the sixth field) and its command from `pipenv run` to the generate
#   script (pipenv run envdir $ENVD/hutch envdir $ENVD/redcap .../generate in backoffice's
#   crontabs/wa-doh-linelists, 2021-07), and runs that command as that user with
#   `--date LINELIST_DATE` first (generate reads the date as its second argument) and one
#   --output-dir per OUTPUT_DIR. It leaves out the job's promjob and chronic wrappers (its
#   Prometheus metrics still show the failed run until the next scheduled one) and its
#   --upload-if-empty (an empty linelist is not uploaded). An s3:// or ssh:// OUTPUT_DIR
#   uploads: that is the submission. Use a local folder first to check the file.

# The parentheses run the snippet in a subshell: pasted into your shell, `set -e` and `exit`
# stop the snippet, not your shell.
(
set -euo pipefail
: "${LINELIST_DATE:?the day the linelist covers}"
: "${OUTPUT_DIR:?local folder, s3:// or ssh:// destinations (comma-separated)}"
CRON_FILE=${CRON_FILE:-/etc/cron.d/backoffice-wa-doh-linelists}
if ! [[ $LINELIST_DATE =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]]; then
    echo "LINELIST_DATE must be a date as YYYY-MM-DD, not '$LINELIST_DATE'" >&2
    exit 2
fi
IFS=, read -r -a destinations <<<"$OUTPUT_DIR"
for dest in "${destinations[@]}"; do
    if ! [[ $dest =~ ^(/|s3://|ssh://)[^[:space:]]*$ ]]; then
        echo "OUTPUT_DIR must be absolute folders, s3://... or ssh://..., comma-separated, not '$OUTPUT_DIR'" >&2
        exit 2
    fi
done
if ! [[ $CRON_FILE == /* && -f $CRON_FILE && -r $CRON_FILE ]]; then
    echo "CRON_FILE: '$CRON_FILE' is not a readable file (installed by: sudo make -C /opt/backoffice/crontabs)" >&2
    exit 2
fi

# The job's variable settings (NAME=value lines; cron drops matching outer quotes).
settings=()
declare -A value=()
while IFS= read -r line; do
    [[ $line =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*(.*[^[:space:]])?[[:space:]]*$ ]] || continue
    name=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]:-}
    if [[ $val =~ ^\"(.*)\"$ || $val =~ ^\'(.*)\'$ ]]; then val=${BASH_REMATCH[1]}; fi
    settings+=("$name=$val")
    value[$name]=$val
done <"$CRON_FILE"

# The job line: the one that is not a comment and runs wa-doh-linelists/generate.
mapfile -t jobs < <(grep -E '^[[:space:]]*[^#[:space:]].*/wa-doh-linelists/generate' "$CRON_FILE" \
                    | grep -Ev '^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*[[:space:]]*=' || true)
if ((${#jobs[@]} != 1)); then
    echo "CRON_FILE: expected one job line running wa-doh-linelists/generate in $CRON_FILE, found ${#jobs[@]}" >&2
    exit 1
fi
job=${jobs[0]}
read -r -a fields <<<"$job"
user=${fields[5]}
# From `pipenv run` to the generate script; variables ($ENVD, ${ENVD}) are expanded from the
# file's settings, anything else (quotes, $(...)) is refused rather than evaluated.
launcher=${job#*pipenv run }
if [[ $launcher == "$job" ]]; then
    echo "CRON_FILE: the job does not run through 'pipenv run': $job" >&2
    exit 1
fi
launcher="pipenv run ${launcher%%/wa-doh-linelists/generate*}/wa-doh-linelists/generate"
command=()
read -r -a words <<<"$launcher"
for word in "${words[@]}"; do
    while [[ $word =~ \$\{?([A-Za-z_][A-Za-z0-9_]*)\}? ]]; do
        ref=${BASH_REMATCH[0]} name=${BASH_REMATCH[1]}
        if [[ -z ${value[$name]+set} ]]; then
            echo "CRON_FILE: the job uses \$$name, which $CRON_FILE does not set" >&2
            exit 1
        fi
        word=${word/"$ref"/"${value[$name]}"}
    done
    if ! [[ $word =~ ^[A-Za-z0-9_./@:=+-]+$ ]]; then
        echo "CRON_FILE: the job's command has a part this snippet does not run ('$word'): $job" >&2
        exit 1
    fi
    command+=("$word")
done
command+=(--date "$LINELIST_DATE")
for dest in "${destinations[@]}"; do
    command+=(--output-dir "$dest")
done

as_job_user() {
    if [[ $user == "$(id -un)" ]]; then
        "$@"
    else
        sudo -u "$user" -H "$@"
    fi
}

echo "The scheduled job, as installed in $CRON_FILE:"
echo "    $job"
for dest in "${destinations[@]}"; do
    if [[ $dest == /* ]]; then
        as_job_user mkdir -p -m 700 -- "$dest"  # a linelist holds personal data
    fi
done
echo "== as $user, with the job's settings (PGSERVICE=${value[PGSERVICE]:-unset}): ${command[*]}"
as_job_user env "${settings[@]}" "${command[@]}"
echo "Done. Check the file in ${destinations[*]}, then post a note in #linelist-submissions once it is uploaded."
)
