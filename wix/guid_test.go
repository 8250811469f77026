package wix

import "testing"

// TestPackedGUID: groups one to three reversed, then byte-wise swapped hex
// digits; the Wine tests read real Installer\Products keys with it.
func TestPackedGUID(t *testing.T) {
	for in, want := range map[string]string{
		"{12345678-ABCD-EF01-2345-6789ABCDEF01}": "87654321DCBA10FE32547698BADCFE10",
		"12345678-abcd-ef01-2345-6789abcdef01":   "87654321DCBA10FE32547698BADCFE10",
		"{not-a-guid}":                           "",
		"":                                       "",
	} {
		if got := PackedGUID(in); got != want {
			t.Errorf("PackedGUID(%q) = %q, want %q", in, got, want)
		}
	}
}
