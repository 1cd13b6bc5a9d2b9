// Package stun is MiniMost's bundled STUN responder: it tells WebRTC clients
// the address and port their UDP packets arrive from, so calls work on
// networks with no public STUN server in reach.
//
// The responder implements only the RFC 5389 Binding method, answering
// well-formed Binding Requests with a Binding Success carrying one
// XOR-MAPPED-ADDRESS. Everything else is dropped without a reply, because a
// UDP service that answers what it does not understand can be turned into a
// reflector.
package stun

import (
	"encoding/binary"
	"net/netip"

	pion "github.com/pion/stun/v2"
)

const (
	headerSize     = 20
	magicCookie    = 0x2112A442
	bindingRequest = 0x0001
)

// Respond builds the answer to the datagram pkt received from src, or
// reports false when pkt must be dropped. It answers only a well-formed RFC
// 5389 Binding Request, with a Binding Success that carries the same
// transaction id and src as XOR-MAPPED-ADDRESS; an IPv4-mapped IPv6 source is
// answered as IPv4. Respond keeps no state and does no rate limiting, and pkt
// is neither modified nor retained.
func Respond(pkt []byte, src netip.AddrPort) ([]byte, bool) {
	addr := src.Addr().Unmap()
	// A reply to port 0 or to no address cannot be delivered.
	if !addr.IsValid() || src.Port() == 0 {
		return nil, false
	}
	if !isBindingRequestHeader(pkt) {
		return nil, false
	}
	req := &pion.Message{Raw: pkt}
	// The header checks above pin the message to the whole datagram, so
	// Decode's attribute walk rejects any attribute or padding that runs past
	// the end, and a length that is a multiple of 4 leaves no room for a
	// partial attribute header.
	if err := req.Decode(); err != nil {
		return nil, false
	}
	if !fingerprintValid(req) {
		return nil, false
	}
	resp, err := pion.Build(
		pion.NewTransactionIDSetter(req.TransactionID),
		pion.BindingSuccess,
		&pion.XORMappedAddress{IP: addr.AsSlice(), Port: int(src.Port())},
	)
	if err != nil {
		return nil, false
	}
	return resp.Raw, true
}

// isBindingRequestHeader checks the fixed header more strictly than pion's
// Decode does: Decode ignores the two leading bits and any bytes beyond the
// declared length, and decodes every method and class.
func isBindingRequestHeader(pkt []byte) bool {
	if len(pkt) < headerSize {
		return false
	}
	// Comparing the whole field also demands the two leading zero bits that
	// tell STUN apart from RTP, DTLS and the other protocols multiplexed on
	// one port (RFC 7983).
	if binary.BigEndian.Uint16(pkt[0:2]) != bindingRequest {
		return false
	}
	if binary.BigEndian.Uint32(pkt[4:8]) != magicCookie {
		return false
	}
	length := int(binary.BigEndian.Uint16(pkt[2:4]))
	return length%4 == 0 && length == len(pkt)-headerSize
}

// fingerprintValid reports whether a FINGERPRINT, if the request carries one,
// is the single last attribute and matches the message. A wrong fingerprint
// means the datagram is corrupt or belongs to another protocol that happens
// to look like STUN, so it must not be answered; requests without one are
// fine, since a Binding Request to a server does not require it.
func fingerprintValid(m *pion.Message) bool {
	count := 0
	for _, a := range m.Attributes {
		if a.Type == pion.AttrFingerprint {
			count++
		}
	}
	if count == 0 {
		return true
	}
	if count > 1 || m.Attributes[len(m.Attributes)-1].Type != pion.AttrFingerprint {
		return false
	}
	return pion.Fingerprint.Check(m) == nil
}
