package site_test

import (
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/manifest"
	"github.com/msiforge/msiforge/internal/site"
	"github.com/msiforge/msiforge/packaging"
)

// The headings come from the config (output.page), and a release without
// VSC packages has no VSC section at all.
func TestPageTitlesAndNoVSCSection(t *testing.T) {
	arts := []packaging.Artifact{{Path: "widget-1.0.0-x64.msi", Kind: packaging.KindConsoleMSI, Arch: "x64", Size: 1, SHA256: strings.Repeat("a", 64)}}
	m := manifest.New(manifest.Product{Name: "Widget", Manufacturer: "Acme", Version: "1.0.0"}, arts, manifest.Build{})
	b, err := site.RenderPage(m, site.Page{Title: "Widget <Pro>", ConsoleTitle: "Desktop app", VSCTitle: "Never shown"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{"<title>Widget &lt;Pro&gt; 1.0.0 — downloads</title>", "<h1>Widget &lt;Pro&gt; 1.0.0</h1>", `<h2 id="console-h">Desktop app</h2>`} {
		if !strings.Contains(s, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, unwanted := range []string{"Never shown", `id="vsc-h"`, "smart card", "Support console"} {
		if strings.Contains(s, unwanted) {
			t.Errorf("the page has %q", unwanted)
		}
	}

	// Defaults, and the VSC section when there are VSC packages.
	arts = append(arts, packaging.Artifact{Path: "widget-vsc-customer-1.0.0-x64.msi", Kind: "vsc-customer", Arch: "x64", Size: 1, SHA256: strings.Repeat("b", 64)})
	b, err = site.Render(manifest.New(manifest.Product{Name: "Widget", Version: "1.0.0"}, arts, manifest.Build{}))
	if err != nil {
		t.Fatal(err)
	}
	s = string(b)
	for _, want := range []string{"<h1>Widget 1.0.0</h1>", `<h2 id="console-h">Support console</h2>`, `<h2 id="vsc-h">Virtual smart card (VSC) driver</h2>`} {
		if !strings.Contains(s, want) {
			t.Errorf("the default page lacks %q", want)
		}
	}
}
