package packaging_test

import (
	"strings"
	"testing"

	"github.com/msiforge/msiforge/packaging"
)

func TestParseEpoch(t *testing.T) {
	if e, err := packaging.ParseEpoch(""); err != nil || !e.Equal(packaging.DefaultEpoch) {
		t.Errorf(`ParseEpoch("") = %v, %v`, e, err)
	}
	if e, err := packaging.ParseEpoch("1700000000"); err != nil || e.Unix() != 1700000000 {
		t.Errorf("ParseEpoch(1700000000) = %v, %v", e, err)
	}
	if e, err := packaging.ParseEpoch("4354819198"); err != nil || !e.Equal(packaging.MaxEpoch) {
		t.Errorf("ParseEpoch(4354819198) = %v, %v, want the last cabinet date", e, err)
	}
	// 4354819199 is 2107-12-31T23:59:59, which a DOS time cannot hold;
	// 4354819200 is 2108, which wrapped to 1980 in the cabinet (issue 12).
	for _, bad := range []string{"x", "-1", "100", "1.5", "4354819199", "4354819200", "8589934592"} {
		_, err := packaging.ParseEpoch(bad)
		if err == nil || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH=\""+bad+"\" is not allowed: want whole seconds since 1970 from 315532800 (1980-01-01T00:00:00Z) to 4354819198 (2107-12-31T23:59:58Z)") {
			t.Errorf("ParseEpoch(%q) err = %v", bad, err)
		}
	}
}
