package systemd

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

type filer interface{ File() (*os.File, error) }

// named returns a descriptor of c under name, as activation.Files would.
func named(t *testing.T, c filer, name string) *os.File {
	t.Helper()
	f, err := c.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	return os.NewFile(uintptr(fd), name)
}

func tcpListener(t *testing.T) *net.TCPListener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.(*net.TCPListener)
}

func udpConn(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.UDPConn)
}

func unixListener(t *testing.T) *net.UnixListener {
	t.Helper()
	l, err := net.Listen("unix", filepath.Join(t.TempDir(), "admin.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.(*net.UnixListener)
}

func TestFromFilesAllThree(t *testing.T) {
	tl, uc, ul := tcpListener(t), udpConn(t), unixListener(t)
	s, err := fromFiles([]*os.File{
		named(t, tl, NameHTTPS), named(t, uc, NameSTUN), named(t, ul, NameAdmin),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.Activated() {
		t.Fatal("Activated() = false with three sockets")
	}
	if got, want := s.HTTPS.Addr().String(), tl.Addr().String(); got != want {
		t.Errorf("https addr = %s, want %s", got, want)
	}
	if got, want := s.STUN.LocalAddr().String(), uc.LocalAddr().String(); got != want {
		t.Errorf("stun addr = %s, want %s", got, want)
	}
	if got, want := s.Admin.Addr().String(), ul.Addr().String(); got != want {
		t.Errorf("admin addr = %s, want %s", got, want)
	}
	// The passed listener really accepts connections.
	go func() {
		c, err := net.Dial("tcp", tl.Addr().String())
		if err == nil {
			c.Close()
		}
	}()
	c, err := s.HTTPS.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestFromFilesNone(t *testing.T) {
	s, err := fromFiles(nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Activated() {
		t.Fatal("Activated() = true with no sockets")
	}
}

func TestFromFilesErrors(t *testing.T) {
	regular, err := os.Create(filepath.Join(t.TempDir(), "plain"))
	if err != nil {
		t.Fatal(err)
	}
	unconnected, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		files func() []*os.File
		want  string
	}{
		{"unknown name", func() []*os.File { return []*os.File{named(t, tcpListener(t), "web")} }, `unknown socket name "web"`},
		{"udp as https", func() []*os.File { return []*os.File{named(t, udpConn(t), NameHTTPS)} }, `socket "https": wrong socket type`},
		{"tcp as stun", func() []*os.File { return []*os.File{named(t, tcpListener(t), NameSTUN)} }, `socket "stun": wrong socket type`},
		{"tcp as admin", func() []*os.File { return []*os.File{named(t, tcpListener(t), NameAdmin)} }, `socket "admin": wrong socket type`},
		{"unix as https", func() []*os.File { return []*os.File{named(t, unixListener(t), NameHTTPS)} }, `socket "https": wrong socket type`},
		{"not listening", func() []*os.File { return []*os.File{os.NewFile(uintptr(unconnected), NameHTTPS)} }, `socket "https": socket is not listening`},
		{"regular file", func() []*os.File { return []*os.File{os.NewFile(regular.Fd(), NameAdmin)} }, `socket "admin": not a socket`},
		{"duplicate", func() []*os.File {
			return []*os.File{named(t, tcpListener(t), NameHTTPS), named(t, tcpListener(t), NameHTTPS)}
		}, `socket "https" passed more than once`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := fromFiles(tt.files())
			if err == nil {
				s.Close()
				t.Fatalf("fromFiles succeeded, want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}
