package sign_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/sign"
	"github.com/msiforge/msiforge/internal/testutil"
)

// BenchmarkKeySources signs (and verifies) a small PE through each key
// source, as a build does per payload file: the per-file cost of a token
// or a server against a key file. scripts/bench-sign.sh has the MSI and
// parallel numbers.
func BenchmarkKeySources(b *testing.B) {
	pe := sign.MinimalPE()
	bench := func(b *testing.B, k sign.KeySource) {
		be, err := k.Open(context.Background(), execx.OS{}, os.Getenv)
		if err != nil {
			b.Fatal(err)
		}
		defer be.Close()
		dir := b.TempDir()
		b.SetBytes(int64(len(pe)))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			f := filepath.Join(dir, "app.exe")
			if err := os.WriteFile(f, pe, 0o644); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if _, err := be.SignAndVerify(context.Background(), f); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("file", func(b *testing.B) {
		key := testutil.NewDevKey(b, b.TempDir(), "bench")
		bench(b, sign.KeySource{Cert: key.CertPath, Key: key.KeyPath})
	})
	b.Run("pkcs11", func(b *testing.B) {
		testutil.NeedPKCS11(b, sign.PKCS11Available)
		h := testutil.NewSoftHSM(b, "bench-pin")
		b.Setenv("BENCH_PIN", h.PIN)
		bench(b, sign.KeySource{PKCS11: sign.PKCS11Config{Module: h.Module, Token: h.Token, KeyLabel: h.Label, PinEnv: "BENCH_PIN"}})
	})
	b.Run("remote", func(b *testing.B) {
		srv := testutil.StartRelic(b)
		bench(b, sign.KeySource{Remote: sign.RemoteConfig{URL: srv.URL, CA: srv.ServerCert, ClientCert: srv.ClientCert, ClientKey: srv.ClientKey, Key: srv.Key}})
	})
}
