package msi

import (
	"os"
	"testing"
)

// BenchmarkOpenProperties opens an MSI and reads its Property table: what
// `inspect --table Property` and the matrix check need. MSI_BENCH_FILE
// names a large MSI (scripts/bench-inspect.sh makes a 200 MB one);
// without it the small fixture is used.
func BenchmarkOpenProperties(b *testing.B) {
	path := os.Getenv("MSI_BENCH_FILE")
	if path == "" {
		path = "testdata/tiny.msi"
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(st.Size()), "file-bytes")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Properties(); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
