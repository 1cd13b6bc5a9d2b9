#!/bin/sh
# Writes what rpmbuild needs into an output directory, from the working
# tree of a git checkout:
#
#   rpm/mkdist.sh source  VERSION RPM_VERSION OUTDIR   minimost-RPM_VERSION.tar.gz
#   rpm/mkdist.sh vendor  VERSION RPM_VERSION OUTDIR   minimost-vendor-RPM_VERSION.tar.gz
#   rpm/mkdist.sh spec    VERSION RPM_VERSION OUTDIR   minimost.spec
#
# VERSION is the Makefile's version (git describe); RPM_VERSION the same
# without '-' (see rpm/README.md). The source tarball holds every file git
# tracks or would track (so uncommitted work is tested too) and a VERSION
# file; the vendor tarball holds vendor/ as "go mod vendor" writes it. Both
# are reproducible: sorted, owned by root, dated by the last commit. Older
# tarballs in OUTDIR are removed.
set -eu

what=$1 version=$2 rpmversion=$3 outdir=$4
cd "$(dirname "$0")/.."
if [ ! -d .git ] || ! command -v git >/dev/null 2>&1; then
	echo "mkdist: needs a git checkout (and git)" >&2
	exit 1
fi
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
epoch=$(git log -1 --format=%ct 2>/dev/null || echo 0)
prefix=minimost-$rpmversion

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# pack DIR NAME OUT: a reproducible tar.gz of DIR/NAME.
pack() {
	tar -C "$1" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
		--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
		-cf - "$2" | gzip -9n >"$3.tmp"
	mv "$3.tmp" "$3"
}

# tree copies the working tree's files (tracked or not ignored, deleted
# ones left out) to $tmp/$prefix.
tree() {
	mkdir -p "$tmp/$prefix"
	git ls-files -z --cached --others --exclude-standard |
		xargs -0 -r sh -c 'for f; do [ -f "$f" ] || [ -L "$f" ] && printf "%s\0" "$f"; done; true' sh |
		tar --null -T - -cf - | tar -C "$tmp/$prefix" -xf -
	printf '%s\n' "$version" >"$tmp/$prefix/VERSION"
	rm -rf "$tmp/$prefix/vendor"
}

case $what in
source)
	tree
	pack "$tmp" "$prefix" "$outdir/$prefix.tar.gz"
	find "$outdir" -maxdepth 1 -name 'minimost-*.tar.gz' ! -name 'minimost-vendor-*' ! -name "$prefix.tar.gz" -delete
	echo "wrote $outdir/$prefix.tar.gz"
	;;
vendor)
	tree
	# Modules come from the module cache or the Go proxy; the RPM build
	# itself never goes to the network.
	(cd "$tmp/$prefix" && GOFLAGS=-mod=mod go mod vendor)
	pack "$tmp/$prefix" vendor "$outdir/minimost-vendor-$rpmversion.tar.gz"
	find "$outdir" -maxdepth 1 -name 'minimost-vendor-*.tar.gz' ! -name "minimost-vendor-$rpmversion.tar.gz" -delete
	echo "wrote $outdir/minimost-vendor-$rpmversion.tar.gz"
	;;
spec)
	# A snapshot gets its version and a changelog entry naming the commit;
	# a release (the spec already carries the version) is left as it is.
	specversion=$(sed -n 's/^Version:[[:space:]]*//p' minimost.spec)
	if [ "$specversion" = "$rpmversion" ]; then
		cp minimost.spec "$outdir/minimost.spec.tmp"
	else
		date=$(LC_ALL=C date -u -d "@$epoch" '+%a %b %d %Y')
		author=$(git log -1 --format='%an <%ae>' 2>/dev/null || echo "MiniMost maintainers")
		awk -v v="$rpmversion" -v d="$date" -v a="$author" -v s="$version" '
			/^Version:/ { print "Version:        " v; next }
			{ print }
			/^%changelog/ { print "* " d " " a " - " v "-1"; print "- Snapshot " s " built from the working tree"; print "" }
		' minimost.spec >"$outdir/minimost.spec.tmp"
	fi
	mv "$outdir/minimost.spec.tmp" "$outdir/minimost.spec"
	echo "wrote $outdir/minimost.spec"
	;;
*)
	echo "mkdist: unknown target $what (source, vendor or spec)" >&2
	exit 2
	;;
esac
