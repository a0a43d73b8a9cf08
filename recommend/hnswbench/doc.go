// Package hnswbench benchmarks the recommend engine wired as the embedded
// service runs it: product embeddings and MF item factors in vector/hnsw.
// It holds only benchmarks; it lives apart from package recommend so that
// recommend's own tests depend on no other index implementation. The
// benchmark uses Getrusage and so runs on Unix only.
package hnswbench
