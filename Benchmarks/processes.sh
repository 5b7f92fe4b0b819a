# Sourced by the comparison scripts: the servers they start are stopped on every exit, Ctrl-C
# included. The script sets RUN (its scratch folder, removed at the end unless KEEP is set) and
# SCRIPT (its name, for messages), and appends the PID of every server it starts to PIDS.
PIDS=()

note() { echo "$SCRIPT: $*" >&2; }

# TERM, up to 5 s to exit, then KILL; then the scratch folder goes.
stop_all() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || continue
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    PIDS=()
    if [ -n "${KEEP:-}" ]; then note "run directory kept: $RUN"; else rm -rf "$RUN"; fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM
