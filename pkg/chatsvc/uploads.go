package chatsvc

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/media"
	"github.com/minimost/minimost/pkg/store"
)

// ErrTooLarge is returned by SaveUpload for a file over the cap.
var ErrTooLarge = errors.New("file too large")

// SaveUpload writes one uploaded file under uploads/<2 hex>/<32 hex>: a
// temporary file in the same directory, fsynced, then renamed, so a crash
// never leaves half a file under a name the store knows. The user's file
// name is display-only and never reaches a path.
func (s *Service) SaveUpload(r io.Reader, clientName string, maxBytes int64) (store.NewFile, error) {
	rnd := make([]byte, 16)
	rand.Read(rnd)
	name := hex.EncodeToString(rnd)
	rel := filepath.Join(name[:2], name)
	dir := filepath.Join(s.uploads, name[:2])
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return store.NewFile{}, fmt.Errorf("uploads: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return store.NewFile{}, fmt.Errorf("uploads: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	head := &prefix{max: media.SniffLen}
	src := &readSide{r: io.LimitReader(r, maxBytes+1)}
	n, err := io.Copy(io.MultiWriter(tmp, h, head), src)
	if err != nil {
		if src.err != nil {
			// The request body failed (cut short, a broken multipart part,
			// the body cap): the client's fault, not ours. The cause stays
			// wrapped so the caller can still tell the body cap apart.
			return store.NewFile{}, fmt.Errorf("%w: %w", chat.FieldError(chat.EBadRequest, "file", "the upload was cut short or malformed"), err)
		}
		return store.NewFile{}, err
	}
	if n > maxBytes {
		return store.NewFile{}, ErrTooLarge
	}
	if n == 0 {
		return store.NewFile{}, chat.FieldError(chat.EBadRequest, "file", "empty files cannot be attached")
	}
	if err := tmp.Sync(); err != nil {
		return store.NewFile{}, err
	}
	if err := tmp.Close(); err != nil {
		return store.NewFile{}, err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.uploads, rel)); err != nil {
		return store.NewFile{}, err
	}
	ok = true
	f := store.NewFile{Name: media.CleanName(clientName), Size: n, Path: rel, SHA256: hex.EncodeToString(h.Sum(nil))}
	if img, isImage := media.SniffImage(head.b, media.MaxAttachmentSide); isImage {
		f.Image, f.ContentType, f.Width, f.Height = true, img.ContentType, img.Width, img.Height
	} else {
		f.ContentType = media.ContentType(f.Name)
	}
	return f, nil
}

// DiscardUploads removes files saved for a request that failed before
// reaching Post.
func (s *Service) DiscardUploads(files []store.NewFile) { s.removeFiles(files) }

// readSide remembers the error of the reader it wraps, so a failed copy
// tells a bad upload from a failed disk.
type readSide struct {
	r   io.Reader
	err error
}

func (s *readSide) Read(b []byte) (int, error) {
	n, err := s.r.Read(b)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// prefix keeps the first max bytes written to it, for sniffing.
type prefix struct {
	b   []byte
	max int
}

func (p *prefix) Write(b []byte) (int, error) {
	if room := p.max - len(p.b); room > 0 {
		p.b = append(p.b, b[:min(room, len(b))]...)
	}
	return len(b), nil
}
