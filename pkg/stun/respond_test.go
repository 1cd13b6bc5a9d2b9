package stun

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	pion "github.com/pion/stun/v2"
)

var testTxID = [12]byte{0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac}

// rawMessage assembles a STUN message byte by byte, independently of pion, so
// that tests can break any field; the length field covers body exactly.
func rawMessage(typ uint16, cookie uint32, txid [12]byte, body ...[]byte) []byte {
	b := bytes.Join(body, nil)
	p := make([]byte, headerSize, headerSize+len(b))
	binary.BigEndian.PutUint16(p[0:2], typ)
	binary.BigEndian.PutUint16(p[2:4], uint16(len(b)))
	binary.BigEndian.PutUint32(p[4:8], cookie)
	copy(p[8:20], txid[:])
	return append(p, b...)
}

// rawAttr encodes one attribute, padding its value to a multiple of 4 bytes.
func rawAttr(typ uint16, value []byte) []byte {
	a := binary.BigEndian.AppendUint16(nil, typ)
	a = binary.BigEndian.AppendUint16(a, uint16(len(value)))
	a = append(a, value...)
	for len(a)%4 != 0 {
		a = append(a, 0)
	}
	return a
}

// withLength overwrites the header's length field, so it can lie.
func withLength(p []byte, n uint16) []byte {
	p = bytes.Clone(p)
	binary.BigEndian.PutUint16(p[2:4], n)
	return p
}

func pionRequest(t testing.TB, setters ...pion.Setter) []byte {
	t.Helper()
	all := append([]pion.Setter{pion.NewTransactionIDSetter(testTxID), pion.BindingRequest}, setters...)
	m, err := pion.Build(all...)
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	return m.Raw
}

// verifyAnswer decodes resp with pion and checks that it is a Binding Success
// for txid whose only attribute is an XOR-MAPPED-ADDRESS equal to want.
func verifyAnswer(resp []byte, txid [12]byte, want netip.AddrPort) error {
	if len(resp) < headerSize || int(binary.BigEndian.Uint16(resp[2:4])) != len(resp)-headerSize {
		return fmt.Errorf("length field does not match a %d-byte answer", len(resp))
	}
	m := &pion.Message{Raw: resp}
	if err := m.Decode(); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	if m.Type != pion.BindingSuccess {
		return fmt.Errorf("type = %v, want %v", m.Type, pion.BindingSuccess)
	}
	if m.TransactionID != txid {
		return fmt.Errorf("transaction id = %x, want %x", m.TransactionID, txid)
	}
	if len(m.Attributes) != 1 || m.Attributes[0].Type != pion.AttrXORMappedAddress {
		return fmt.Errorf("attributes = %v, want one XOR-MAPPED-ADDRESS", m.Attributes)
	}
	var xa pion.XORMappedAddress
	if err := xa.GetFrom(m); err != nil {
		return fmt.Errorf("decode XOR-MAPPED-ADDRESS: %w", err)
	}
	// AddrFromSlice keeps the family on the wire: a 4-byte IPv4 address
	// becomes an IPv4 Addr, a 16-byte one an IPv6 Addr.
	ip, ok := netip.AddrFromSlice(xa.IP)
	if !ok {
		return fmt.Errorf("mapped IP %v has a bad length", xa.IP)
	}
	if got := netip.AddrPortFrom(ip, uint16(xa.Port)); got != want {
		return fmt.Errorf("mapped address = %v, want %v", got, want)
	}
	return nil
}

type respondCase struct {
	name   string
	pkt    []byte
	src    netip.AddrPort
	answer bool
	// want is the mapped address expected in an answer; zero means src.
	want netip.AddrPort
}

var (
	srcV4 = netip.MustParseAddrPort("192.0.2.7:40000")
	srcV6 = netip.MustParseAddrPort("[2001:db8::7]:50000")
)

