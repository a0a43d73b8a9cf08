#!/usr/bin/python3
"""hnswlib baseline for `bench ann`: same files, same normalisation, same
output lines, so the embedded index can be compared side by side.

    /usr/bin/python3 vector/annbench/hnswlib_baseline.py --base /tmp/ann/base.fvecs \
        --query /tmp/ann/query.fvecs --gt /tmp/ann/gt.ivecs --k 10 --m 16 \
        --ef-construction 200 --ef 10,20,40,80,160

Needs Debian's python3-hnswlib and python3-numpy. The build uses --threads
threads (default 2, as the Go build uses 2 goroutines); queries run on one
thread (set_num_threads(1)) through hnswlib's batch API, so the timed loop is
hnswlib's C++ with no per-query Python overhead.
"""
import argparse
import os
import sys
import time

import hnswlib
import numpy as np


def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    if raw.size == 0:
        sys.exit(f"{path}: empty")
    dim = int(raw[0])
    rows = raw.reshape(-1, dim + 1)
    if not (rows[:, 0] == dim).all():
        sys.exit(f"{path}: vectors of differing dimension")
    return np.ascontiguousarray(rows[:, 1:]).view(dtype)


def normalise(v):
    n = np.linalg.norm(v, axis=1, keepdims=True)
    n[n == 0] = 1
    return np.ascontiguousarray(v / n, dtype=np.float32)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--query", required=True)
    p.add_argument("--gt", required=True)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=200)
    p.add_argument("--ef", default="10,20,40,80,160")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--runs", type=int, default=3,
                   help="timed passes per ef; the fastest is reported, as in the Go bench")
    p.add_argument("--clock", choices=("wall", "thread"), default="wall",
                   help="measure qps against wall time or the query thread's CPU time")
    p.add_argument("--index", help="load the built index from this file if present, else build and save it there")
    a = p.parse_args()
    clock = time.perf_counter if a.clock == "wall" else time.thread_time

    base = normalise(read_vecs(a.base, np.float32))
    queries = normalise(read_vecs(a.query, np.float32))
    gt = read_vecs(a.gt, np.int32)[:, : a.k]
    n, dim = base.shape
    print(f"hnswlib {getattr(hnswlib, '__version__', '?')}: {n} base, {len(queries)} queries, dim {dim}",
          file=sys.stderr)

    index = hnswlib.Index(space="ip", dim=dim)
    if a.index and os.path.exists(a.index):
        index.load_index(a.index, max_elements=n)
        print("build_s=loaded", flush=True)
    else:
        index.init_index(max_elements=n, M=a.m, ef_construction=a.ef_construction, random_seed=100)
        index.set_num_threads(a.threads)
        t0 = time.perf_counter()
        index.add_items(base, np.arange(n))
        print(f"build_s={time.perf_counter() - t0:.2f}", flush=True)
        if a.index:
            index.save_index(a.index)

    index.set_num_threads(1)
    index.set_ef(int(a.ef.split(",")[0]))
    index.knn_query(queries[:1000], k=a.k)  # warm up, as the Go bench does
    for ef in (int(x) for x in a.ef.split(",")):
        index.set_ef(ef)
        secs = float("inf")
        for _ in range(a.runs):
            t0 = clock()
            labels, _ = index.knn_query(queries, k=a.k)
            secs = min(secs, clock() - t0)
        found = sum(len(np.intersect1d(labels[i], gt[i])) for i in range(len(queries)))
        recall = found / gt.size
        print(f"ef={ef} recall@{a.k}={recall:.4f} qps={len(queries) / secs:.0f}", flush=True)


if __name__ == "__main__":
    main()
