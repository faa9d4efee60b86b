"""What the lexicon missed: a penalty on one half of the identity lexicon, measured on the other half, and
whether the audit's discovery finds the unlisted half.

Run: python benchmarks/lexicon_discovery.py          Smoke (CI): --smoke --out DIR
- The 50 terms of identity_terms/adjectives_people.txt are split in two halves, stratified by how many training
  tweets hold each term (terms sorted by count, each consecutive pair split at random, seed 0): the penalty sees
  half A ("listed"), half B is held out ("unlisted").
- Models (Davidson et al. tweets, three classes, LSTM as benchmarks/identity_bias.py, counterfactual KL penalty
  λ = --weight): vanilla; half A; the full lexicon; and two ways to reach unlisted terms:
  (a) the loop closed: the half-A model is audited with --discover on the training tweets and retrained with
      half A plus the discovered words a reviewer accepts. The reviewer is simulated: it reads what the report
      shows (the top 50 unlisted words and each class's list, at the last of --samples) and accepts a word when it
      is an identity term (a term of the full list). That is the reviewer's judgement this step stands for; the
      simulation cannot accept what discovery did not show;
  (b) embedding neighbours: half A plus, for each of its terms, the --neighbours nearest words (cosine) in
      word2vec vectors learned on the training tweets, with no reviewer;
  (a') the same loop with candidates from word vectors learned on general text: `audit-cli candidates` lists the
      --per-term nearest words of each half-A term in vectors of the training tweets' words from a sentence encoder
      shipped inside a PyPI package (all-MiniLM-L6-v2, run in .venv-bench: bash scripts/setup_benchmarks.sh; the
      --smoke run uses word2vec on the tweets instead), discovery measures them (--discover-candidates, sample 1),
      the same simulated reviewer accepts what the report shows, and the model is retrained with them;
  (b') half A plus the --neighbours nearest words of each term in those vectors, with no reviewer;
  (b'') half A plus the words of (a')'s candidate list that the same reviewer accepts reading the list itself, no
      audit: the reviewer sees every candidate, whether or not the model relies on it;
  (c) the subspace penalty (trainer/penalties/subspace.py) at --subspace-weight beside the counterfactual penalty
      on half A, embeddings started from word2vec; and its control, half A with word2vec and no subspace term.
- Measured per half on the Davidson test split and on a template set generated from
  identity_terms/madlibber_words_en_us.csv (each template with each of the 50 terms, the toxic or non-toxic
  adjectives and verbs deciding the label): FPED / FNED (sum over the half's terms of |FPR − FPR_term|, at the
  threshold that flags the set's toxic fraction), the flip fraction and the mean drop of p(predicted) when the
  half's terms are removed (texts holding one), macro-F1 on the Davidson test split.
- Discovery: on the half-A model, the audit with --discover (half A as the lexicon) at each of --samples (0.25, the
  default, and 1.0), and with the near-word candidates of (a') at sample 1, against the same audit without it (cost
  ratio, one run each; the candidates' cost excludes making the vectors), and how many of half B's
  relied-on terms (exhaustive removal over the same tweets: at least 10 tweets and a mean drop of at least 1 point)
  discovery's top 50 unlisted words hold, and how many the
  report shows (the top 50 and each class's list).
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from evidence_common import (
    Audit,
    davidson_splits,
    fmt,
    probabilities,
    require_data,
    results_header,
    train_classifier,
    write_csv,
    write_results,
)
from identity_bias import macro_f1

from audit_engine.evaluations import bias_metrics
from audit_engine.near_words import nearest_words
from saliency_core.lexicon import Lexicon, load_lexicon
from saliency_core.text import tokenize_all
from trainer.penalties import PenaltyConfig
from trainer.train import FitSettings
from trainer.word_vectors import word2vec_vectors

MODEL = dict(max_tokens=40, vocabulary_size=20000, embedding_dim=64, hidden_units=64)
MIN_SUBGROUP = 10
TOP = 50
RELIED = 0.01  # a held-out term is relied on when removing it drops p(predicted) by at least 1 point on average
TEMPLATES = [
    ("{name} is a {adjective} {identity} {occupation}", "adjective"),
    ("i am a {identity} {occupation} and i am {adjective}", "adjective"),
    ("being {identity} is {adjective}", "adjective"),
    ("{identity} people are {adjective}", "adjective"),
    ("you are a {adjective} {identity} person", "adjective"),
    ("i {verb} {identity} people", "verb"),
    ("{name} says all {identity} people are {adjective}", "adjective"),
]


def split_halves(lexicon, tokens):
    """Half A, half B: terms sorted by how many texts hold them, each consecutive pair split at random."""
    counts = {" ".join(p): 0 for p in lexicon.phrases}
    for t in tokens:
        for term in {term for _, _, term in lexicon.matches(t)}:
            counts[term] += 1
    ordered = sorted(counts, key=lambda term: (-counts[term], term))
    rng = np.random.default_rng(0)
    a, b = [], []
    for i in range(0, len(ordered), 2):
        pair = ordered[i:i + 2]
        if len(pair) == 2 and rng.random() < 0.5:
            pair.reverse()
        a.append(pair[0])
        b.extend(pair[1:])
    return a, b, counts


def templates(path, seed=0):
    """(texts, toxic labels) of the template set: every template with every identity term of the lexicon, the
    label given by the template's toxic or non-toxic word; names and occupations drawn at random."""
    words = {}
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            words.setdefault((row["type"], row["connotation"]), []).append(row["word"])
    identities = [line.strip() for line in open(require_data("identity_terms", "adjectives_people.txt"))
                  if line.strip() and not line.startswith("#")]
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for identity in identities:
        for template, slot in TEMPLATES:
            for connotation, toxic in (("toxic", True), ("nontoxic", False)):
                for word in words[(slot, connotation)]:
                    texts.append(template.format(identity=identity,
                                                 name=rng.choice(words[("name", "neutral")]),
                                                 occupation=rng.choice(words[("occupation", "neutral")]),
                                                 adjective=word if slot == "adjective" else "",
                                                 verb=word if slot == "verb" else ""))
                    labels.append(toxic)
    return texts, np.array(labels)


