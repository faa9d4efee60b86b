"""Where an audit's CPU goes per document, short sentences beside 60-token texts, and what that bounds.

Run: python benchmarks/audit_cpu.py [--rows 20000] [--runs 2] [--reliance]

The same untrained T = 64 export (embedding 64, LSTM 64) audits the first --rows SST-2 sentences and as many texts
of 60 of their words (captum_side_by_side.long_texts), `--no-reliance` (with --reliance: the default audit, reliance
and the deletion control), batch 256, lexicon "the, film, movie, not", in this process (audit_engine.run.audit_corpus
with the encoding child started before the model loads, as audit-cli starts it), alternating, --runs times each. For
each run: docs/s (summary.json's clock), CPU microseconds per document read from /proc (TensorFlow's own threads (the
model), the thread that builds and tallies records, the other threads of the process (the calls into the model, the
reliance texts, the pipe's sender) and the child that encodes the lines), and the cores kept busy on average.

Why it matters: when both cores are busy for the whole audit, its rate is 2 cores / CPU per document, so short
sentences audit faster than 60-token texts by the ratio of their CPU per document, whatever the scheduling; the last
lines say how much CPU per short sentence outside the model a given ratio leaves, and how much a cut that every
document pays alike (the records' fixed work) must take from each, since it speeds up the 60-token texts too.
"""

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from audit_throughput import COMMON_WORDS, SST2_TRAIN, write_real_corpus  # noqa: E402
from captum_side_by_side import VOCABULARY, long_texts  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
EXPORT = f"""
import sys
sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
from audit_throughput import export_bench_model
print(export_bench_model(sys.argv[1], vocabulary=[f"w{{i}}" for i in range({VOCABULARY})]))
"""


def stat_seconds(path):
    """(name, CPU seconds: user + system) from a /proc .../stat file."""
    with open(path) as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2 :].split()
    return stat[stat.index("(") + 1 : stat.rindex(")")], (int(fields[11]) + int(fields[12])) / TICKS


def thread_seconds():
    """{thread id: (name, CPU seconds)} of this process's threads."""
    seconds = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            seconds[int(tid)] = stat_seconds(f"/proc/self/task/{tid}/stat")
        except FileNotFoundError:  # the thread ended meanwhile
            continue
    return seconds


def cpu_seconds(usage):
    return usage.ru_utime + usage.ru_stime


def audit_once(export_dir, corpus, lexicon, out, reliance=False):
    """(docs/s, {part: CPU µs per document}) of one audit of ``corpus``."""
    from audit_engine.backends.embedded import EmbeddedBackend
    from audit_engine.evaluations import AuditInputs
    from audit_engine.options import AuditOptions
    from audit_engine.record_encoding import start_early
    from audit_engine.run import audit_corpus

    shutil.rmtree(out, ignore_errors=True)
    encoder = start_early(corpus, False)
    backend = EmbeddedBackend(export_dir)
    options = AuditOptions(id_column="id", batch_size=256, reliance=reliance)
    try:
        before, process, children = thread_seconds(), resource.getrusage(resource.RUSAGE_SELF), \
            resource.getrusage(resource.RUSAGE_CHILDREN)
        # The child started while the model loaded (as audit-cli starts it while TensorFlow imports): what it
        # spent starting is not the audit's.
        started = stat_seconds(f"/proc/{encoder.pid}/stat")[1] if encoder is not None else 0.0
        summary, _ = audit_corpus(corpus, backend, out, options, AuditInputs(lexicon), record_encoder=encoder)
        after = thread_seconds()
        process_cpu = cpu_seconds(resource.getrusage(resource.RUSAGE_SELF)) - cpu_seconds(process)
        child_cpu = cpu_seconds(resource.getrusage(resource.RUSAGE_CHILDREN)) - cpu_seconds(children) - started
    finally:
        backend.close()
    model = sum(seconds - before.get(tid, (name, 0.0))[1] for tid, (name, seconds) in after.items()
                if name.startswith("tf_"))
    main_tid = os.getpid()
    records = after[main_tid][1] - before[main_tid][1]
    documents = summary.documents
    parts = {"model": model, "records": records, "other": process_cpu - model - records, "child": child_cpu}
    return documents / summary.seconds, {part: seconds / documents * 1e6 for part, seconds in parts.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--real", default=SST2_TRAIN)
    parser.add_argument("--reliance", action="store_true", help="the default audit (reliance and the deletion "
                        "control) instead of --no-reliance")
    args = parser.parse_args()
    from saliency_core.lexicon import Lexicon

    work = tempfile.mkdtemp(prefix="audit-cpu-")
    # Exported by another process, so that this one holds what audit-cli's does (no Keras model, no eager runtime).
    export = subprocess.run([sys.executable, "-c", EXPORT, work], capture_output=True, text=True,
                            check=True).stdout.strip().splitlines()[-1]
    short = write_real_corpus(args.real, args.rows, os.path.join(work, "short.csv"))
    with open(short) as f:
        long = long_texts([row["text"] for row in csv.DictReader(f)], os.path.join(work, "long.csv"))
    lexicon = Lexicon.from_entries(list(COMMON_WORDS))
    results = {"short": [], "60 tokens": []}
    print(f"{args.rows:,} documents each, CPU µs per document: model (TensorFlow's threads), records (the thread that "
          "builds and tallies them), other threads, encoding child")
    for _ in range(args.runs):
        for label, corpus in (("short", short), ("60 tokens", long)):
            rate, parts = audit_once(export, corpus, lexicon, os.path.join(work, "out"), args.reliance)
            results[label].append((rate, parts))
            print(f"{label:10} {rate:8,.0f} docs/s  " + "  ".join(f"{k} {v:5.0f}" for k, v in parts.items())
                  + f"  total {sum(parts.values()):5.0f}  busy cores {rate * sum(parts.values()) / 1e6:.2f}")
    best = {label: max(runs, key=lambda run: run[0]) for label, runs in results.items()}
    (short_rate, short_parts), (long_rate, long_parts) = best["short"], best["60 tokens"]
    short_total, long_total = sum(short_parts.values()), sum(long_parts.values())
    print(f"best runs: short / 60 tokens {short_rate / long_rate:.2f}x in docs/s, {long_total / short_total:.2f}x in "
          "CPU per document")
    for ratio in (2.5, 3.0):
        outside = long_total / ratio - short_parts["model"]
        # Work cut from every document's records is cut from the 60-token texts' too: (long - s) / (short - s).
        both = max(0.0, (ratio * short_total - long_total) / (ratio - 1))
        print(f"{ratio}x at this 60-token cost leaves {outside:.0f} µs of CPU per short sentence outside the model "
              f"(now {short_total - short_parts['model']:.0f}); a cut paid by every document alike must take "
              f"{both:.0f} µs from each")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
