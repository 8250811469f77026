package msi

import (
	"crypto/sha256"
	"io"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// countingReaderAt counts the bytes and calls that go through it.
type countingReaderAt struct {
	r     io.ReaderAt
	bytes atomic.Int64
	calls atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.calls.Add(1)
	n, err := c.r.ReadAt(p, off)
	c.bytes.Add(int64(n))
	return n, err
}

// TestReadsOnlyWhatItNeeds builds a package with a large incompressible
// payload and checks that the summary, the table list and the Property
// table are answered without reading the cabinet. The payload is 64 MB, or
// MSI_BIG_PAYLOAD_MB megabytes (the report's 200 MB figure uses 200).
func TestReadsOnlyWhatItNeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large MSI")
	}
	mb := 64
	if s := os.Getenv("MSI_BIG_PAYLOAD_MB"); s != "" {
		var err error
		if mb, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	path := buildMSI(t, simpleWXS, map[string][]byte{"app.exe": payload(10, mb<<20)}, "-a", "x64")
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		t.Fatal(err)
	}

	cr := &countingReaderAt{r: fh}
	start := time.Now()
	f, err := NewReader(cr, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Summary(); err != nil {
		t.Fatal(err)
	}
	props, err := f.Properties()
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if props["ProductName"] != "Simple App" {
		t.Errorf("ProductName = %q", props["ProductName"])
	}
	read := cr.bytes.Load()
	t.Logf("%d-byte MSI: summary + Property table read %d bytes in %d ReadAt calls, %v",
		st.Size(), read, cr.calls.Load(), elapsed)
	if read > 256<<10 {
		t.Errorf("read %d bytes to answer metadata questions about a %d-byte file", read, st.Size())
	}

	// The cabinet itself streams through on demand.
	r, size, err := f.OpenStream("cab1.cab")
	if err != nil {
		t.Fatal(err)
	}
	if got := cr.bytes.Load(); got != read {
		t.Errorf("OpenStream read %d bytes before any Read", got-read)
	}
	start = time.Now()
	n, err := io.Copy(sha256.New(), r)
	if err != nil || n != size {
		t.Fatalf("read cab: %d of %d bytes: %v", n, size, err)
	}
	t.Logf("streamed the %d-byte cabinet in %v", n, time.Since(start))
}
