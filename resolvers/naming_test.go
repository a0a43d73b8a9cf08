package resolvers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileNamingRule holds the rule in the package comment: each resolver
// method sits in a file named for its kind, and no other files appear.
func TestFileNamingRule(t *testing.T) {
	support := map[string]bool{"resolver.go": true, "loaders.go": true, "complexity.go": true}
	kindOf := map[string]string{"queryResolver": "query", "mutationResolver": "mutation", "subscriptionResolver": "subscription"}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		kind, domain, ok := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(name, "resolver_"), ".go"), "_")
		named := strings.HasPrefix(name, "resolver_") && ok && domain != "" &&
			(kind == "query" || kind == "mutation" || kind == "subscription" || kind == "model")
		if !named && !support[name] {
			t.Errorf("%s: resolver files are resolver_{query,mutation,subscription,model}_<domain>.go", name)
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || !fn.Name.IsExported() {
				continue
			}
			star, ok := fn.Recv.List[0].Type.(*ast.StarExpr)
			if !ok {
				continue
			}
			recv := star.X.(*ast.Ident).Name
			if recv == "Resolver" { // the root's constructors of sub-resolvers
				continue
			}
			want, root := kindOf[recv]
			if !root {
				want = "model"
			}
			if !named || kind != want {
				t.Errorf("%s: %s.%s is a %s resolver; it belongs in resolver_%s_<domain>.go", name, recv, fn.Name.Name, want, want)
			}
		}
	}
}
