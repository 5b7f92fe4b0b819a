# Sourced by the comparison scripts: the servers they start are stopped on every exit, Ctrl-C
# included. The script sets RUN (its scratch folder, removed at the end unless KEEP is set) and
# SCRIPT (its name, for messages), and appends the PID of every server it starts to PIDS. Also
# the steps every script shares: the release build (build_release), a fresh key (make_authkey),
# waiting for a server's port (wait_port), a three-server NATS cluster (start_nats_cluster) and
# one bounded mprelay-bench run whose JSON summary goes to $RESULTS (bench, with $BENCH set), and
# the same with the CPU time of named server processes during it (bench_with_cpu).
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

# Builds the release PRODUCTS into $SCRATCH (logs in $RUN) and sets BIN to their folder.
build_release() {
    local product
    note "building release (scratch $SCRATCH)"
    for product in "$@"; do
        swift build -c release --package-path "$ROOT" --scratch-path "$SCRATCH" --product "$product" >"$RUN/build-$product.log" 2>&1 \
            || { tail -20 "$RUN/build-$product.log" >&2; exit 1; }
    done
    BIN=$(swift build -c release --package-path "$ROOT" --scratch-path "$SCRATCH" --show-bin-path)
}

# Writes a random authkey to $RUN/authkey (mode 0600) and exports it as MPRELAY_AUTHKEY.
make_authkey() {
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$RUN/authkey"
    chmod 600 "$RUN/authkey"
    export MPRELAY_AUTHKEY
    MPRELAY_AUTHKEY=$(cat "$RUN/authkey")
}

# Waits up to 10 s for a TCP port on 127.0.0.1 to accept, while process $2 lives.
wait_port() {
    local port=$1 pid=$2
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || return 1
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# Starts three nats-servers with JetStream, clustered on 127.0.0.1 (cluster name "bench"):
# clients on ports $1 to $1+2, routes on $2 to $2+2 and, given a third port, the monitoring
# server on $3 to $3+2. Stores and logs go to $RUN/nats-N; returns once each accepts clients,
# their PIDs in NATS_PIDS.
start_nats_cluster() {
    local client=$1 route=$2 monitor=${3:-} i routes pids=() monitoring
    routes=$(for i in 0 1 2; do printf 'nats://127.0.0.1:%s,' $((route + i)); done)
    for i in 0 1 2; do
        monitoring=()
        [ -z "$monitor" ] || monitoring=(-m $((monitor + i)))
        nats-server -a 127.0.0.1 -p $((client + i)) -js -sd "$RUN/nats-$i" -n "nats-$i" --cluster_name bench \
            --cluster "nats://127.0.0.1:$((route + i))" --routes "${routes%,}" "${monitoring[@]}" >"$RUN/nats-$i.log" 2>&1 &
        PIDS+=("$!")
        pids+=("$!")
    done
    for i in 0 1 2; do wait_port $((client + i)) "${pids[$i]}" || { cat "$RUN/nats-$i.log" >&2; exit 1; }; done
    NATS_PIDS=("${pids[@]}")
}

# Runs one workload with a time bound and appends its JSON summary, tagged, to the results.
bench() {
    local tag=$1 bound=$2
    shift 2
    local out
    if out=$(timeout "$bound" "$BENCH" "$@" --json --quiet); then
        printf '{"tag": "%s", "result": %s}\n' "$tag" "$out" >>"$RESULTS"
    else
        note "$tag failed (exit $?)"
        printf '{"tag": "%s", "result": %s}\n' "$tag" "${out:-null}" >>"$RESULTS"
    fi
}

# `bench` with the CPU time (user and system, seconds) each process of $CPU_PIDS (an associative
# array, name to PID) used during the run, appended to the results as tag "$1 cpu".
bench_with_cpu() {
    local tag=$1 name before=() after=() fields=() user_before system_before user_after system_after
    for name in "${!CPU_PIDS[@]}"; do before+=("$(cpu_ticks "${CPU_PIDS[$name]}")"); done
    bench "$@"
    for name in "${!CPU_PIDS[@]}"; do after+=("$(cpu_ticks "${CPU_PIDS[$name]}")"); done
    local i=0 hz
    hz=$(getconf CLK_TCK)
    for name in "${!CPU_PIDS[@]}"; do
        read -r user_before system_before <<<"${before[$i]}"
        read -r user_after system_after <<<"${after[$i]}"
        fields+=("\"$name\": {\"user\": $(((user_after - user_before) * 1000 / hz))e-3, \"system\": $(((system_after - system_before) * 1000 / hz))e-3}")
        i=$((i + 1))
    done
    local joined
    joined=$(IFS=,; echo "${fields[*]}")
    printf '{"tag": "%s cpu", "result": {"status": "ok", "processes": {%s}}}\n' "$tag" "$joined" >>"$RESULTS"
}

# The user and system clock ticks process $1 has used, from /proc.
cpu_ticks() {
    # Fields 14 and 15 of the stat line, counted after the command name, which may hold spaces.
    sed 's/.*) //' "/proc/$1/stat" | awk '{print $12, $13}'
}
