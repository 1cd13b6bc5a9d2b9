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
.PHONY: dist srpm rpm e2e e2e-root screenshots

all: build

build: bin/minimost bin/minimostctl bin/minimost-loadtest

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
check: deps fmt-check vet staticcheck test e2e

deps:
	@sh .ci/deps

fmt-check:
	@out=$$(gofmt -l cmd pkg packaging); if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# The e2e tag adds the end-to-end test of packaging/e2e, so it is checked
# too; it changes nothing else.
vet:
	$(GO) vet -tags $(TAGS),e2e ./...

staticcheck:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) -tags $(TAGS),e2e ./...

test:
	$(GO) test -race -tags $(TAGS) -timeout 20m ./...

# Start-up and memory figures are taken from the built daemon, not a test
# binary; the machine's size is printed beside them.
bench: bin/minimost loadtest
	@echo "machine: $$(nproc) cores, $$(free -g | awk '/^Mem:/ {print $$2}') GiB memory"
	MINIMOST_BIN=$(CURDIR)/bin/minimost $(GO) test -tags $(TAGS) -run '^$$' -bench . -benchmem ./...

# screenshots redraws docs/screenshots (the README shows them): the login
# and chat pages, light and dark, desktop and phone. A separate target, so
# tests never rewrite tracked files; make check runs the same test into a
# temporary directory.
screenshots:
	mkdir -p docs/screenshots
	MINIMOST_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -tags $(TAGS) -run '^TestBrowserScreenshots$$' -count=1 ./cmd/minimost/

# ---- The load test (cmd/minimost-loadtest/README.md, docs/performance.md) ----
#
# loadtest starts bin/minimost with the bench settings on ephemeral
# loopback ports and prints send->receive latency, durable sends/s, RSS per
# idle stream, search and history latency against their targets. Accounts
# and the million search messages are made once per LOADTEST_DATA (the
# first run takes a few minutes longer); make clean removes them.
LOADTEST_DATA ?= bin/loadtest-data
LOADTEST_ARGS ?=

.PHONY: loadtest

bin/minimost-loadtest: FORCE
	CGO_ENABLED=1 $(GO) build $(GOFLAGS_BUILD) -o $@ ./cmd/minimost-loadtest

loadtest: bin/minimost bin/minimost-loadtest
	./bin/minimost-loadtest --daemon bin/minimost --data-dir $(LOADTEST_DATA) $(LOADTEST_ARGS)

# ---- The RPM (see rpm/README.md) ----
#
# An RPM version cannot hold '-': a pre-release tag's "-rc1" becomes "~rc1"
# (sorts before the release) and git describe's "-N-gHASH[-dirty]" becomes
# "^N.gHASH[.dirty]" (sorts after the tag, before the next release).
RPM_VERSION := $(shell echo '$(VERSION)' | sed -e 's/-\(alpha\|beta\|rc\)/~\1/' -e 's/-/^/' -e 's/-/./g')
DIST_SOURCE := dist/minimost-$(RPM_VERSION).tar.gz
DIST_VENDOR := dist/minimost-vendor-$(RPM_VERSION).tar.gz
DIST_SPEC   := dist/minimost.spec
# Debian's rpm lacks Fedora's macros (and its database knows none of the
# build dependencies): load ours and skip the dependency check there.
# (Evaluated only when rpmbuild runs.)
RPMBUILD_FLAGS = $(shell [ -n "$$(rpm --eval '%{?_unitdir}' 2>/dev/null)" ] || echo "--load $(CURDIR)/rpm/macros.debian --nodeps")
RPMBUILD = rpmbuild $(RPMBUILD_FLAGS) \
	--define "_topdir $(CURDIR)/dist/rpmbuild" \
	--define "_srcrpmdir $(CURDIR)/dist" \
	--define "_rpmdir $(CURDIR)/dist" \
	--define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm"

dist: $(DIST_SOURCE) $(DIST_VENDOR) $(DIST_SPEC)

# Rebuilt every time, like the binaries: make cannot see every input.
$(DIST_SOURCE): FORCE
	@sh rpm/mkdist.sh source '$(VERSION)' '$(RPM_VERSION)' dist

$(DIST_VENDOR): FORCE
	@sh rpm/mkdist.sh vendor '$(VERSION)' '$(RPM_VERSION)' dist

$(DIST_SPEC): FORCE
	@sh rpm/mkdist.sh spec '$(VERSION)' '$(RPM_VERSION)' dist

# srpm writes dist/minimost-*.src.rpm; rpm rebuilds the binary RPM from it
# (so the SRPM is proven self-contained), running the unit tests in %check.
srpm: dist
	rm -f dist/minimost-*.src.rpm
	$(RPMBUILD) --define "_sourcedir $(CURDIR)/dist" -bs $(DIST_SPEC)

rpm: srpm
	rm -rf dist/rpmbuild dist/*/minimost-*.rpm
	find dist -maxdepth 1 -name 'minimost-*.rpm' ! -name '*.src.rpm' -delete
	$(RPMBUILD) --rebuild dist/minimost-$(RPM_VERSION)-*.src.rpm
	rm -rf dist/rpmbuild
	@ls -1 dist/*.rpm

# e2e boots a minimal Debian with systemd in a container, installs the RPM
# and walks the admin's journey (packaging/e2e). It needs root; the
# container's root file system is cached (see rpm/README.md).
e2e: e2e-root rpm
	$(GO) test -tags e2e -count=1 -v -timeout 30m ./packaging/e2e/ -args -dist $(CURDIR)/dist

e2e-root:
	@if [ "$$(id -u)" -ne 0 ]; then \
		echo "make e2e boots a container with systemd-nspawn and must run as root:" >&2; \
		echo "run: sudo make e2e   (or sudo make check)" >&2; exit 1; fi

clean:
	rm -rf bin dist
