// Package packaging holds the files the RPM installs besides the binaries:
// the default settings.json, the firewalld service, the man pages and the
// bash completion. Its tests keep them in step with the code; the
// end-to-end test of the package itself lives in packaging/e2e (build tag
// e2e).
package packaging
