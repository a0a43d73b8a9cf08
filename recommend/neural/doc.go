// Package neural is a NeuMF recommender (He et al. 2017, "Neural
// Collaborative Filtering") in pure Go: a GMF branch (element-wise product of
// user and item embeddings) and an MLP branch (concatenated user and item
// embeddings through two ReLU layers) joined by a sigmoid output, trained on
// implicit positives with sampled negatives, binary cross-entropy and
// mini-batch Adam, parallel across goroutines and deterministic per seed and
// worker count.
//
// Users and items are dense int32 indices; mapping IDs is the caller's job.
//
//	m, err := neural.Train(ctx, pairs, nUsers, nItems, neural.DefaultConfig())
//	scores := make([]float32, m.Items())
//	m.ScoreAll(u, scores) // logits; rank descending, drop seen items
//	snap, _ := m.MarshalBinary()
package neural
