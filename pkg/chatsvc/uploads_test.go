package chatsvc

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/store"
)

// uploadFiles counts the files under the uploads directory, temporary
// ones included.
func (e *svcEnv) uploadFiles() int {
	n := 0
	filepath.WalkDir(filepath.Join(e.dir, "uploads"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

// TestSaveUpload: a file is stored under a random name with its size and
// hash; an empty, oversize or cut-short upload is refused with the right
// answer and leaves nothing; a refused post removes its saved files.
func TestSaveUpload(t *testing.T) {
	e := newSvcEnv(t, nil, "alice")
	data := []byte("hello, file")
	f, err := e.svc.SaveUpload(bytes.NewReader(data), "../../etc/pass<wd>.txt", 100)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if f.Size != int64(len(data)) || f.SHA256 != hex.EncodeToString(sum[:]) || f.Name != "pass_wd_.txt" ||
		strings.Contains(f.Path, "..") || strings.Contains(f.Path, "pass") || f.Image {
		t.Errorf("saved %+v", f)
	}
	if b, err := os.ReadFile(filepath.Join(e.dir, "uploads", f.Path)); err != nil || !bytes.Equal(b, data) {
		t.Errorf("stored bytes %q (%v)", b, err)
	}

	for _, tt := range []struct {
		name  string
		r     io.Reader
		check func(error) bool
	}{
		{"empty", bytes.NewReader(nil), func(err error) bool { return chat.ErrorCode(err) == chat.EBadRequest }},
		{"one byte over", bytes.NewReader(make([]byte, 101)), func(err error) bool { return errors.Is(err, ErrTooLarge) }},
		{"cut short", io.MultiReader(bytes.NewReader(data), iotest.ErrReader(io.ErrUnexpectedEOF)), func(err error) bool {
			return chat.ErrorCode(err) == chat.EBadRequest && errors.Is(err, io.ErrUnexpectedEOF)
		}},
	} {
		if _, err := e.svc.SaveUpload(tt.r, "x.bin", 100); !tt.check(err) {
			t.Errorf("%s: %v", tt.name, err)
		}
		if n := e.uploadFiles(); n != 1 {
			t.Errorf("%s: %d files under uploads, want the first one only", tt.name, n)
		}
	}

	// A post refused after the files were saved removes them.
	g, err := e.svc.SaveUpload(bytes.NewReader(data), "y.txt", 100)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Post(e.ctx, e.user("alice"), PostInput{ChannelID: 1 << 40, Files: []store.NewFile{g}})
	if chat.ErrorCode(err) != chat.ENotFound || e.uploadFiles() != 1 {
		t.Errorf("refused post: %v, %d files left", err, e.uploadFiles())
	}
	// An accepted one keeps them, and deleting the message removes them.
	ms, err := e.svc.Post(e.ctx, e.user("alice"), PostInput{ChannelID: e.general, Files: []store.NewFile{f}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Delete(e.ctx, e.user("alice"), ms[0].ID); err != nil {
		t.Fatal(err)
	}
	if n := e.uploadFiles(); n != 0 {
		t.Errorf("%d files left after deleting the message", n)
	}
}
