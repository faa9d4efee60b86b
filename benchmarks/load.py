"""audit-serve under 8 concurrent audit clients: errors, p50/p99 latency, throughput, server RSS per round.

Run: python benchmarks/load.py [--clients 8] [--requests 200] [--rounds 4] [--batch 32]
Loopback only; every loop is bounded by the request count. Each client is a separate process
calling Predict through audit_engine.backends.tf_serving.GrpcBackend (the client audit-cli uses).
"""

import argparse
import multiprocessing
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))  # server_process: the audit-serve child-process helper
from audit_throughput import WORDS, export_bench_model  # noqa: E402


def client(address, requests, batch, seed, results):
    from audit_engine.backends.tf_serving import GrpcBackend
    rng = np.random.default_rng(seed)
    backend = GrpcBackend([address], "load", deadline=60)
    latencies, errors = [], 0
    for _ in range(requests):
        texts = [" ".join(rng.choice(WORDS, size=rng.integers(8, 40))) for _ in range(batch)]
        start = time.perf_counter()
        try:
            out = backend.explain(texts)
            if len(out.saliency) != batch:
                errors += 1
        except Exception:
            errors += 1
        latencies.append(time.perf_counter() - start)
    backend.close()
    results.put((latencies, errors))


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=200, help="per client per round")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="load-bench-")
    export_bench_model(work, "load")
    from server_process import AuditServeProcess
    server = AuditServeProcess("load", os.path.join(work, "load"))
    port = server.port
    address = f"127.0.0.1:{port}"
    print(f"{args.clients} clients x {args.requests} Predict requests of {args.batch} docs per round, T 64, LSTM 64")
    print(f"{'round':>5}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>8}{'docs/s':>9}{'server RSS MiB':>16}")
    try:
        for round_number in range(1, args.rounds + 1):
            results = multiprocessing.Queue()
            processes = [multiprocessing.Process(target=client, args=(address, args.requests, args.batch,
                                                                       round_number * 100 + i, results))
                         for i in range(args.clients)]
            start = time.perf_counter()
            for p in processes:
                p.start()
            collected = [results.get() for _ in processes]
            for p in processes:
                p.join()
            seconds = time.perf_counter() - start
            latencies = np.concatenate([np.asarray(l) for l, _ in collected]) * 1e3
            errors = sum(e for _, e in collected)
            total = args.clients * args.requests
            print(f"{round_number:>5}{errors:>8}{np.percentile(latencies, 50):>9.1f}{np.percentile(latencies, 99):>9.1f}"
                  f"{total / seconds:>8.0f}{total * args.batch / seconds:>9.0f}{rss_mib(server.pid):>16.0f}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
