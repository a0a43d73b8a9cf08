package annbench

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestGenerateAndBench(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := RunWithProgress(ctx, []string{"--gen", "3000,24", "--queries", "200", "--out", dir}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	base, dim, err := readFvecs(filepath.Join(dir, "base.fvecs"))
	if err != nil || dim != 24 || len(base) != 3000*24 {
		t.Fatalf("base.fvecs: dim %d, %d values, %v", dim, len(base), err)
	}
	gt, gtk, err := readIvecs(filepath.Join(dir, "gt.ivecs"))
	if err != nil || gtk != 100 || len(gt) != 200*100 {
		t.Fatalf("gt.ivecs: k %d, %d values, %v", gtk, len(gt), err)
	}
	// Spot-check the ground truth against a plain scan.
	queries, _, _ := readFvecs(filepath.Join(dir, "query.fvecs"))
	normalizeAll(base, dim)
	normalizeAll(queries, dim)
	for _, q := range []int{0, 57, 199} {
		best, bestS := -1, float32(-2)
		for i := range 3000 {
			var s float32
			for j := range dim {
				s += queries[q*dim+j] * base[i*dim+j]
			}
			if s > bestS {
				best, bestS = i, s
			}
		}
		if int(gt[q*gtk]) != best {
			t.Fatalf("query %d: ground truth says %d, scan says %d", q, gt[q*gtk], best)
		}
	}

	var out bytes.Buffer
	args := []string{"--base", filepath.Join(dir, "base.fvecs"), "--query", filepath.Join(dir, "query.fvecs"),
		"--gt", filepath.Join(dir, "gt.ivecs"), "--k", "10", "--m", "16", "--ef-construction", "100",
		"--ef", "10,80", "--filter-selectivity", "0.1,0.01", "--runs", "1"}
	if err := RunWithProgress(ctx, args, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1+2+2*2 || !regexp.MustCompile(`^build_s=[0-9.]+$`).MatchString(lines[0]) {
		t.Fatalf("output:\n%s", out.String())
	}
	line := regexp.MustCompile(`^(filter=(0\.1|0\.01) )?ef=(10|80) recall@10=([0-9.]+) qps=[0-9]+$`)
	var prefixes []string
	for _, l := range lines[1:] {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("malformed line %q", l)
		}
		prefixes = append(prefixes, m[1]+"ef="+m[3])
		recall, _ := strconv.ParseFloat(m[4], 64)
		if m[3] == "80" && recall < 0.95 {
			t.Fatalf("%q: recall too low", l)
		}
	}
	want := []string{"ef=10", "ef=80", "filter=0.1 ef=10", "filter=0.1 ef=80", "filter=0.01 ef=10", "filter=0.01 ef=80"}
	if !slices.Equal(prefixes, want) {
		t.Fatalf("lines %v, want %v", prefixes, want)
	}
}

func TestBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--gen", "100"},
		{"--gen", "100,8"},
		{"--base", "b", "--query", "q", "--gt", "g", "--ef", "10,x"},
		{"--base", "b", "--query", "q", "--gt", "g", "--filter-selectivity", "2"},
		{"--base", "/nonexistent/b.fvecs", "--query", "q", "--gt", "g"},
	} {
		if err := RunWithProgress(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}
