// Package version holds the release both binaries report. The build stamps
// it from git (or the VERSION file of a source tarball) with
// -ldflags "-X github.com/minimost/minimost/pkg/version.Version=…".
package version

// Version is the release, "dev" in an unstamped build.
var Version = "dev"