def half_metrics(classifier, texts, tokens, toxic, terms, toxic_fraction):
    """FPED, FNED, flip fraction and mean drop of p(predicted) when the terms are removed, over ``terms``."""
    lexicon = Lexicon.from_entries(terms)
    p = probabilities(classifier, texts)
    scores = p[:, 0] + p[:, 1]
    threshold = np.quantile(scores, 1 - toxic_fraction)
    subgroups = {}
    for n, t in enumerate(tokens):
        for _, _, term in lexicon.matches(t[:MODEL["max_tokens"]]):
            subgroups.setdefault(term, np.zeros(len(texts), bool))[n] = True
    fped, fned = bias_metrics.rate_equality_differences(
        toxic, scores > threshold, {t: m for t, m in subgroups.items() if m.sum() >= MIN_SUBGROUP})
    rows = [n for n, t in enumerate(tokens) if lexicon.matches(t)]
    if not rows:
        return dict(fped=fped, fned=fned, flips=float("nan"), drop=float("nan"), documents=0)
    removed = probabilities(classifier, [" ".join(lexicon.without(tokens[n])) for n in rows])
    predicted = p[rows].argmax(-1)
    flips = float(np.mean(removed.argmax(-1) != predicted))
    drop = float(np.mean(p[rows, predicted] - removed[np.arange(len(rows)), predicted]))
    return dict(fped=fped, fned=fned, flips=flips, drop=drop, documents=len(rows))


