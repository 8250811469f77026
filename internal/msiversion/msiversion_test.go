package msiversion

import "testing"

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.4.2", "1.5.0", -1},
		{"1.5.0", "1.4.2", 1},
		{"1.4.2", "1.4.2", 0},
		{"1.4.2.7", "1.4.2.1", 0}, // the fourth field is ignored
		{"1.4", "1.4.0", 0},
		{"2.0.0", "10.0.0", -1}, // numbers, not strings
		{"1.4.65535", "1.4.65534", 1},
	} {
		if got := Compare(tc.a, tc.b); got != tc.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestNext(t *testing.T) {
	for in, want := range map[string]string{"1.4.2": "1.5.0", "1.4": "1.5.0", "255.9.65535": "255.10.0", "3": "3.1.0"} {
		if got := Next(in); got != want {
			t.Errorf("Next(%q) = %q, want %q", in, got, want)
		}
	}
}
