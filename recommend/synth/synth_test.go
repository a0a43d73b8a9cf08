package synth

import (
	"context"
	"slices"
	"testing"
)

func TestGenerate(t *testing.T) {
	a := Generate(200, 300, 5000, 1)
	b := Generate(200, 300, 5000, 1)
	if len(a.Users) != 200 || len(a.Products) != 300 || len(a.Embeddings) != 300 {
		t.Fatalf("sizes %d %d %d", len(a.Users), len(a.Products), len(a.Embeddings))
	}
	if n := len(a.Interactions); n < 5000 || n > 5000+4*200 {
		t.Errorf("%d interactions, want about 5000", n)
	}
	if len(a.Interactions) != len(b.Interactions) {
		t.Fatal("not deterministic")
	}
	for i := range a.Interactions {
		if a.Interactions[i] != b.Interactions[i] {
			t.Fatalf("not deterministic at %d", i)
		}
		if i > 0 && a.Interactions[i].OccurredAt.Before(a.Interactions[i-1].OccurredAt) {
			t.Fatalf("not sorted by time at %d", i)
		}
		if a.Interactions[i].OccurredAt.After(a.Now) {
			t.Fatalf("event after Now")
		}
	}
	active := map[string]bool{}
	for _, it := range a.Interactions {
		active[it.UserID] = true
	}
	if len(active) != 200 {
		t.Errorf("%d of 200 users have events", len(active))
	}
	// Users mostly stay within their topics' categories: the signal models learn.
	inTaste := 0
	topicOf := map[string]int{}
	for i, p := range a.Products {
		topicOf[p.ID] = a.TopicOf[i]
	}
	userIdx := map[string]int{}
	for i, u := range a.Users {
		userIdx[u.ID] = i
	}
	for _, it := range a.Interactions {
		if slices.Contains(a.UserTopics[userIdx[it.UserID]], topicOf[it.ProductID]) {
			inTaste++
		}
	}
	if share := float64(inTaste) / float64(len(a.Interactions)); share < 0.6 || share > 0.95 {
		t.Errorf("%.2f of events within the user's topics", share)
	}
	// Interest words embed next to their topic's products.
	emb := a.Embedder()
	v, _ := emb.EmbedQuery(context.Background(), TopicName(a.TopicOf[0]))
	var same, other float32
	for f := range v {
		same += v[f] * a.Embeddings[0][f]
	}
	w, _ := emb.EmbedQuery(context.Background(), "unrelated text")
	for f := range w {
		other += w[f] * a.Embeddings[0][f]
	}
	if same < 0.5 || same <= other {
		t.Errorf("interest similarity %.2f (unrelated %.2f)", same, other)
	}
}
