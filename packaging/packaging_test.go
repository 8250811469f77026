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
	for _, bad := range []string{"x", "-1", "100", "1.5"} {
		_, err := packaging.ParseEpoch(bad)
		if err == nil || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH=\""+bad+"\" is not allowed") {
			t.Errorf("ParseEpoch(%q) err = %v", bad, err)
		}
	}
}
