"""Ours beside Captum on the same sentences, in one run: predict, gradient saliency, an audit with reliance, and
integrated gradients (16 steps), for our exported LSTM and a PyTorch LSTM of the same size (embedding 64, LSTM 64,
last real state, packed sequences) explained by Captum's Saliency and IntegratedGradients over the embedding.

Run: bash scripts/setup_benchmarks.sh && .venv/bin/python benchmarks/captum_side_by_side.py [--rows 8000]
PyTorch runs in .venv-bench (a CPU build, never part of the project's installs), in a child process, first with
one thread, then with its default threads (on a loaded 2-core machine the latter is unstable: compare with care).

Ours: the exported model's signatures on the session loader (TF Serving's path), batch 256, with the corpus in
row order (as before length-aware batching) and in the audit's length-aware windows (corpus.windows); the audit
is `audit-cli score --model` in a child process (the audit's own docs/s from summary.json), reliance on, the
deletion control off (the same work as Saliency + removal on the other side) and on. Theirs: sentences tokenized
before the clock starts (lower-case whitespace words, the same vocabulary size); reliance = one more predict of
each sentence that holds a forbidden word, without those words. Speed does not depend on the weights (untrained).
Also: short real sentences against 60-token texts, T = 64, `audit-cli score --no-reliance` and the default audit.
Every figure, on both sides, is the best of 3 runs (an audit: 3 `audit-cli score` processes), so that a busy
moment on a shared machine moves neither side more than the other.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
from audit_throughput import (  # noqa: E402
    COMMON_WORDS,
    SST2_TRAIN,
    audit_batches,
    export_bench_model,
    pipeline_rate,
    run_audit,
    write_real_corpus,
)

BENCH_PYTHON = os.path.join(ROOT, ".venv-bench", "bin", "python")
VOCABULARY = 3000

# The PyTorch side, run by .venv-bench's python: prints one JSON line of docs/s.
THEIRS = r"""
import json, sys, time
import torch
from captum.attr import IntegratedGradients, Saliency
texts, forbidden, threads, batch = json.loads(sys.stdin.read())
if threads:
    torch.set_num_threads(threads)
torch.manual_seed(0)
vocab = {}
def ids_of(text):
    return [vocab.setdefault(w, len(vocab) % 2998 + 2) for w in text.lower().split()][:64] or [1]
docs = [ids_of(t) for t in texts]
without = [[i for i, w in zip(d, t.lower().split()) if w not in forbidden] or [1] for d, t in zip(docs, texts)]
holds = [any(w in forbidden for w in t.lower().split()[:64]) for t in texts]

class LSTM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(3000, 64, padding_idx=0)
        self.lstm = torch.nn.LSTM(64, 64, batch_first=True)
        self.out = torch.nn.Linear(64, 2)
    def classify(self, embeddings, lengths):
        packed = torch.nn.utils.rnn.pack_padded_sequence(embeddings, lengths, batch_first=True, enforce_sorted=False)
        _, (hidden, _) = self.lstm(packed)
        return torch.softmax(self.out(hidden[-1]), dim=-1)

model = LSTM().eval()
def padded(rows):
    lengths = torch.tensor([len(r) for r in rows])
    x = torch.zeros(len(rows), int(lengths.max()), dtype=torch.long)
    for n, r in enumerate(rows):
        x[n, : len(r)] = torch.tensor(r)
    return x, lengths
def batches(rows):
    for i in range(0, len(rows), batch):
        yield rows[i : i + batch]

def predict(rows):
    with torch.no_grad():
        for chunk in batches(rows):
            x, lengths = padded(chunk)
            model.classify(model.embedding(x), lengths)

def saliency(rows):
    for chunk in batches(rows):
        x, lengths = padded(chunk)
        embeddings = model.embedding(x).detach()
        with torch.no_grad():
            target = model.classify(embeddings, lengths).argmax(-1)
        grads = Saliency(model.classify).attribute(embeddings, target=target, abs=False,
                                                   additional_forward_args=(lengths,))
        grads.norm(dim=-1)

def audit(rows):  # saliency, then the removal of forbidden words for the documents that hold one
    saliency(rows)
    predict([w for w, h in zip(without, holds) if h])

def integrated(rows):
    for chunk in batches(rows):
        x, lengths = padded(chunk)
        embeddings = model.embedding(x).detach()
        with torch.no_grad():
            target = model.classify(embeddings, lengths).argmax(-1)
        IntegratedGradients(model.classify).attribute(embeddings, target=target, n_steps=16,
                                                      additional_forward_args=(lengths,),
                                                      internal_batch_size=batch * 16)

rates = {}
for name, run in (("predict", predict), ("saliency", saliency), ("audit", audit), ("integrated", integrated)):
    run(docs[:batch])
    best = None
    for _ in range(3):
        start = time.perf_counter()
        run(docs)
        seconds = time.perf_counter() - start
        best = seconds if best is None else min(best, seconds)
    rates[name] = len(docs) / best
