#!/usr/bin/env bash
# The project's two commands.
#   ./dev.sh demo   install into .venv, migrate, load the demo data, run web + Celery worker + beat
#   ./dev.sh test   install into .venv, lint, run the tests (on PostgreSQL + Redis too in CI)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$PWD
VENV=$ROOT/.venv
PY=$VENV/bin/python
# Runtime files (SQLite database, broker queue, mail, media, logs); settings read the same VAR_DIR.
VAR=${VAR_DIR:-$ROOT/var}

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'dev.sh: %s\n' "$*" >&2; exit 1; }

is_py311() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1; }

find_python() {
    local candidate
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && is_py311 "$candidate"; then
            command -v "$candidate"
            return
        fi
    done
    die "Python 3.11 is required: install python3.11 (with its venv module) and retry."
}

# Create .venv if needed and install the project with its dev tools; reinstall only when
# pyproject.toml changes, so repeated runs start at once.
ensure_venv() {
    local python stamp
    if [[ ! -x $PY ]] || ! is_py311 "$PY"; then
        python=$(find_python)
        say "Creating .venv with $python"
        rm -rf "$VENV"
        "$python" -m venv "$VENV"
    fi
    stamp=$VENV/.installed-$("$PY" -c 'import hashlib
print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest()[:16])')
    if [[ ! -e $stamp ]]; then
        say "Installing dependencies into .venv"
        "$PY" -m pip install --quiet -e '.[dev]' 2>&1 | { grep -v "Location .* is ignored" || true; }
        rm -f "$VENV"/.installed-*
        touch "$stamp"
    fi
    mkdir -p "$VAR"/{log,mail,media,broker/queue,broker/processed,broker/control}
}

manage() { "$PY" manage.py "$@"; }

# -- demo ---------------------------------------------------------------------------------------

PIDS=()

stop_all() {
    trap - INT TERM EXIT
    local pid
    # The leaders first: the worker then stops its pool and beat itself (a warm shutdown).
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 75); do
        local alive=0
        for pid in "${PIDS[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
        [[ $alive == 0 ]] && return
        sleep 0.2
    done
    for pid in "${PIDS[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
}

wait_for_port() {
    "$PY" - "$1" <<'EOF'
import socket, sys, time
for _ in range(120):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.5)
sys.exit(1)
EOF
}

demo() {
    ensure_venv
    export DEBUG=${DEBUG:-1}
    local port=${PORT:-8000}
    # Links in the e-mails point at this demo, whatever port it runs on.
    export SITE_URL=${SITE_URL:-http://127.0.0.1:$port}
    say "Migrating the database"
    manage migrate --noinput
    say "Loading the demo data"
    manage load_seeds | tee "$VAR/log/load_seeds.log"
    if manage help setup_schedules >/dev/null 2>&1; then
        say "Creating the periodic schedules"
        manage setup_schedules
    fi

    # Each child runs in its own process group, so nothing of it (the worker's pool and its
    # embedded beat) can outlive the demo.
    trap 'stop_all; exit 130' INT
    trap 'stop_all; exit 143' TERM
    trap stop_all EXIT
    say "Starting the Celery worker with beat (log: $VAR/log/worker.log)"
    say "Starting the web server on 127.0.0.1:$port"
    set -m
    "$VENV/bin/celery" -A config worker -B -l info --concurrency 2 \
        >"$VAR/log/worker.log" 2>&1 &
    PIDS+=($!)
    "$PY" manage.py runserver --noreload "127.0.0.1:$port" &
    PIDS+=($!)
    set +m

    if wait_for_port "$port"; then
        cat <<EOF

  Grid task tracker demo is running.
    Supervisor console (admin):  http://127.0.0.1:$port/admin/
    Officer pages (phone):       http://127.0.0.1:$port/m/
    Public board and citizen reports (no login): http://127.0.0.1:$port/public/
    E-mails are written to $VAR/mail/, the worker logs to $VAR/log/worker.log.
  load_seeds' output is in $VAR/log/load_seeds.log.
EOF
        # From load_seeds' logins line on (all of its output if it has none).
        local log=$VAR/log/load_seeds.log
        if grep -qi login "$log"; then sed -n '/[Ll]ogin/,$p' "$log"; else cat "$log"; fi |
            sed 's/^/  /'
        printf '\n  Press Ctrl-C to stop.\n\n'
    fi
    # Stop everything when any one process ends.
    local rc=0
    wait -n || rc=$?
    return "$rc"
}

# -- test ---------------------------------------------------------------------------------------

run_suite() {
    local label=$1
    shift
    say "pytest on $label"
    if "$@"; then
        return 0
    fi
    FAILED+=("$label")
}

# Browser tests drive Debian's Chromium (never a browser downloaded by a test tool); a CJK font
# makes the screenshots readable. Installed once, when the machine allows it.
ensure_chromium() {
    [[ -x /usr/bin/chromium ]] && return 0
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "Installing Debian's chromium for the browser tests"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            chromium fonts-wqy-zenhei >/dev/null; } || say "chromium could not be installed"
    else
        say "No /usr/bin/chromium: the browser tests will be skipped (apt-get install chromium)"
    fi
}

test_cmd() {
    ensure_venv
    ensure_chromium
    say "ruff check ."
    "$VENV/bin/ruff" check .
    say "mypy"
    "$VENV/bin/mypy"
    FAILED=()
    local with_services=0
    if [[ ${CI:-} == true || -n ${DATABASE_URL:-} || -n ${REDIS_URL:-} ]]; then
        with_services=1
    fi
    if [[ $with_services == 1 ]]; then
        local db=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/gridtasks}
        local redis=${REDIS_URL:-redis://127.0.0.1:6379/15}
        run_suite "PostgreSQL + Redis ($db, $redis)" \
            env DATABASE_URL="$db" REDIS_URL="$redis" "$VENV/bin/pytest" "$@"
    fi
    run_suite "SQLite + embedded broker" \
        env -u DATABASE_URL -u REDIS_URL "$VENV/bin/pytest" "$@"
    if ((${#FAILED[@]})); then
        say "FAILED: ${FAILED[*]}"
        return 1
    fi
    say "All test runs passed"
}

case ${1:-} in
    demo) shift; demo "$@" ;;
    test) shift; test_cmd "$@" ;;
    *)
        echo "usage: ./dev.sh demo    # install, migrate, load demo data, run web + worker + beat"
        echo "       ./dev.sh test    # install, lint, run the tests [pytest args...]"
        exit 2
        ;;
esac
