package main

import (
	"context"
	"fmt"
	"io"

	"github.com/shopmuse/shopmuse/loadgen"
	"github.com/shopmuse/shopmuse/vector/annbench"
)

const benchUsage = `usage: shopmuse bench <what> [flags]

  ann    ANN index recall and single-thread QPS on TEXMEX fvecs/ivecs files
         (shopmuse bench ann --help)
  load   a fixed-rate, mixed GraphQL load against a running server
         (shopmuse bench load --url http://127.0.0.1:8080/graphql --rate 300 --duration 30s);
         mind SHOPMUSE_RATE_LIMIT on the server (1000/s per client by default)
`

// runBench is `shopmuse bench ...`.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("bench: say what to benchmark\n%s", benchUsage)
	}
	switch args[0] {
	case "ann":
		return annbench.RunWithProgress(ctx, args[1:], stdout, stderr)
	case "load":
		return loadgen.Run(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("bench: unknown benchmark %q\n%s", args[0], benchUsage)
}