def exhaustive_reliance(classifier, tokens, terms):
    """{term: (tweets, mean drop of p(predicted))} removing each term alone from every text that holds it."""
    lexicon = Lexicon.from_entries(terms)
    out = {}
    for term in terms:
        rows = [n for n, t in enumerate(tokens) if any(m == term for _, _, m in lexicon.matches(t))]
        if not rows:
            continue
        texts = [" ".join(tokens[n]) for n in rows]
        p = probabilities(classifier, texts)
        removed = probabilities(classifier, [" ".join(lexicon.without(tokens[n], term)) for n in rows])
        predicted = p.argmax(-1)
        out[term] = (len(rows), float(np.mean(p[np.arange(len(rows)), predicted]
                                              - removed[np.arange(len(rows)), predicted])))
    return out


def neighbours(texts, terms, k, seed):
    """The k nearest words (cosine, word2vec on ``texts``) of each single-word term, the terms themselves out."""
    vectors = word2vec_vectors(texts, MODEL["embedding_dim"], seed)
    words = list(vectors)
    matrix = np.stack([vectors[w] for w in words])
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    found = []
    for term in terms:
        if term not in vectors:
            continue
        similarity = matrix @ (vectors[term] / np.linalg.norm(vectors[term]))
        found += [words[i] for i in np.argsort(-similarity) if words[i] not in terms][:k]
    return sorted(set(found))


BENCH_PYTHON = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".venv-bench", "bin",
                            "python")
NEAR = "1, near words"  # discovery's run with the candidates of (a')


def general_vectors(kind, texts, tokens, work, seed=0):
    """A word2vec-format file of the vectors (a') and (b') read: every word of at least 3 training tweets (with a
    letter), embedded by all-MiniLM-L6-v2 in .venv-bench, or word2vec on the tweets themselves for --smoke."""
    counts = {}
    for t in tokens:
        for token in set(t):
            counts[token] = counts.get(token, 0) + 1
    words = sorted(w for w, n in counts.items() if n >= 3 and any(c.isalpha() for c in w))
    out = os.path.join(work, f"{kind}.vec")
    if kind == "word2vec":
        vectors = word2vec_vectors(texts, MODEL["embedding_dim"], seed)
        with open(out, "w", encoding="utf-8") as f:
            f.writelines(w + " " + " ".join(f"{v:.5f}" for v in vectors[w]) + "\n" for w in words if w in vectors)
        return out
    if not os.path.exists(BENCH_PYTHON):
        sys.exit("run bash scripts/setup_benchmarks.sh first (the sentence encoder in .venv-bench), or --vectors "
                 "word2vec")
    words_path = os.path.join(work, "words.txt")
    with open(words_path, "w", encoding="utf-8") as f:
        f.write("\n".join(words) + "\n")
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.run([BENCH_PYTHON, os.path.join(here, "sentence_vectors.py"), words_path, out], check=True)
    return out


