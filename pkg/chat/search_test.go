package chat

import (
	"reflect"
	"testing"
)

func TestHighlights(t *testing.T) {
	tests := []struct {
		text, q string
		want    [][2]int
	}{
		{"Hello hello HELLO", "hello", [][2]int{{0, 5}, {6, 11}, {12, 17}}},
		{"aaaa", "aa", [][2]int{{0, 2}, {2, 4}}},
		{"deploy the firmware", "IRMW", [][2]int{{12, 16}}},
		{"😀 café CAFÉ", "café", [][2]int{{3, 7}, {8, 12}}},
		{"ΣΊΣΥΦΟΣ σίσυφος", "σίσυφοσ", [][2]int{{0, 7}, {8, 15}}},
		{"100% _x_", "%", [][2]int{{3, 4}}},
		{"nothing", "zz", [][2]int{}},
		{"x", "", [][2]int{}},
	}
	for _, tt := range tests {
		if got := Highlights(tt.text, tt.q); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Highlights(%q, %q) = %v, want %v", tt.text, tt.q, got, tt.want)
		}
	}
	many := ""
	for i := 0; i < 30; i++ {
		many += "ab "
	}
	if n := len(Highlights(many, "ab")); n != 20 {
		t.Errorf("%d highlights, want the cap of 20", n)
	}
}
