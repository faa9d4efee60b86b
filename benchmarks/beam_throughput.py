"""audit-beam vs audit-cli on the same corpus and model, side by side in one run, and audit-beam's peak memory
against corpus size.

Run: python benchmarks/beam_throughput.py [--rows 600000] [--shards 2] [--memory-rows 10000 1000000]
Model: untrained TextClassifier, T = 64, LSTM 64, embedding 64 (speed does not depend on the weights), embedded
(--model) in both. Corpus: --rows rows of ../shared/data/sst2's sentences (real text; its 67,349 sentences
repeat, each row with its own id, when --rows asks for more), as one file for audit-cli and as --shards files
for audit-beam (the pipeline spreads files over workers). DirectRunner, multi_processing, --direct-num-workers 2.
Throughput: wall clock of whole commands (process start, model loads, Beam's start and shutdown included), and
beside it each command's own audit rate (summary.json: first batch to last record for audit-cli, the pipeline
for audit-beam) and its fixed cost (wall clock minus rows at that rate).
Peak memory: the largest resident set of any process of the run (workers included), synthetic documents.
"""

import argparse
import csv
import itertools
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
from audit_throughput import SST2_TRAIN, export_bench_model, write_corpus  # noqa: E402
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


def write_real_corpus(work, sentences, rows, shards):
    """``rows`` rows cycling through the sentences: one CSV file, and the same rows as ``shards`` files (a glob)."""
    texts = list(itertools.islice(itertools.cycle(sentences), rows))
    whole = os.path.join(work, f"real-{rows}.csv")
    shard_dir = os.path.join(work, f"shards-{rows}")
    os.makedirs(shard_dir)
    per_shard = -(-len(texts) // shards)
    with open(whole, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        writer.writerows((f"r{n}", t) for n, t in enumerate(texts))
    for shard in range(shards):
        with open(os.path.join(shard_dir, f"part-{shard}.csv"), "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "text"])
            start = shard * per_shard
            writer.writerows((f"r{n}", texts[n]) for n in range(start, min(start + per_shard, len(texts))))
    return whole, os.path.join(shard_dir, "*.csv")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=600000)
    parser.add_argument("--small-rows", type=int, default=20000)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--memory-rows", type=int, nargs=2, default=[10000, 1000000])
    parser.add_argument("--real", default=SST2_TRAIN)
    args = parser.parse_args()
    from saliency_core.table import RowReader

    work = tempfile.mkdtemp(prefix="beam-bench-")
    export_bench_model(work)
    model = os.path.join(work, "bench")
    lexicon = os.path.join(work, "common.txt")
    with open(lexicon, "w") as f:
        f.write("the\nfilm\nmovie\nnot\n")
    with RowReader(args.real, ["text"]) as rows:
        sentences = [row["text"] for _, row in rows]
    bin_dir = os.path.dirname(sys.executable)
    common = ["--model", model, "--forbidden", lexicon, "--id-column", "id", "--batch-size", "256"]
    beam = [os.path.join(bin_dir, "audit-beam"), "score"]
    pipeline = ["--direct-running-mode", "multi_processing", "--direct-num-workers", "2"]
    commands = {
        "audit-cli score, one file": lambda whole, shards, out: [
            os.path.join(bin_dir, "audit-cli"), "score", whole, *common, "--quiet", "--out", out],
        f"audit-beam, {args.shards} shards, multi_processing x 2 workers": lambda whole, shards, out: [
            *beam, shards, *common, "--out", out, *pipeline],
        "audit-beam, one file, multi_processing x 2 workers": lambda whole, shards, out: [
            *beam, whole, *common, "--out", out, *pipeline],
    }
    seconds = {name: {} for name in commands}
    for rows in (args.small_rows, args.rows):
        whole, shards = write_real_corpus(work, sentences, rows, args.shards)
        for n, (name, command) in enumerate(commands.items()):
            seconds[name][rows], _ = run(command(whole, shards, os.path.join(work, f"out-{rows}-{n}")))
    small, big = args.small_rows, args.rows
    cli = seconds[next(iter(commands))]
    print(f"SST-2 sentences ({len(sentences):,} distinct, repeated with their own ids), T 64, LSTM 64, batch 256, "
          f"reliance on, embedded model, 2 cores; wall clock of whole commands (goal: audit-beam >= 0.9 x audit-cli):")
    for name, measured in seconds.items():
        # Two sizes give each command's rate per extra row and its fixed cost (start, model loads, shutdown).
        marginal = (big - small) / (measured[big] - measured[small])
        fixed = measured[small] - small / marginal
        print(f"  {name:<52} {small:,} rows {small / measured[small]:6,.0f} docs/s "
              f"(ratio {cli[small] / measured[small]:.2f}); {big:,} rows {big / measured[big]:6,.0f} docs/s "
              f"({measured[big]:.1f} s, ratio {cli[big] / measured[big]:.2f}); "
              f"per extra row {marginal:6,.0f} docs/s, fixed cost {fixed:4.1f} s")
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