def discover(classifier, settings, corpus_csv, lexicon_a, samples, candidates=None):
    """(seconds of the plain audit, {sample: (seconds with --discover, summary)}) of ``corpus_csv``, lexicon A;
    with ``candidates``, one more run measuring only them at sample 1 (key NEAR)."""
    audit = Audit(classifier, ["0", "1", "2"], settings, "discovery")
    try:
        started = time.perf_counter()
        audit.score(corpus_csv, lexicon_a)
        plain = time.perf_counter() - started
        runs = {}
        for sample in samples:
            started = time.perf_counter()
            summary = audit.score(corpus_csv, lexicon_a, evaluation_options=(("discover", True),
                                                                             ("discover_sample", sample)))
            runs[sample] = (time.perf_counter() - started, summary)
        if candidates is not None:
            started = time.perf_counter()
            summary = audit.score(corpus_csv, lexicon_a, candidates, evaluation_options=(
                ("discover", True), ("discover_sample", 1.0)))
            runs[NEAR] = (time.perf_counter() - started, summary)
        return plain, runs
    finally:
        audit.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--weight", type=float, default=10.0, help="lambda of the counterfactual penalty")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--neighbours", type=int, default=3)
    parser.add_argument("--samples", type=float, nargs="+", default=[0.25, 1.0],
                        help="discovery's --discover-sample, each run (the reviewer reads the last)")
    parser.add_argument("--vectors", choices=["minilm", "word2vec"], default="minilm",
                        help="the general-text word vectors of (a') and (b') (--smoke: word2vec)")
    parser.add_argument("--per-term", type=int, default=10, help="(a'): audit-cli candidates --per-term")
    parser.add_argument("--subspace-weight", type=float, default=3.0)
    parser.add_argument("--subspace-rank", type=int, default=8)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    full = load_lexicon(require_data("identity_terms", "adjectives_people.txt"))
    train, test = davidson_splits(args.smoke)
    if args.smoke:
        args.seeds, args.epochs, args.vectors = args.seeds[:1], 1, "word2vec"
    train_tokens, test_tokens = tokenize_all(train.texts), tokenize_all(test.texts)
    half_a, half_b, counts = split_halves(full, train_tokens)
    lexicon_a = Lexicon.from_entries(half_a)
    train_labels = [int(v) for v in train.labels]
    test_labels = np.array([int(v) for v in test.labels])
    test_toxic = test_labels <= 1
    template_texts, template_toxic = templates(require_data("identity_terms", "madlibber_words_en_us.csv"))
    if args.smoke:
        template_texts, template_toxic = template_texts[::20], template_toxic[::20]
    template_tokens = tokenize_all(template_texts)
    work = tempfile.mkdtemp(prefix="discovery-")
    train_csv = write_csv(os.path.join(work, "train.csv"), ["id", "text"], enumerate(train.texts))
    sets = {"Davidson test": (test.texts, test_tokens, test_toxic, float(test_toxic.mean())),
            "templates": (template_texts, template_tokens, template_toxic, float(template_toxic.mean()))}
    w = args.weight
    vectors_path = general_vectors(args.vectors, train.texts, train_tokens, work)
    near = nearest_words(vectors_path, lexicon_a, args.per_term)
    candidates = Lexicon.from_entries(near.candidates())
    near_b = sorted(set(near.candidates()) & set(half_b))
    print(f"{args.vectors} candidates: {len(candidates.phrases)} words, half B among them: {near_b}", flush=True)
    close = sorted(set(nearest_words(vectors_path, lexicon_a, args.neighbours).candidates()))
    listed_near = sorted(set(near.candidates()) & set(" ".join(p) for p in full.phrases))
    results = {}  # configuration -> list over seeds of {set: {half: metrics}, "macro_f1": ...}
    found_log = []

    def measure(name, classifier, seed):
        predictions = probabilities(classifier, test.texts).argmax(-1)
        row = {"macro_f1": macro_f1(test_labels, predictions, 3)}
        for set_name, (texts, tokens, toxic, fraction) in sets.items():
            row[set_name] = {half: half_metrics(classifier, texts, tokens, toxic, terms, fraction)
                             for half, terms in (("A", half_a), ("B", half_b))}
        results.setdefault(name, []).append(row)
        print(f"seed {seed} {name}: macro-F1 {row['macro_f1']:.4f}; " + "; ".join(
            f"{s} {h}: " + ", ".join(f"{k} {v:.3f}" for k, v in m.items()) for s in sets for h, m in row[s].items()),
            flush=True)

    def fit(terms, seed, subspace=0.0, word_vectors="none"):
        penalty = PenaltyConfig(counterfactual_weight=w if terms else 0.0, divergence="kl", subspace_weight=subspace,
                                subspace_rank=args.subspace_rank)
        settings = FitSettings(penalty, epochs=args.epochs, batch_size=64, learning_rate=2e-3, seed=seed)
        lexicon = Lexicon.from_entries(terms) if terms else None
        return train_classifier(train.texts, train_labels, 3, {**MODEL, "word_vectors": word_vectors}, settings,
                                lexicon), settings

    for seed in args.seeds:
        for name, terms in (("vanilla", None), ("penalty on half A", half_a), ("penalty on the full lexicon",
                                                                               [" ".join(p) for p in full.phrases])):
            classifier, settings = fit(terms, seed)
            measure(name, classifier, seed)
            if name == "penalty on half A":
                plain, runs = discover(classifier, settings, train_csv, lexicon_a, args.samples, candidates)
                truth = exhaustive_reliance(classifier, train_tokens, half_b)
                relied = sorted((t for t, (n, d) in truth.items() if n >= MIN_SUBGROUP and d >= RELIED),
                                key=lambda t: -truth[t][1])
                accepted_by = {}
                for sample, (seconds, summary) in runs.items():
                    unlisted = [w.word for w in summary.discovered_words if not w.listed][:TOP]
                    shown = set(unlisted) | {w.word for c in summary.discovery_classes for w in c.words}
                    # The reviewer reads what the report shows at the largest sample, and accepts identity terms.
                    accepted = sorted(shown & set(" ".join(p) for p in full.phrases))
                    accepted_by[sample] = accepted
                    found_log.append(dict(seed=seed, sample=sample, plain=plain, discovery=seconds,
                                          accepted=accepted, relied=relied, found=[t for t in relied if t in unlisted],
                                          shown=[t for t in relied if t in shown], truth=truth,
                                          documents=summary.discovery_documents))
                    print(f"seed {seed} discovery (sample {sample}): audit {plain:.1f} s, with --discover "
                          f"{seconds:.1f} s; shown {found_log[-1]['shown']} of half B relied on {relied}; "
                          f"accepted {accepted}", flush=True)
                expanded, _ = fit(half_a + accepted_by[args.samples[-1]], seed)
                measure("(a) half A + discovered terms a reviewer accepts", expanded, seed)
                expanded, _ = fit(half_a + accepted_by[NEAR], seed)
                measure(f"(a') half A + near-word candidates ({args.vectors}) a reviewer accepts", expanded, seed)
        tweets_near = neighbours(train.texts, half_a, args.neighbours, seed)
        print(f"seed {seed} neighbours: {tweets_near}", flush=True)
        classifier, _ = fit(half_a + tweets_near, seed)
        measure(f"(b) half A + {args.neighbours} word2vec neighbours per term", classifier, seed)
        classifier, _ = fit(half_a + close, seed)
        measure(f"(b') half A + {args.neighbours} {args.vectors} neighbours per term", classifier, seed)
        classifier, _ = fit(half_a + listed_near, seed)
        measure(f"(b'') half A + the near-word candidates ({args.vectors}) a reviewer accepts from the list, no "
                "audit", classifier, seed)
        classifier, _ = fit(half_a, seed, word_vectors="word2vec")
        measure("(c) control: half A, word2vec start", classifier, seed)
        classifier, _ = fit(half_a, seed, args.subspace_weight, "word2vec")
        measure(f"(c) half A + subspace penalty λ={args.subspace_weight:g} (rank {args.subspace_rank}), word2vec "
                "start", classifier, seed)
    write_results("lexicon_discovery" + ("_smoke" if args.smoke else "") + ".md",
                  report(args, half_a, half_b, counts, results, found_log, len(template_texts), near_b,
                         len(candidates.phrases)), args.out)


