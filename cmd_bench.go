package main

import (
	"context"
	"fmt"
	"io"

	"github.com/shopmuse/shopmuse/vector/annbench"
)

const benchUsage = `usage: shopmuse bench <what> [flags]

  ann    ANN index recall and single-thread QPS on TEXMEX fvecs/ivecs files
         (shopmuse bench ann --help)
`

// runBench is `shopmuse bench ...`.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("bench: say what to benchmark\n%s", benchUsage)
	}
	switch args[0] {
	case "ann":
		return annbench.RunWithProgress(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("bench: unknown benchmark %q\n%s", args[0], benchUsage)
}