func respondCases(t testing.TB) []respondCase {
	plain := rawMessage(0x0001, magicCookie, testTxID)
	software := rawAttr(0x8022, []byte("test client"))
	withFingerprint := pionRequest(t, pion.NewSoftware("fp client"), pion.Fingerprint)

	badFingerprint := bytes.Clone(withFingerprint)
	badFingerprint[len(badFingerprint)-1] ^= 0x01
	fingerprintNotLast := append(bytes.Clone(withFingerprint), rawAttr(0x8022, []byte("late"))...)
	fingerprintNotLast = withLength(fingerprintNotLast, uint16(len(fingerprintNotLast)-headerSize))

	truncatedAttr := rawMessage(0x0001, magicCookie, testTxID,
		// Declares an 8-byte value but only 4 bytes follow.
		[]byte{0x80, 0x22, 0x00, 0x08, 'a', 'b', 'c', 'd'})
	missingPadding := rawMessage(0x0001, magicCookie, testTxID,
		// A 5-byte value must be followed by 3 bytes of padding.
		[]byte{0x80, 0x22, 0x00, 0x05, 'a', 'b', 'c', 'd', 'e'})
	garbageAttr := rawMessage(0x0001, magicCookie, testTxID, software, []byte{0xff, 0xff, 0xff, 0xff})

	dtlsClientHello := []byte{
		0x16, 0xfe, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x3c, 0x01, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30,
	}
	rtp := append([]byte{0x80, 0x60, 0x12, 0x34, 0x00, 0x00, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef}, make([]byte, 20)...)

	return []respondCase{
		{name: "binding request from IPv4", pkt: plain, src: srcV4, answer: true},
		{name: "binding request from IPv6", pkt: plain, src: srcV6, answer: true},
		{
			name: "IPv4-mapped IPv6 source answered as IPv4", pkt: plain,
			src:    netip.MustParseAddrPort("[::ffff:192.0.2.9]:4242"),
			answer: true, want: netip.MustParseAddrPort("192.0.2.9:4242"),
		},
		{name: "built by pion", pkt: pionRequest(t), src: srcV4, answer: true},
		{name: "with SOFTWARE", pkt: rawMessage(0x0001, magicCookie, testTxID, software), src: srcV4, answer: true},
		{
			name: "with unknown attributes and padding",
			pkt: rawMessage(0x0001, magicCookie, testTxID,
				rawAttr(0xc001, []byte{1, 2, 3, 4, 5}), rawAttr(0x0030, nil), software),
			src: srcV6, answer: true,
		},
		{name: "with valid FINGERPRINT", pkt: withFingerprint, src: srcV4, answer: true},

		{name: "nil", pkt: nil, src: srcV4},
		{name: "empty", pkt: []byte{}, src: srcV4},
		{name: "19 bytes", pkt: plain[:19], src: srcV4},
		{name: "first bit set", pkt: rawMessage(0x8001, magicCookie, testTxID), src: srcV4},
		{name: "second bit set", pkt: rawMessage(0x4001, magicCookie, testTxID), src: srcV4},
		{name: "binding success response", pkt: rawMessage(0x0101, magicCookie, testTxID), src: srcV4},
		{name: "binding error response", pkt: rawMessage(0x0111, magicCookie, testTxID), src: srcV4},
		{name: "binding indication", pkt: rawMessage(0x0011, magicCookie, testTxID), src: srcV4},
		{name: "allocate request", pkt: rawMessage(0x0003, magicCookie, testTxID), src: srcV4},
		{name: "our own answer", pkt: mustRespond(t, plain, srcV4), src: srcV4},
		{name: "wrong cookie", pkt: rawMessage(0x0001, 0x2112a443, testTxID), src: srcV4},
		{name: "RFC 3489 request without cookie", pkt: rawMessage(0x0001, 0x01020304, testTxID), src: srcV4},
		{
			name: "length not a multiple of 4",
			pkt:  rawMessage(0x0001, magicCookie, testTxID, []byte{0x80, 0x22}), src: srcV4,
		},
		{name: "length longer than datagram", pkt: withLength(rawMessage(0x0001, magicCookie, testTxID, software), 32), src: srcV4},
		{name: "length shorter than datagram", pkt: withLength(rawMessage(0x0001, magicCookie, testTxID, software), 0), src: srcV4},
		{name: "trailing garbage after message", pkt: append(bytes.Clone(plain), 0, 0, 0, 0), src: srcV4},
		{name: "truncated attribute", pkt: truncatedAttr, src: srcV4},
		{name: "last attribute without padding", pkt: missingPadding, src: srcV4},
		{name: "garbage after last attribute", pkt: garbageAttr, src: srcV4},
		{name: "wrong FINGERPRINT", pkt: badFingerprint, src: srcV4},
		{name: "FINGERPRINT not last", pkt: fingerprintNotLast, src: srcV4},
		{name: "DTLS ClientHello", pkt: dtlsClientHello, src: srcV4},
		{name: "RTP packet", pkt: rtp, src: srcV4},
		{name: "text", pkt: []byte("GET / HTTP/1.1\r\nHost: example\r\n\r\n"), src: srcV4},
		{name: "source without address", pkt: plain, src: netip.AddrPort{}},
		{name: "source port 0", pkt: plain, src: netip.AddrPortFrom(srcV4.Addr(), 0)},
	}
}

