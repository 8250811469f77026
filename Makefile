# msiforge: build, test and demo targets. `make demo` and `make test` install
# what they need (Debian/Ubuntu, as root) and work on a fresh machine.
GO      ?= go
BIN     := bin/msiforge
EXAMPLE := examples/console
VSC_EXAMPLE := examples/vsc
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
# Tools the build needs (wixl, msitools) and the tests use (nsis, wine;
# softhsm2 and opensc's pkcs11-tool for the PKCS#11 tests, gcc for the cgo
# build that has PKCS#11).
BUILD_PKGS := wixl msitools nsis
TEST_PKGS  := $(BUILD_PKGS) wine wine64 osslsigncode openssl chromium softhsm2 opensc gcc libc6-dev


.PHONY: all build install demo test e2e golden deps deps-test payload clean fmt vet fuzz relic bench

all: build

# -buildvcs=auto overrides a GOFLAGS=-buildvcs=false (this image sets it):
# the VCS revision in the build info is what lets a rebuilt but unchanged
# bin/msiforge keep the release's artifacts up to date (internal/uptodate).
build:
	$(GO) build -trimpath -buildvcs=auto -ldflags "-X github.com/msiforge/msiforge/internal/cli.Version=$(VERSION)" -o $(BIN) ./cmd/msiforge

# install puts msiforge into $(go env GOPATH)/bin (GOBIN if set), with the
# version of this checkout, and installs the Debian packages it runs.
install: deps
	$(GO) install -trimpath -buildvcs=auto -ldflags "-X github.com/msiforge/msiforge/internal/cli.Version=$(VERSION)" ./cmd/msiforge

# deps installs the missing Debian packages when running as root on a
# Debian-like system, and otherwise prints the command to run.
deps:
	@scripts/deps.sh $(BUILD_PKGS)

deps-test:
	@scripts/deps.sh $(TEST_PKGS)

# payload cross-compiles the sample console and the sample VSC service for
# the three Windows architectures.
payload:
	@for a in x86:386 x64:amd64 arm64:arm64; do \
	  arch=$${a%%:*}; goarch=$${a##*:}; \
	  GOOS=windows GOARCH=$$goarch CGO_ENABLED=0 $(GO) build -trimpath \
	    -ldflags "-s -w -buildid= -X main.version=1.4.2" \
	    -o $(EXAMPLE)/build/$$arch/ExampleConsole.exe ./$(EXAMPLE)/console || exit 1; \
	  GOOS=windows GOARCH=$$goarch CGO_ENABLED=0 $(GO) build -trimpath \
	    -ldflags "-s -w -buildid= -X main.version=1.4.2" \
	    -o $(VSC_EXAMPLE)/build/$$arch/VscService.exe ./$(VSC_EXAMPLE)/service || exit 1; \
	done

# demo signs with a throwaway self-signed certificate in .work/devcert
# (never committed; Windows does not trust it) and verifies the result.
DEVCERT := .work/devcert
demo: deps build payload
	@[ -f $(DEVCERT)/cert.pem ] || $(BIN) dev-cert -o $(DEVCERT) --subject "Example Corp (development)"
	$(BIN) build -f $(EXAMPLE)/msiforge.yaml -o dist --cert $(DEVCERT)/cert.pem --key $(DEVCERT)/key.pem
	$(BIN) verify --roots $(DEVCERT)/cert.pem dist/*.msi dist/*.exe
	@# The example's vscsample.cat is a placeholder (verify says: not a catalog);
	@# show a test-signed catalog for the sample driver files instead.
	$(BIN) catalog $(VSC_EXAMPLE)/driver/vscsample.inf -o .work/vscsample.cat --cert $(DEVCERT)/cert.pem --key $(DEVCERT)/key.pem
	$(BIN) verify --roots $(DEVCERT)/cert.pem .work/vscsample.cat --inf $(VSC_EXAMPLE)/driver/vscsample.inf --sys $(VSC_EXAMPLE)/driver/vscsample.sys

# The Wine scenario packages run for minutes each on two busy cores; the
# default 10-minute per-package timeout is too tight for them.
test: deps-test payload relic
	$(GO) test -timeout 40m ./...

# relic builds the stock relic signing server the remote-signing tests run
# (`relic serve`), once, into ~/.cache/msiforge/tools (MSIFORGE_TOOLS).
relic:
	@GO=$(GO) scripts/build-relic.sh >/dev/null

# e2e runs only the real-install tests (Wine); make test runs them too.
e2e: deps-test
	CI=$${CI:-} $(GO) test -count=1 -run 'Wine' ./...

# fuzz runs each fuzz target briefly (CI does); FUZZTIME=10m for a real run.
FUZZTIME ?= 15s
fuzz:
	GO=$(GO) scripts/fuzz.sh ./internal/msi FuzzOpen $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./internal/cond FuzzParse $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./internal/config FuzzConfig $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./internal/render FuzzRender $(FUZZTIME)

# golden rewrites the golden files; review the diff like code.
golden: payload
	$(GO) test ./internal/... ./packaging/... ./cmd/... -update

fmt:
	gofmt -l -w .

vet:
	$(GO) vet ./...

clean:
	rm -rf bin dist $(EXAMPLE)/build $(VSC_EXAMPLE)/build

# bench prints the speed table of issue 19 (one run, a few minutes; writes
# ~1 GB under $TMPDIR): the example release at -j 1 and -j 2, the no-op
# rebuild, a BENCH_MB console against its raw tools, signing and inspect.
BENCH_MB ?= 200
bench: build payload
	$(GO) run ./scripts/bench -msiforge $(BIN) -size $(BENCH_MB)
