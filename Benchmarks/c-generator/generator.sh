# Sourced by the scripts that drive the broker comparison's C load generator (compare-c.sh,
# flood-isolation.sh): builds the generator with mprelay's adapter, and mprelayd in release mode.
# The script sets ROOT (the repository), RUN (its scratch folder) and SCRIPT, and sources
# Benchmarks/processes.sh first.

# Copies the generator's sources from $1 into $RUN/generator, adds adapter_mprelay.c (mprelay's
# envelope protocol v1: HELLO, SEND, DELIVER), builds bench and relay_limit there and leaves the
# shell in that folder.
build_generator() {
    local source=$1 file
    for file in bench.c bench.h relay_limit.c Makefile; do
        [ -f "$source/$file" ] || { echo "$SCRIPT: $source/$file is missing" >&2; exit 1; }
    done
    note "building the generator with the mprelay adapter"
    cp -r "$source"/. "$RUN/generator"
    cp "$ROOT/Benchmarks/c-generator/adapter_mprelay.c" "$RUN/generator/"
    cd "$RUN/generator"
    grep -q adapter_mprelay bench.c || {
        sed -i 's/^\( *\)&adapter_binenv,$/&\n\1\&adapter_mprelay,/' bench.c
        sed -i 's/adapter_binenv;$/adapter_binenv, adapter_mprelay;/' bench.h
        sed -i 's/adapter_binenv\.c$/adapter_binenv.c adapter_mprelay.c/' Makefile
    }
    grep -q '&adapter_mprelay' bench.c && grep -q 'adapter_mprelay;' bench.h && grep -q 'adapter_mprelay.c' Makefile \
        || { echo "$SCRIPT: could not add the adapter: the generator's sources have changed shape" >&2; exit 1; }
    make -s bench relay_limit >"$RUN/make.log" 2>&1 || { tail -20 "$RUN/make.log" >&2; exit 1; }
}

# Builds mprelayd in release mode in the scratch folder $1 and sets MPRELAYD to the binary.
build_mprelayd() {
    local scratch=$1
    note "building mprelayd (release, scratch $scratch)"
    swift build -c release --package-path "$ROOT" --scratch-path "$scratch" --product mprelayd >"$RUN/build.log" 2>&1 \
        || { tail -20 "$RUN/build.log" >&2; exit 1; }
    MPRELAYD=$(swift build -c release --package-path "$ROOT" --scratch-path "$scratch" --show-bin-path)/mprelayd
}

# Starts mprelayd ($1, the binary) on 127.0.0.1:$2 with authkey $3 and warnings only, and appends
# its PID to PIDS; $4 names its config and log files in $RUN.
start_mprelayd() {
    local binary=$1 port=$2 authkey=$3 label=$4
    printf '[broker]\nlog_level = "warning"\n\n[[endpoint]]\naddress = "127.0.0.1:%s"\nauthkey = "%s"\n\n[control]\nenabled = false\n' \
        "$port" "$authkey" >"$RUN/$label.toml"
    "$binary" --config "$RUN/$label.toml" 2>"$RUN/$label.log" &
    PIDS+=("$!")
}