print(json.dumps({"rates": rates, "threads": torch.get_num_threads()}))
"""


def theirs(texts, threads, batch):
    done = subprocess.run([BENCH_PYTHON, "-c", THEIRS], input=json.dumps([texts, list(COMMON_WORDS), threads, batch]),
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def ours(export_dir, texts, batch, length_aware):
    """docs/s of predict, the saliency signature and integrated gradients on the session loader (best of 3)."""
    from audit_engine.backends.embedded import EmbeddedBackend

    chunks = (
        audit_batches(texts, batch)
        if length_aware  # the audit's windows: LOOK_AHEAD batches of rows, sorted by length inside
        else [texts[i : i + batch] for i in range(0, len(texts), batch)]
    )
    backend = EmbeddedBackend(export_dir, "serving_default")
    ig = EmbeddedBackend(export_dir, "integrated_gradients")
    rates = {}
    try:
        calls = (("predict", backend.probabilities), ("saliency", backend.explain), ("integrated", ig.explain))
        for name, call in calls:
            call(chunks[0])
            runs = []
            for _ in range(3):
                start = time.perf_counter()
                for chunk in chunks:
                    call(chunk)
                runs.append(time.perf_counter() - start)
            rates[name] = len(texts) / min(runs)
    finally:
        backend.close()
        ig.close()
    return rates


def best_audit_rate(args, out, runs=3):
    """The best docs/s (summary.json) of ``runs`` `audit-cli score` processes with these arguments."""
    rates = []
    for _ in range(runs):
        run_audit([*args, "--out", out])
        rates.append(pipeline_rate(out))
    return max(rates)


def long_texts(texts, path, words=60):
    """Texts of ``words`` words from the real sentences' words, as id,text CSV."""
    pool = " ".join(texts).split()
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        for n in range(len(texts)):
            start = (n * words) % max(len(pool) - words, 1)
            writer.writerow([f"l{n}", " ".join(pool[start:start + words])])
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=8000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--real", default=SST2_TRAIN)
    args = parser.parse_args()
    if not os.path.exists(BENCH_PYTHON):
        sys.exit("run bash scripts/setup_benchmarks.sh first (PyTorch and Captum in .venv-bench)")
    work = tempfile.mkdtemp(prefix="captum-bench-")
    export = export_bench_model(work, vocabulary=[f"w{i}" for i in range(VOCABULARY)], ig_steps=16)
    corpus = write_real_corpus(args.real, args.rows, os.path.join(work, "real.csv"))
    with open(corpus) as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    lexicon = os.path.join(work, "common.txt")
    with open(lexicon, "w") as f:
        f.write("".join(word + "\n" for word in COMMON_WORDS))
    audit = [corpus, "--model", os.path.dirname(export), "--forbidden", lexicon, "--id-column", "id",
             "--batch-size", str(args.batch_size), "--quiet"]
    mine = {"row order": ours(export, texts, args.batch_size, False),
            "length-aware": ours(export, texts, args.batch_size, True)}
    for label, extra in (("audit", ["--no-control"]), ("audit with control", [])):
        mine["length-aware"][label] = best_audit_rate([*audit, *extra], os.path.join(work, label.replace(" ", "-")))
    long_corpus = long_texts(texts, os.path.join(work, "long.csv"))
    with open(long_corpus) as f:
        long_rates = ours(export, [row["text"] for row in csv.DictReader(f)], args.batch_size, True)
    lengths = {}
    for label, path in (("short", corpus), ("60 tokens", long_corpus)):
        lengths[label] = best_audit_rate(
            [path, "--model", os.path.dirname(export), "--forbidden", lexicon, "--id-column", "id",
             "--batch-size", str(args.batch_size), "--no-reliance", "--quiet"],
            os.path.join(work, f"length-{label.replace(' ', '-')}"))
    # The default audit (reliance and the deletion control) of the 60-token texts, beside the short sentences'
    # "audit with control" above: the same command on both.
    long_default = best_audit_rate([long_corpus, *audit[1:]], os.path.join(work, "length-60-tokens-default"))
    one, default = theirs(texts, 1, args.batch_size), theirs(texts, 0, args.batch_size)
    words = sum(min(len(t.split()), 64) for t in texts) / len(texts)
    print(f"{len(texts):,} real sentences ({os.path.basename(args.real)}, {words:.1f} words on average), batch "
          f"{args.batch_size}, T = 64, docs/s")
    print(f"{'':28} {'ours, row order':>16} {'ours, length-aware':>19} {'PyTorch 1 thread':>17} "
          f"{'PyTorch ' + str(default['threads']) + ' threads':>17}  ours (length-aware) / 1-thread")
    rows = [("predict", "predict"), ("gradient saliency", "saliency"), ("audit with reliance", "audit"),
            ("  (ours with the control)", "audit with control"), ("integrated gradients, 16", "integrated")]
    for label, key in rows:
        theirs_key = "audit" if key == "audit with control" else key
        row_order = mine["row order"].get(key)
        shown = f"{row_order:16,.0f}" if row_order else f"{'(an audit)':>16}"
        aware = mine["length-aware"][key]
        print(f"{label:28} {shown} {aware:19,.0f} {one['rates'][theirs_key]:17,.0f} "
              f"{default['rates'][theirs_key]:17,.0f}  {aware / one['rates'][theirs_key]:.2f}")
    print(f"audit-cli score --no-reliance: short sentences {lengths['short']:,.0f} docs/s, 60-token texts "
          f"{lengths['60 tokens']:,.0f} docs/s: {lengths['short'] / lengths['60 tokens']:.2f}x")
    short_default = mine["length-aware"]["audit with control"]
    print(f"audit-cli score (reliance and the control, the default): short sentences {short_default:,.0f} docs/s, "
          f"60-token texts {long_default:,.0f} docs/s: {short_default / long_default:.2f}x")
    short = mine["length-aware"]["saliency"]
    print(f"the saliency signature alone (length-aware batches): short sentences {short:,.0f} docs/s, 60-token texts "
          f"{long_rates['saliency']:,.0f} docs/s: {short / long_rates['saliency']:.2f}x")


if __name__ == "__main__":
    main()