func mustRespond(t testing.TB, pkt []byte, src netip.AddrPort) []byte {
	t.Helper()
	resp, ok := Respond(pkt, src)
	if !ok {
		t.Fatal("Respond dropped a valid request")
	}
	return resp
}

func TestRespond(t *testing.T) {
	for _, tc := range respondCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			orig := bytes.Clone(tc.pkt)
			resp, ok := Respond(tc.pkt, tc.src)
			if !bytes.Equal(tc.pkt, orig) {
				t.Error("Respond modified its input")
			}
			if ok != tc.answer {
				t.Fatalf("Respond answered = %v, want %v", ok, tc.answer)
			}
			if !ok {
				if resp != nil {
					t.Errorf("dropped datagram got answer %x", resp)
				}
				return
			}
			want := tc.want
			if !want.IsValid() {
				want = tc.src
			}
			if err := verifyAnswer(resp, [12]byte(tc.pkt[8:20]), want); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestRespondRandomBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(5389, 8489))
	for i := range 20000 {
		pkt := make([]byte, r.IntN(200))
		for j := range pkt {
			pkt[j] = byte(r.Uint32())
		}
		if resp, ok := Respond(pkt, srcV4); ok {
			t.Fatalf("random datagram %d (%x) answered with %x", i, pkt, resp)
		}
	}
}

func FuzzRespond(f *testing.F) {
	for _, tc := range respondCases(f) {
		src := tc.src
		if !src.IsValid() {
			src = srcV4
		}
		f.Add(tc.pkt, src.Addr().AsSlice(), src.Port())
	}
	f.Fuzz(func(t *testing.T, pkt, ip []byte, port uint16) {
		// Unusable addresses are passed on as the zero Addr, which Respond
		// must drop rather than trip over.
		addr, _ := netip.AddrFromSlice(ip)
		src := netip.AddrPortFrom(addr, port)
		orig := bytes.Clone(pkt)

		resp, ok := Respond(pkt, src)
		if !bytes.Equal(pkt, orig) {
			t.Fatal("Respond modified its input")
		}
		if !ok {
			return
		}
		if len(pkt) < headerSize || binary.BigEndian.Uint16(pkt[0:2]) != 0x0001 ||
			binary.BigEndian.Uint32(pkt[4:8]) != 0x2112A442 ||
			int(binary.BigEndian.Uint16(pkt[2:4])) != len(pkt)-headerSize || len(pkt)%4 != 0 {
			t.Fatalf("answered %x, whose header is not a Binding Request's", pkt)
		}
		want := netip.AddrPortFrom(addr.Unmap(), port)
		if err := verifyAnswer(resp, [12]byte(pkt[8:20]), want); err != nil {
			t.Fatalf("answer %x to %x: %v", resp, pkt, err)
		}
	})
}
