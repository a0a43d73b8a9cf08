package main

import (
	"strings"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/internal/natstest"
	"github.com/shopmuse/shopmuse/internal/pgtest"
)

// trainModels on two replicas: the holder of the trainer lease trains, the
// other answers TRAINS_ELSEWHERE naming it instead of training too; a
// catalog key may still not train.
func TestTrainModelsRunsOnTheTrainerOnly(t *testing.T) {
	db := pgtest.NewDatabase(t)
	url := natstest.URL(t)
	stream := natstest.Stream(t, url)
	bases := map[string]string{}
	for _, name := range []string{"r1", "r2"} {
		base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
			"SHOPMUSE_STORE": db, "SHOPMUSE_BUS": url, "SHOPMUSE_BUS_STREAM": stream, "SHOPMUSE_REPLICA": name,
			"SHOPMUSE_API_KEYS": "adm-1:admin,cat-1:catalog"})
		defer stop()
		bases[name] = base
	}
	const q = `mutation { trainModels { durationMs } }`
	if _, out, _ := post(t, bases["r1"], "cat-1", q); codes(out) != "FORBIDDEN" {
		t.Fatalf("trainModels with a catalog key: %v", out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, o1, _ := post(t, bases["r1"], "adm-1", q)
		_, o2, _ := post(t, bases["r2"], "adm-1", q)
		c1, c2 := codes(o1), codes(o2)
		// Once a background trainer holds the lease, one replica trains
		// and the other names it.
		if c1 == "" && c2 == "TRAINS_ELSEWHERE" && strings.Contains(toJSON(o2), `"replica":"r1"`) ||
			c2 == "" && c1 == "TRAINS_ELSEWHERE" && strings.Contains(toJSON(o1), `"replica":"r2"`) {
			return
		}
		if c1 != "" && c1 != "TRAINS_ELSEWHERE" || c2 != "" && c2 != "TRAINS_ELSEWHERE" || c1 != "" && c2 != "" {
			t.Fatalf("trainModels on r1: %v; on r2: %v", o1, o2)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no replica refused to train while the other held the lease: r1 %v; r2 %v", o1, o2)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