def report(args, half_a, half_b, counts, results, found_log, templates_count, near_b, near_count):
    lines = [results_header("What the lexicon missed: Davidson et al. tweets, half of the identity lexicon",
                            args.seeds, [
        f"model: LSTM {MODEL['hidden_units']}, embedding {MODEL['embedding_dim']}, T = {MODEL['max_tokens']}, "
        f"{args.epochs} epochs, batch 64, Adam 2e-3, counterfactual KL λ = {args.weight:g}",
        "half A (in the penalty): " + ", ".join(f"{t} ({counts[t]})" for t in half_a),
        "half B (held out): " + ", ".join(f"{t} ({counts[t]})" for t in half_b) + " (training tweets holding it)",
        f"template set: {templates_count} sentences; FPED / FNED over the half's terms with ≥ {MIN_SUBGROUP} texts "
        "holding both classes, at the threshold that flags the set's toxic fraction; flips and drop over texts "
        "holding a term of the half, the half's terms removed",
        f"near-word candidates of (a'): {near_count} words, the {args.per_term} nearest to each half-A term in "
        f"{args.vectors} vectors; half B terms among them: {', '.join(near_b) or 'none'}"]), ""]
    for set_name in ("Davidson test", "templates"):
        lines += [f"## {set_name} (mean ± sd over seeds)", "",
                  "| model | macro-F1 % | half A: FPED | FNED | flips % | drop (points) | half B: FPED | FNED | "
                  "flips % | drop (points) |", "|---|---|---|---|---|---|---|---|---|---|"]
        for name, rows in results.items():
            cells = [fmt([r["macro_f1"] for r in rows])]
            for half in ("A", "B"):
                m = [r[set_name][half] for r in rows]
                cells += [fmt([x["fped"] for x in m], 1.0, 3), fmt([x["fned"] for x in m], 1.0, 3),
                          fmt([x["flips"] for x in m]), fmt([x["drop"] for x in m])]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
        vanilla, fullp = results.get("vanilla"), results.get("penalty on the full lexicon")
        if vanilla and fullp:
            lines += ["Share of the full lexicon's reduction on half B that each model recovers ((vanilla − model) "
                      "/ (vanilla − full), of the means over seeds):", "",
                      "| model | FPED | FNED | flips | drop |", "|---|---|---|---|---|"]
            for name, rows in results.items():
                cells = []
                for key in ("fped", "fned", "flips", "drop"):
                    v, f, m = (float(np.nanmean([r[set_name]["B"][key] for r in rs])) for rs in (vanilla, fullp, rows))
                    cells.append(f"{(v - m) / (v - f) * 100:.0f} %" if abs(v - f) > 1e-9 else "–")
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
            lines.append("")
    lines += ["## Discovery on the half-A model (training tweets, half A as the lexicon)", "",
              f"| seed | sample | audit s | with --discover s | ratio | sampled tweets | half B terms relied on (≥ "
              f"{MIN_SUBGROUP} tweets, drop ≥ {RELIED * 100:g} point) in the top {TOP} | shown by the report (top "
              f"{TOP} and per class) | accepted by the reviewer |", "|---|---|---|---|---|---|---|---|---|"]
    def sample(f):
        return f"{f['sample']:g}" if isinstance(f["sample"], float) else f["sample"]

    for f in found_log:
        lines.append(f"| {f['seed']} | {sample(f)} | {f['plain']:.1f} | {f['discovery']:.1f} | "
                     f"{f['discovery'] / f['plain']:.2f} | "
                     f"{f['documents']} | {len(f['found'])} of {len(f['relied'])} | {len(f['shown'])} of "
                     f"{len(f['relied'])} | {', '.join(f['accepted']) or '–'} |")
    every_word, near_words = float(args.samples[-1]), NEAR
    for seed in args.seeds:
        runs = {f["sample"]: f for f in found_log if f["seed"] == seed}
        if every_word not in runs or near_words not in runs:
            continue
        truth = runs[every_word]["truth"]
        marks = {t: (" *" if t in runs[every_word]["found"] else "") + (" +" if t in runs[near_words]["found"] else "")
                 for t in truth}
        lines += ["", f"Half B by exhaustive mean drop (points; tweets), seed {seed}: " + ", ".join(
            f"{t} {truth[t][1] * 100:.1f} ({truth[t][0]}){marks[t]}" for t in sorted(truth, key=lambda t: -truth[t][1]))
            + f" (* in discovery's top {TOP} at sample {every_word:g}, every word; + in its top {TOP} given the near-word "
            "candidates)"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
