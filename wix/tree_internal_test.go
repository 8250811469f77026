package wix

import (
	"strings"
	"testing"
)

// TestUniqueIdentifiers: two long names that share their first 72
// characters differ only in Identifier's hash; when the hashes are equal
// (forced here with an empty hash) the later name gets the long hash.
func TestUniqueIdentifiers(t *testing.T) {
	defer func(n int) { shortHash = n }(shortHash)
	shortHash = 0
	long := strings.Repeat("resources/translations/", 4)
	a, b := long+"fr/strings.dat", long+"de/strings.dat"
	if Identifier("F_", a) != Identifier("F_", b) {
		t.Fatal("the forced collision did not happen; the test proves nothing")
	}
	id := uniqueIdentifiers()
	ia, ib := id("F_", a), id("F_", b)
	if ia == ib || len(ib) > 72 {
		t.Errorf("identifiers %q and %q; want two different ones of at most 72 characters", ia, ib)
	}
	if again := id("F_", a); again != ia {
		t.Errorf("the same name got %q, then %q", ia, again)
	}
}
