package packaging

import (
	"bufio"
	"encoding/xml"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/minimost/minimost/pkg/admin"
	"github.com/minimost/minimost/pkg/config"
	"github.com/minimost/minimost/pkg/systemd"
)

// unit is a parsed unit file: "Section.Key" → its values in order.
type unit map[string][]string

func readUnit(t *testing.T, name string) unit {
	t.Helper()
	f, err := os.Open("../systemd/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s: not a key=value line: %q", name, line)
			}
			u[section+"."+k] = append(u[section+"."+k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

func (u unit) one(t *testing.T, key string) string {
	t.Helper()
	if len(u[key]) != 1 {
		t.Fatalf("%s is set %d times, want once", key, len(u[key]))
	}
	return u[key][0]
}

// TestSocketUnits checks the socket units against the code that receives
// the sockets and against the firewalld service, so a port or a name
// cannot change in one place only.
func TestSocketUnits(t *testing.T) {
	type want struct {
		file, listenKey, listen, name string
	}
	wants := []want{
		{"minimost.socket", "Socket.ListenStream", "6767", systemd.NameHTTPS},
		{"minimost-stun.socket", "Socket.ListenDatagram", strconv.Itoa(config.Defaults().StunPort), systemd.NameSTUN},
		{"minimost-admin.socket", "Socket.ListenStream", admin.DefaultSocket, systemd.NameAdmin},
	}
	var also []string
	for _, w := range wants {
		u := readUnit(t, w.file)
		if got := u.one(t, w.listenKey); got != w.listen {
			t.Errorf("%s: %s=%s, want %s", w.file, w.listenKey, got, w.listen)
		}
		if got := u.one(t, "Socket.FileDescriptorName"); got != w.name {
			t.Errorf("%s: FileDescriptorName=%s, want %s", w.file, got, w.name)
		}
		if got := u.one(t, "Socket.Service"); got != "minimost.service" {
			t.Errorf("%s: Service=%s", w.file, got)
		}
		also = append(also, w.file)
	}
	if m := readUnit(t, "minimost-admin.socket").one(t, "Socket.SocketMode"); m != "0600" {
		t.Errorf("admin socket mode %s, want 0600", m)
	}

	// "systemctl enable --now minimost" must bring the sockets along, and
	// starting the service must pull them in.
	svc := readUnit(t, "minimost.service")
	for _, key := range []string{"Install.Also", "Unit.Requires", "Unit.After"} {
		var got []string
		for _, v := range svc[key] {
			got = append(got, strings.Fields(v)...)
		}
		for _, s := range also {
			if !slices.Contains(got, s) {
				t.Errorf("minimost.service: %s does not name %s", key, s)
			}
		}
	}
	// A RuntimeDirectory= would hand /run/minimost to the dynamic user and
	// remove it on stop, taking the admin socket with it.
	if _, ok := svc["Service.RuntimeDirectory"]; ok {
		t.Error("minimost.service must not set RuntimeDirectory= (it breaks /run/minimost/admin.sock)")
	}

	// The firewalld service opens exactly the two network ports.
	var fw struct {
		Ports []struct {
			Protocol string `xml:"protocol,attr"`
			Port     string `xml:"port,attr"`
		} `xml:"port"`
	}
	if err := xml.Unmarshal([]byte(readFile(t, "minimost.xml")), &fw); err != nil {
		t.Fatalf("minimost.xml: %v", err)
	}
	var ports []string
	for _, p := range fw.Ports {
		ports = append(ports, p.Port+"/"+p.Protocol)
	}
	if want := []string{wants[0].listen + "/tcp", wants[1].listen + "/udp"}; !slices.Equal(ports, want) {
		t.Errorf("minimost.xml opens %v, want %v", ports, want)
	}
}
