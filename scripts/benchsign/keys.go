package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/sign"
)

// benchKeys signs copies of file through one key source, the way a build
// does (sign.Backend: sign, then verify), and prints one table row: the
// median per-file latency of runs sequential signings, and the throughput
// of parallel signers each signing runs copies. Opening the key source
// (token login, the server's directory and certificate) happens once,
// before the clock starts, as in a build.
//
// The key source comes from the environment: BENCH_CERT and BENCH_KEY
// (file); BENCH_P11_MODULE, BENCH_P11_TOKEN, BENCH_P11_LABEL and the PIN
// in BENCH_PIN (pkcs11); RELIC_URL, RELIC_CACERT, RELIC_CLIENT_CERT,
// RELIC_CLIENT_KEY and BENCH_REMOTE_KEY (remote).
func benchKeys(kind, file, runsArg, parArg string) error {
	runs, err := strconv.Atoi(runsArg)
	if err != nil || runs < 1 {
		return fmt.Errorf("RUNS %q: want a positive number", runsArg)
	}
	par, err := strconv.Atoi(parArg)
	if err != nil || par < 1 {
		return fmt.Errorf("PARALLEL %q: want a positive number", parArg)
	}
	var k sign.KeySource
	switch kind {
	case "file":
		k = sign.KeySource{Cert: os.Getenv("BENCH_CERT"), Key: os.Getenv("BENCH_KEY")}
	case "pkcs11":
		k = sign.KeySource{PKCS11: sign.PKCS11Config{Module: os.Getenv("BENCH_P11_MODULE"), Token: os.Getenv("BENCH_P11_TOKEN"),
			KeyLabel: os.Getenv("BENCH_P11_LABEL"), PinEnv: "BENCH_PIN"}}
	case "remote":
		k = sign.KeySource{Remote: sign.RemoteConfig{Key: os.Getenv("BENCH_REMOTE_KEY")}}
	default:
		return fmt.Errorf("unknown key source %q", kind)
	}
	ctx := context.Background()
	b, err := k.Open(ctx, execx.OS{}, os.Getenv)
	if err != nil {
		return err
	}
	defer b.Close()
	fi, err := os.Stat(file)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp(filepath.Dir(file), ".benchkeys-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	ext := filepath.Ext(file)
	copyOf := func(name string) (string, error) {
		p := filepath.Join(work, name+ext)
		return p, copyFile(file, p)
	}
	// Sequential: per-file latency.
	lat := make([]time.Duration, 0, runs)
	for i := 0; i < runs; i++ {
		p, err := copyOf("seq")
		if err != nil {
			return err
		}
		start := time.Now()
		if _, err := b.SignAndVerify(ctx, p); err != nil {
			return err
		}
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	// Parallel: par signers, each runs files.
	paths := make([][]string, par)
	for w := range paths {
		for i := 0; i < runs; i++ {
			p, err := copyOf(fmt.Sprintf("par-%d-%d", w, i))
			if err != nil {
				return err
			}
			paths[w] = append(paths[w], p)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, par)
	start := time.Now()
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func(files []string) {
			defer wg.Done()
			for _, p := range files {
				if _, err := b.SignAndVerify(ctx, p); err != nil {
					errs <- err
					return
				}
			}
		}(paths[w])
	}
	wg.Wait()
	wall := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	n := par * runs
	mb := float64(fi.Size()) / 1e6
	fmt.Printf("| %s | %.1f | %s | %.1f | %.1f | %d | %.1f | %.1f |\n", filepath.Base(file), mb, kind,
		ms(lat[len(lat)/2]), ms(lat[0]), par, float64(n)/wall.Seconds(), float64(n)*mb/wall.Seconds())
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
