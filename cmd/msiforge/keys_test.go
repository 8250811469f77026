package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/cli"
	"github.com/msiforge/msiforge/internal/sign"
	"github.com/msiforge/msiforge/internal/testutil"
)

// runCLIEnv is runCLI with an environment for env.Getenv (relic's RELIC_*).
func runCLIEnv(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

// withSigning returns the example config with a signing section appended.
func withSigning(t *testing.T, section string) string {
	t.Helper()
	cfg := testutil.ExampleConfig(t)
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, append(b, []byte("\nsigning:\n"+section)...), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// assertAbsent fails when any secret shows in the outputs or in any file
// under dir (the release: manifest.json, SHA256SUMS, index.html...).
func assertAbsent(t *testing.T, dir string, outputs []string, secrets ...string) {
	t.Helper()
	texts := map[string]string{}
	for i, o := range outputs {
		texts[[]string{"stdout", "stderr"}[i%2]+" of run "+string(rune('1'+i/2))] = o
	}
	_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			texts[p] = string(b)
		}
		return nil
	})
	if len(texts) <= len(outputs) {
		t.Fatalf("no release files under %s to check", dir)
	}
	for where, text := range texts {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("secret %q shows in %s", s, where)
			}
		}
	}
}

// TestSecretsNeverLeak runs build with -x and each key source that has a
// secret (a token PIN, a relic client key), successfully and with a wrong
// secret, and greps every output and every file of the release for the
// secret. A failed build writes nothing.
func TestSecretsNeverLeak(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "makensis")
	t.Run("pkcs11", func(t *testing.T) {
		testutil.NeedPKCS11(t, sign.PKCS11Available)
		const pin, wrong = "S3cr3t-PIN-7f3a91", "Wr0ng-PIN-c0ffee"
		h := testutil.NewSoftHSM(t, pin)
		cfg := withSigning(t, "  pkcs11:\n    module: "+h.Module+"\n    token: "+h.Token+"\n    key_label: "+h.Label+"\n    pin_env: MSIFORGE_TEST_PIN\n")
		out := filepath.Join(t.TempDir(), "dist")
		t.Setenv("MSIFORGE_TEST_PIN", pin)
		code, stdout, stderr := runCLI(t, "-x", "build", "-f", cfg, "-o", out, "--arch", "x64", "--json")
		if code != 0 {
			t.Fatalf("build: exit %d\n%s", code, stderr)
		}
		if !strings.Contains(stdout, `"subject": "CN=msiforge PKCS#11 test"`) {
			t.Errorf("build --json does not show the token's certificate:\n%s", stdout)
		}
		failed := filepath.Join(t.TempDir(), "dist")
		t.Setenv("MSIFORGE_TEST_PIN", wrong)
		code, stdout2, stderr2 := runCLI(t, "-x", "build", "-f", cfg, "-o", failed, "--arch", "x64")
		if code != 1 || !strings.Contains(stderr2, "wrong PIN (from signing.pkcs11.pin_env MSIFORGE_TEST_PIN)") {
			t.Errorf("wrong PIN: exit %d\n%s", code, stderr2)
		}
		if _, err := os.Stat(failed); !os.IsNotExist(err) {
			t.Errorf("a build with a wrong PIN wrote %s", failed)
		}
		assertAbsent(t, out, []string{stdout, stderr, stdout2, stderr2}, pin, wrong)
		// A missing key or module fails as early, naming the field.
		t.Setenv("MSIFORGE_TEST_PIN", pin)
		for _, bad := range []struct{ section, want string }{
			{"  pkcs11:\n    module: " + h.Module + "\n    token: " + h.Token + "\n    key_label: nope\n    pin_env: MSIFORGE_TEST_PIN\n",
				`no private key labelled "nope" (signing.pkcs11.key_label) on token "msiforge-test"`},
			{"  pkcs11:\n    module: /nonexistent/p11.so\n    token: " + h.Token + "\n    key_label: " + h.Label + "\n    pin_env: MSIFORGE_TEST_PIN\n",
				"signing.pkcs11.module /nonexistent/p11.so: no such file"},
		} {
			failed := filepath.Join(t.TempDir(), "dist")
			code, _, stderr := runCLI(t, "build", "-f", withSigning(t, bad.section), "-o", failed, "--arch", "x64")
			if code != 1 || !strings.Contains(stderr, bad.want) {
				t.Errorf("exit %d\n%s\nwant %q", code, stderr, bad.want)
			}
			if _, err := os.Stat(failed); !os.IsNotExist(err) {
				t.Errorf("a failed build wrote %s", failed)
			}
		}
	})
	t.Run("remote", func(t *testing.T) {
		srv := testutil.StartRelic(t)
		keyPEM, err := os.ReadFile(srv.ClientKey)
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(keyPEM)
		// The key's base64 body, line by line: none may show anywhere.
		var secrets []string
		for _, l := range strings.Split(string(keyPEM), "\n") {
			if len(l) > 20 && !strings.HasPrefix(l, "-----") {
				secrets = append(secrets, l)
			}
		}
		if blk == nil || len(secrets) == 0 {
			t.Fatal("no client key")
		}
		cfg := withSigning(t, "  remote:\n    key: "+srv.Key+"\n")
		env := map[string]string{"RELIC_URL": srv.URL, "RELIC_CACERT": srv.ServerCert, "RELIC_CLIENT_CERT": srv.ClientCert, "RELIC_CLIENT_KEY": string(keyPEM)}
		out := filepath.Join(t.TempDir(), "dist")
		code, stdout, stderr := runCLIEnv(t, env, "-x", "build", "-f", cfg, "-o", out, "--arch", "x64")
		if code != 0 {
			t.Fatalf("build: exit %d\n%s", code, stderr)
		}
		// The same key with a certificate it does not belong to.
		other, _ := testutil.NewClientIdentity(t, t.TempDir(), "stranger")
		env["RELIC_CLIENT_CERT"] = other
		failed := filepath.Join(t.TempDir(), "dist")
		code, stdout2, stderr2 := runCLIEnv(t, env, "-x", "build", "-f", cfg, "-o", failed, "--arch", "x64")
		if code != 1 || !strings.Contains(stderr2, "(inline PEM)") {
			t.Errorf("mismatched client key: exit %d\n%s", code, stderr2)
		}
		if _, err := os.Stat(failed); !os.IsNotExist(err) {
			t.Errorf("a failed build wrote %s", failed)
		}
		assertAbsent(t, out, []string{stdout, stderr, stdout2, stderr2}, secrets...)
	})
}
