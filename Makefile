# mprelay: `make run` starts the daemon on its embedded default config; `make test` runs every test.
SWIFT ?= swift
CONFIGURATION ?= debug
BIN := .build/$(CONFIGURATION)
APT_PACKAGES := libsystemd-dev libssl-dev openssl pkg-config nats-server prometheus chromium wrk

.PHONY: all deps build build-tests run test test-swift test-toml test-integration test-conformance test-control test-http test-cluster test-python test-systemd clean
.PHONY: fuzz fuzz-smoke test-sanitize release

# Seconds each fuzz target runs for in `make fuzz`.
FUZZ_SECONDS ?= 600
# Random documents the TOML differential test (Tests/toml-differential) checks in `make test`,
# and in `make fuzz`.
TOML_DIFFERENTIAL_COUNT ?= 10000
TOML_FUZZ_COUNT ?= 300000

all: build

# Installs what the build needs and is missing (Debian packages), once.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIGURATION)

build-tests: deps
	$(SWIFT) build --build-tests

# Runs the daemon in the foreground on the embedded default: 127.0.0.1:6000 and a socket in the
# runtime directory, with a random authkey whose file it names in its log.
run: build
	exec $(BIN)/mprelayd

test: build-tests test-swift test-toml test-integration test-conformance test-control test-http test-cluster test-python test-systemd fuzz-smoke

test-swift: build-tests
	$(SWIFT) test --skip-build

# The TOML parser against CPython's tomllib: the same verdict and values on random documents.
test-toml: build-tests
	Tests/toml-differential/run.sh $(TOML_DIFFERENTIAL_COUNT)

test-integration: build-tests
	Tests/integration/run-all-pythons.sh

# One test per normative sentence of docs/PROTOCOL.md, on a client written from the doc alone,
# under the newest CPython that pyenv lists.
test-conformance: build-tests
	Tests/conformance/run.sh

# The control socket and mprelayctl against the real daemon (docs/CONTROL.md).
test-control: build-tests
	Tests/control/run.sh

# The [http] monitoring server against the real daemon, a real Prometheus and headless Chromium.
test-http: build-tests
	Tests/http/run.sh

# Three nats-servers with JetStream and three mprelayd nodes serving one name space
# (docs/CLUSTER.md), with real clients, under the newest CPython that pyenv lists.
test-cluster: build-tests
	Tests/cluster/run.sh

test-python: build-tests
	clients/python/run-tests.sh

test-systemd: build-tests
	Tests/systemd/run.sh

# libFuzzer targets (Fuzz/, a package of its own) with AddressSanitizer: frames, handshake,
# envelopes, configuration, the NATS protocol. Fails on any crash, with the input saved under fuzz-corpus/crashes/.
fuzz: deps
	SWIFT=$(SWIFT) Fuzz/run.sh $(FUZZ_SECONDS)
	$(SWIFT) build --product toml-decode
	Tests/toml-differential/run.sh $(TOML_FUZZ_COUNT)

fuzz-smoke: deps
	SWIFT=$(SWIFT) Fuzz/run.sh 20

# The Swift test suite under AddressSanitizer, then ThreadSanitizer, each in its own build folder.
# LeakSanitizer ignores only the leaks of XCTest (Fuzz/lsan-suppressions.txt); the slow unwinder
# lets it see through C frames to tell whose they are. ThreadSanitizer cannot see
# Synchronization.Mutex order plain threads (Tests/tsan-suppressions.txt says which and why).
test-sanitize: deps
	LSAN_OPTIONS=suppressions=$(CURDIR)/Fuzz/lsan-suppressions.txt:fast_unwind_on_malloc=0 \
		$(SWIFT) test --sanitize=address --scratch-path .build-asan
	TSAN_OPTIONS=suppressions=$(CURDIR)/Tests/tsan-suppressions.txt \
		$(SWIFT) test --sanitize=thread --scratch-path .build-tsan

clean:
	rm -rf .build

# The binaries make install and make deb ship: optimized, with the Swift runtime linked in so
# that the target machine needs no Swift toolchain.
release: deps
	$(SWIFT) build -c release --static-swift-stdlib --product mprelayd
	$(SWIFT) build -c release --static-swift-stdlib --product mprelayctl

install deb: release

-include packaging/install.mk
