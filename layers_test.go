package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The house's layers, bottom to top (README "Architecture"). An import may
// point down or stay in its layer; tools are imported only by package main
// and other tools.
var layers = []struct {
	name     string
	packages []string // path prefixes below the module
}{
	{"domain", []string{"shop"}},
	{"engines", []string{"store", "vector", "embeddings", "search", "recommend", "copywriter", "persona", "bandit",
		"pagination", "metrics", "internal", "demo", "bus", "assistant", "experiment", "fatigue", "review", "vision", "merch",
		"imagevec"}},
	{"use cases", []string{"app", "engage"}},
	{"edges", []string{"api", "graph", "resolvers", "web"}},
	{"wiring", []string{""}}, // package main, at the root
}

// tools are commands' insides: never imported by the service's layers.
var tools = []string{"evalrec", "loadgen", "importer", "vector/annbench", "recommend/hnswbench"}

const module = "github.com/shopmuse/shopmuse"

type listedPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func ours(path string) (string, bool) {
	if path == module {
		return "", true
	}
	rel, ok := strings.CutPrefix(path, module+"/")
	return rel, ok
}

func under(rel, prefix string) bool {
	return rel == prefix || strings.HasPrefix(rel, prefix+"/")
}

func layerOf(rel string) int {
	if rel == "" {
		return len(layers) - 1
	}
	for i, l := range layers[:len(layers)-1] {
		for _, p := range l.packages {
			if under(rel, p) {
				return i
			}
		}
	}
	return -1
}

func isTool(rel string) bool {
	return slices.ContainsFunc(tools, func(t string) bool { return under(rel, t) })
}

// TestImportRules reads `go list -deps` and fails when an arrow runs the
// wrong way.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if _, ok := ours(p.ImportPath); ok {
			pkgs = append(pkgs, p)
		}
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d of our packages; the test reads the wrong tree", len(pkgs))
	}
	dependsOn := func(p listedPackage, rel string) bool {
		return slices.Contains(p.Deps, strings.TrimSuffix(module+"/"+rel, "/"))
	}
	for _, p := range pkgs {
		rel, _ := ours(p.ImportPath)
		name := rel
		if name == "" {
			name = "main"
		}
		from := layerOf(rel)
		if from < 0 && !isTool(rel) {
			t.Errorf("%s is in no layer: add it to the layers or tools in this test and to README's architecture", name)
			continue
		}
		for _, imp := range p.Imports {
			q, ok := ours(imp)
			if !ok {
				continue
			}
			switch {
			case isTool(q) && !isTool(rel) && rel != "":
				t.Errorf("%s imports the tool %s: tools are imported only by package main and other tools", name, q)
			case isTool(q):
			case isTool(rel):
				if layerOf(q) >= 3 {
					t.Errorf("the tool %s imports %s, an edge or the wiring", name, q)
				}
			case layerOf(q) > from:
				t.Errorf("%s (%s) imports %s (%s): arrows point down", name, layers[from].name, q, layers[layerOf(q)].name)
			}
		}
		switch {
		case rel == "shop" && len(p.Deps) > 0 && slices.ContainsFunc(p.Deps, func(d string) bool { _, ok := ours(d); return ok }):
			t.Errorf("shop depends on our packages; it must import nothing of ours")
		case under(rel, "recommend") && dependsOn(p, "copywriter"), under(rel, "copywriter") && dependsOn(p, "recommend"):
			t.Errorf("%s: recommend and copywriter never import each other", name)
		case rel == "app" && (dependsOn(p, "resolvers") || dependsOn(p, "graph") || dependsOn(p, "api")):
			t.Errorf("app depends on resolvers, graph or api")
		case rel == "engage" && dependsOn(p, "app"):
			t.Errorf("engage depends on app: app calls engage, not the reverse")
		}
		if rel != "" && dependsOn(p, "app") && dependsOn(p, "resolvers") {
			t.Errorf("%s depends on both app and resolvers: only package main wires them together", name)
		}
	}
}

// TestEveryPackageHasADocComment: a newcomer reads the package list first.
func TestEveryPackageHasADocComment(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{.Doc}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if path, doc, _ := strings.Cut(line, "|"); doc == "" {
			t.Errorf("%s has no package doc comment", path)
		}
	}
}
