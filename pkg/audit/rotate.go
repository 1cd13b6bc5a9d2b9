package audit

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	fileName = "audit.log"
	// archiveLayout sorts as text in time order and holds no ':' so the
	// names are safe on any file system and in shell globs.
	archiveLayout = "20060102T150405.000Z"
	// legacyArchiveLayout is how the Python MiniMost named its archives;
	// they are recognised so an adopted installation keeps pruning them.
	legacyArchiveLayout = "20060102T150405Z"
)

// archiveName matches audit.log.<stamp> with an optional .<n> that tells
// apart archives rotated within the same millisecond (or, in the Python
// MiniMost, the same second). Other siblings such as the old
// audit.log.rotated_at marker never match.
var archiveName = regexp.MustCompile(`^audit\.log\.(\d{8}T\d{6}(?:\.\d{3})?Z)(?:\.(\d{1,9}))?$`)

type archive struct {
	name string
	at   time.Time
	seq  int
}

// listArchives returns the rotated files of dir, oldest first.
func listArchives(dir string) ([]archive, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	var list []archive
	for _, de := range entries {
		m := archiveName.FindStringSubmatch(de.Name())
		if m == nil || !de.Type().IsRegular() {
			continue
		}
		layout := archiveLayout
		if len(m[1]) == len(legacyArchiveLayout) {
			layout = legacyArchiveLayout
		}
		at, err := time.Parse(layout, m[1])
		if err != nil {
			continue // digits in the right places but no real date: not ours
		}
		a := archive{name: de.Name(), at: at}
		if m[2] != "" {
			a.seq, _ = strconv.Atoi(m[2]) // at most 9 digits, cannot fail
		}
		list = append(list, a)
	}
	slices.SortFunc(list, func(a, b archive) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	return list, nil
}

// lastRotation recovers when the current audit.log was started. The newest
// archive's name is that moment exactly: it is written once, by the rename
// that starts the new file, and unlike a marker file's mtime it survives
// copies, backups and touch. Before the first rotation the timestamp on the
// file's first line stands in for its creation (Go cannot read a birth time
// portably, and copies do not keep it). With neither, the file is new now.
func lastRotation(dir string, now time.Time) (time.Time, error) {
	list, err := listArchives(dir)
	if err != nil {
		return time.Time{}, err
	}
	t := now
	if len(list) > 0 {
		t = list[len(list)-1].at
	} else if first, ok := firstStamp(filepath.Join(dir, fileName)); ok {
		t = first
	}
	// A stamp from the future (clock set back) would suspend the age
	// trigger until the clock caught up.
	if t.After(now) {
		t = now
	}
	return t, nil
}

// firstStamp reads the timestamp that starts audit.log's first line; both
// this package's format and the Python MiniMost's whole seconds parse.
func firstStamp(path string) (time.Time, bool) {
	f, err := os.Open(path)
	if err != nil {
		return time.Time{}, false
	}
	defer f.Close()
	buf := make([]byte, 64)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return time.Time{}, false
	}
	stamp, _, _ := strings.Cut(string(buf[:n]), " ")
	t, err := time.Parse(time.RFC3339Nano, stamp)
	return t, err == nil
}

// openFile opens audit.log for appending. The explicit Chmod tightens a file
// adopted from an older installation, which may have been created 0644.
func openFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: %w", err)
	}
	return f, nil
}

// writeLine appends line with a single unbuffered write, then rotates when
// the file has passed a limit. Rotating after the write, not before, means
// an empty file is never archived.
func (l *Log) writeLine(now time.Time, line string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errClosed
	}
	size, err := l.current()
	if err != nil {
		return err
	}
	if _, err := l.f.WriteString(line); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	size += int64(len(line))
	if !l.due(now, size) {
		return nil
	}
	if err := l.rotate(now); err != nil {
		l.logger.Error("audit: cannot rotate audit.log", "err", err)
	}
	return nil
}

// current returns the size of the open audit.log, reopening it first when
// the name no longer leads to it: an operator who moves or deletes the file
// gets a fresh one under the documented name instead of records vanishing
// into an unlinked inode.
func (l *Log) current() (int64, error) {
	if l.f != nil {
		open, err1 := l.f.Stat()
		named, err2 := os.Stat(l.path)
		if err1 == nil && err2 == nil && os.SameFile(open, named) {
			return open.Size(), nil
		}
		l.f.Close()
		l.f = nil
	}
	f, err := openFile(l.path)
	if err != nil {
		return 0, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, fmt.Errorf("audit: %w", err)
	}
	l.f = f
	return info.Size(), nil
}

func (l *Log) due(now time.Time, size int64) bool {
	lim := l.limits
	if lim.MaxSizeMB > 0 && size > int64(lim.MaxSizeMB)<<20 {
		return true
	}
	maxAge := time.Duration(lim.MaxAgeDays) * 24 * time.Hour
	return lim.MaxAgeDays > 0 && now.Sub(l.rotated) > maxAge
}

// rotate renames audit.log to its archive name, starts a new file and prunes
// old archives.
func (l *Log) rotate(now time.Time) error {
	base := filepath.Join(l.dir, fileName+"."+now.UTC().Format(archiveLayout))
	target := base
	for n := 1; ; n++ {
		_, err := os.Lstat(target)
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		target = base + "." + strconv.Itoa(n)
	}
	if err := os.Rename(l.path, target); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	l.rotated = now
	f, err := openFile(l.path)
	if err != nil {
		// l.f still leads to the archive; the next record sees that the
		// name is gone and retries the open.
		return err
	}
	old := l.f
	l.f = f
	if err := old.Close(); err != nil {
		return errors.Join(fmt.Errorf("audit: %w", err), l.prune())
	}
	return l.prune()
}

// prune removes the oldest archives beyond the Backups limit.
func (l *Log) prune() error {
	keep := l.limits.Backups
	if keep <= 0 {
		return nil
	}
	list, err := listArchives(l.dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, a := range list[:max(len(list)-keep, 0)] {
		if err := os.Remove(filepath.Join(l.dir, a.name)); err != nil {
			errs = append(errs, fmt.Errorf("audit: %w", err))
		}
	}
	return errors.Join(errs...)
}
