// Package recommend turns the shop's interaction log, catalogue and product
// embeddings into personalised recommendations with reasons.
//
// Several retrievers each propose scored candidates with a reason:
// seen-but-not-bought, session (what shoppers look at next after the items of
// the user's current session), item-to-item collaborative filtering, matrix
// factorisation (eALS by default, BPR as the alternative), content (the
// user's profile and declared interests against the product embedding
// index), trending and popular. The blender normalises each list by rank,
// weights it (Config.Weights), merges reasons, filters (shop.ProductFilter,
// unavailable, purchased, explicit exclusions) and diversifies with MMR and a
// per-category cap. Models train on a snapshot of the data and are swapped in
// atomically, so training never blocks serving.
//
// The package keeps its own in-memory Dataset and imports neither store nor
// copywriter. Wiring, as the service does it:
//
//	e, err := recommend.New(recommend.DefaultConfig(), recommend.Deps{
//		Products: productIndex,              // product embeddings, kept current by upsertProducts
//		Embedder: embedder,                  // for declared interests
//		NewIndex: func(dim int) (vector.Index, error) { return hnsw.New(dim, hnsw.Options{}) },
//	})
//	// startup: catalogue, users, the event log, then the last model snapshot
//	e.UpsertProducts(products); e.UpsertUsers(users)
//	e.LoadInteractions(eventLog)             // bulk, in batches
//	if snap != nil { err = e.Restore(ctx, snap) } else { _, err = e.Train(ctx) }
//	if e.Untrained() >= n { e.Train(ctx) }   // background training (the app layer's trainer)
//	// write path
//	e.AddInteractions(batch)                 // after the store committed it
//	e.UpsertProducts(ps); e.DeleteProducts(ids); e.UpsertUsers(us); e.DeleteUser(id)
//	// read path
//	recs, err := e.Recommend(ctx, recommend.Request{UserID: id, N: 20, Filter: f, Language: shop.LanguageZH})
//	rel, err := e.Related(ctx, recommend.RelatedRequest{ItemID: pid, Intent: recommend.IntentComplementary, N: 10})
//	// trainModels
//	rep, err := e.Train(ctx); snap, err := e.Snapshot() // persist snap
//
// Offline evaluation: SplitInteractions, Engine.Ranker and Evaluate compute
// Recall, NDCG, HitRate, MAP at K and catalogue coverage with full ranking
// over all items, the user's training items excluded. The synth sub-package
// generates a shop with latent tastes for tests and benchmarks.
package recommend
