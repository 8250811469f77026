package wix_test

import (
	"os"
	"testing"

	"github.com/msiforge/msiforge/wix"
)

func TestFirstHardwareID(t *testing.T) {
	sample, err := os.ReadFile("../examples/vsc/driver/vscsample.inf")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, inf, arch, want string }{
		{"sample x64", string(sample), "x64", `ROOT\VSCSAMPLE`},
		{"sample arm64", string(sample), "arm64", `ROOT\VSCSAMPLE`},
		{"decorated per arch, OS version", "[Manufacturer]\n%M%=Models,NTamd64.10.0,NTx86\n[Models.NTx86]\n%D%=I, ROOT\\X86\n[Models.NTamd64.10.0]\n; comment\n%D% = I , \"ROOT\\AMD\", *COMPAT\n", "x64", `ROOT\AMD`},
		{"undecorated fallback", "[Manufacturer]\nM=Models\n[Models]\nD=I,ROOT\\PLAIN\n", "arm64", `ROOT\PLAIN`},
		{"no models", "[Version]\nSignature=\"$WINDOWS NT$\"\n", "x64", ""},
		{"model without id", "[Manufacturer]\nM=Models\n[Models]\nD=I\n", "x64", ""},
	} {
		if got := wix.FirstHardwareID([]byte(c.inf), c.arch); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
