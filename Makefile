# MiniMost — build, run and test. See README.md.

GO       ?= go
TAGS     := sqlite_fts5
STATICCHECK_VERSION := v0.8.2

# The version comes from git (a tag vX.Y.Z, else the commit), or from the
# VERSION file of a source tarball that has no .git.
VERSION := $(shell \
	if [ -d .git ] && command -v git >/dev/null; then \
		v=$$(git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null); \
		if [ -n "$$v" ]; then echo "$${v#v}"; \
		else echo "0.0.0-$$(git rev-list --count HEAD 2>/dev/null || echo 0)-g$$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"; fi; \
	elif [ -f VERSION ]; then cat VERSION; \
	else echo dev; fi)

LDFLAGS  := -X github.com/minimost/minimost/pkg/version.Version=$(VERSION)
GOFLAGS_BUILD := -trimpath -tags $(TAGS) -ldflags "$(LDFLAGS)"

DATA_DIR ?= ./minimost-data
LISTEN   ?= 127.0.0.1:6767

.PHONY: all build run check deps fmt-check vet staticcheck test bench clean version

all: build

build: bin/minimost bin/minimostctl

# Always rebuilt: the Go build cache makes an unchanged build instant, and
# make cannot see every input (embedded files, the version).
bin/minimost: FORCE
	CGO_ENABLED=1 $(GO) build $(GOFLAGS_BUILD) -o $@ ./cmd/minimost

bin/minimostctl: FORCE
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o $@ ./cmd/minimostctl

FORCE:

version:
	@echo $(VERSION)

run: build
	@echo "MiniMost: https://$(LISTEN)  (state in $(DATA_DIR); trust $(DATA_DIR)/tls/ca.pem)"
	@echo "Admin: bin/minimostctl --socket $(DATA_DIR)/admin.sock status"
	./bin/minimost --listen $(LISTEN) --data-dir $(DATA_DIR)

# check runs everything the project tests. It first makes sure the
# programs the tests drive are installed (installing them when root).
check: deps fmt-check vet staticcheck test

deps:
	@sh .ci/deps

fmt-check:
	@out=$$(gofmt -l cmd pkg); if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet -tags $(TAGS) ./...

staticcheck:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) -tags $(TAGS) ./...

test:
	$(GO) test -race -tags $(TAGS) -timeout 20m ./...

# Start-up and memory figures are taken from the built daemon, not a test
# binary; the machine's size is printed beside them.
bench: bin/minimost
	@echo "machine: $$(nproc) cores, $$(free -g | awk '/^Mem:/ {print $$2}') GiB memory"
	MINIMOST_BIN=$(CURDIR)/bin/minimost $(GO) test -tags $(TAGS) -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin dist
