"""audit-beam vs audit-cli on the same corpus and model, side by side in one run, and audit-beam's peak memory
against corpus size.

Run: python benchmarks/beam_throughput.py [--rows 20000] [--shards 2] [--memory-rows 10000 200000]
Model: untrained TextClassifier, T = 64, LSTM 64, embedding 64 (speed does not depend on the weights), embedded
(--model) in both. Corpus: the first --rows sentences of ../shared/data/sst2 (real text), as one file for
audit-cli and as --shards files for audit-beam (the pipeline spreads files over workers). DirectRunner,
multi_processing, --direct-num-workers 2. Wall clock of whole commands (process start and model loads included).
Peak memory: the largest resident set of any process of the run (workers included), synthetic documents.
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Runs a console command in a child and prints the peak RSS (KiB) of that child's descendants on the last line.
MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def run(command):
    """(seconds, peak RSS MiB of the largest process) of a command run to its end; exit 0 or 1 (a gate) only."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURE, *command], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    seconds = time.perf_counter() - start
    code, rss = done.stdout.split()
    if int(code) not in (0, 1):
        raise RuntimeError(f"{command[0]} exited {code}")
    return seconds, int(rss) / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--memory-rows", type=int, nargs=2, default=[10000, 200000])
    parser.add_argument("--real", default=os.path.join(ROOT, "..", "shared", "data", "sst2", "sst2_train.csv"))
    args = parser.parse_args()
    from audit_throughput import WORDS, write_corpus
    from saliency_core.table import RowReader
    from trainer.export import export_model
    from trainer.model import TextClassifier

    work = tempfile.mkdtemp(prefix="beam-bench-")
    export_model(TextClassifier(WORDS, 2, 64, 64, 64), ["0", "1"], work, "bench", {"max_tokens": 64}, "l2")
    model = os.path.join(work, "bench")
    lexicon = os.path.join(work, "common.txt")
    with open(lexicon, "w") as f:
        f.write("the\nfilm\nmovie\nnot\n")
    with RowReader(args.real, ["text"]) as rows:
        texts = [row["text"] for _, (_, row) in zip(range(args.rows), rows)]
    whole = os.path.join(work, "real.csv")
    shard_dir = os.path.join(work, "shards")
    os.makedirs(shard_dir)
    per_shard = -(-len(texts) // args.shards)
    with open(whole, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        writer.writerows((f"r{n}", t) for n, t in enumerate(texts))
    for shard in range(args.shards):
        with open(os.path.join(shard_dir, f"part-{shard}.csv"), "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "text"])
            start = shard * per_shard
            writer.writerows((f"r{n}", texts[n]) for n in range(start, min(start + per_shard, len(texts))))
    bin_dir = os.path.dirname(sys.executable)
    common = ["--model", model, "--forbidden", lexicon, "--id-column", "id", "--batch-size", "256"]
    beam = [os.path.join(bin_dir, "audit-beam"), "score"]
    cli_seconds, _ = run([os.path.join(bin_dir, "audit-cli"), "score", whole, *common, "--quiet",
                          "--out", os.path.join(work, "cli")])
    beam_seconds, _ = run([*beam, os.path.join(shard_dir, "*.csv"), *common, "--out", os.path.join(work, "beam"),
                           "--direct-running-mode", "multi_processing", "--direct-num-workers", "2"])
    one_file_seconds, _ = run([*beam, whole, *common, "--out", os.path.join(work, "beam1"),
                               "--direct-running-mode", "multi_processing", "--direct-num-workers", "2"])
    n = len(texts)
    print(f"{n:,} SST-2 sentences, T 64, LSTM 64, batch 256, reliance on, embedded model, 2 cores:")
    print(f"  audit-cli score (one file):                       {n / cli_seconds:,.0f} docs/s ({cli_seconds:.1f} s)")
    print(f"  audit-beam, {args.shards} shards, multi_processing x 2 workers: {n / beam_seconds:,.0f} docs/s "
          f"({beam_seconds:.1f} s); ratio to audit-cli {cli_seconds / beam_seconds:.2f} (goal >= 0.9)")
    print(f"  audit-beam, one file, multi_processing x 2 workers:  {n / one_file_seconds:,.0f} docs/s "
          f"({one_file_seconds:.1f} s); ratio {cli_seconds / one_file_seconds:.2f}")
    sizes = []
    for rows in args.memory_rows:
        corpus = os.path.join(work, f"synthetic-{rows}.csv")
        write_corpus(corpus, rows, seed=rows)
        seconds, rss = run([*beam, corpus, "--model", model, "--forbidden", os.path.join(work, "common.txt"),
                            "--batch-size", "256", "--out", os.path.join(work, f"mem-{rows}"),
                            "--direct-running-mode", "multi_processing", "--direct-num-workers", "2"])
        sizes.append((rows, rss, seconds))
    (small, small_rss, _), (big, big_rss, big_seconds) = sizes
    print(f"peak RSS of the largest audit-beam process: {small:,} rows {small_rss:.0f} MiB; {big:,} rows "
          f"{big_rss:.0f} MiB; ratio {big_rss / small_rss:.2f} (goal <= 1.2); {big / big_seconds:,.0f} docs/s")
    print(f"work folder: {work}")


if __name__ == "__main__":
    main()
