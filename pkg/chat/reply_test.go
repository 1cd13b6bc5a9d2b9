package chat

import (
	"reflect"
	"testing"
)

// TestForHistoryStart: a reply's reference to a message at or before the
// reader's history start shows nothing of it; later ones, and messages
// that are not replies, are left alone; the original is not modified.
func TestForHistoryStart(t *testing.T) {
	ref := &ReplyRef{ID: 10, Author: "bob", Excerpt: "secret"}
	tests := []struct {
		start int64
		want  *ReplyRef
	}{
		{0, ref},
		{9, ref},
		{10, &ReplyRef{ID: 10, Author: DeletedAuthor, Deleted: true}},
		{11, &ReplyRef{ID: 10, Author: DeletedAuthor, Deleted: true}},
	}
	for _, tt := range tests {
		m := Message{ID: 20, ReplyTo: ref}
		got := m.ForHistoryStart(tt.start)
		if !reflect.DeepEqual(got.ReplyTo, tt.want) {
			t.Errorf("start %d: reply_to %+v, want %+v", tt.start, got.ReplyTo, tt.want)
		}
		if m.ReplyTo != ref || ref.Excerpt != "secret" {
			t.Fatalf("start %d: the original message changed", tt.start)
		}
	}
	if got := (Message{ID: 5}).ForHistoryStart(100); got.ReplyTo != nil {
		t.Errorf("a message that is not a reply got %+v", got.ReplyTo)
	}
}
