"""Verdicts with intervals and the deletion control, on real data (issue: verdicts that hold up in a review).

Run: python benchmarks/verdict_evidence.py [--seed 0] [--out DIR]
Smoke (CI): add --smoke (small subsets, one epoch).

1. rt_polarity with decoy words (the decoy_sentiment.py protocol: 'text' in positive and 'video' in negative
   training texts): a clean baseline, vanilla on decoy data, and the counterfactual KL penalty (lambda 10). Each is
   audited on the test texts with decoys inserted by label, with the deletion control: flip fraction and its
   Wilson interval, the control's, the excess with its bootstrap interval and the exact McNemar p-value.
2. The same audit of the counterfactual model gated at --max-flip-fraction 0.05 on a 40-document subsample and on
   the whole test set: the subsample is too small to decide, the whole set decides.
3. Davidson tweets, vanilla model, identity-term lexicon: which per-term findings survive Holm's correction.
"""

import argparse
import os
import tempfile

import numpy as np
from decoy_sentiment import MODEL as DECOY_MODEL
from decoy_sentiment import load as load_decoy
from evidence_common import (
    Audit,
    RESULTS,
    inject_decoys,
    require_data,
    results_header,
    train_classifier,
    write_csv,
    write_results,
)
from identity_bias import MODEL as IDENTITY_MODEL

from audit_engine.evaluations import AuditInputs
from audit_engine.options import AuditOptions
from audit_engine.run import audit_corpus
from saliency_core.lexicon import Lexicon, load_lexicon
from trainer.corpus import load_corpus
from trainer.penalties import PenaltyConfig
from trainer.train import FitSettings


def percent_ci(value, interval):
    return f"{value * 100:.1f} ({interval.low * 100:.1f}–{interval.high * 100:.1f})"


def points_ci(estimate):
    return f"{estimate.value * 100:+.1f} ({estimate.interval.low * 100:+.1f} to {estimate.interval.high * 100:+.1f})"


def gated(audit, corpus, lexicon, limit):
    summary, passed = audit_corpus(corpus, audit.backend, os.path.join(audit.work, "gated"),
                                   AuditOptions(examples=0), AuditInputs(lexicon), {"max_flip_fraction": limit})
    return summary, passed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", default=None, help="results folder (default benchmarks/results)")
    args = parser.parse_args()
    epochs = 1 if args.smoke else 4
    work = tempfile.mkdtemp(prefix="verdicts-")
    lines = [results_header("Verdicts with intervals and the deletion control", [args.seed], [
        "intervals at 95 %: Wilson for rates, Poisson bootstrap (400 replicates, weights from each document's id) "
        "for means and for the excess over the control; McNemar: exact, on the paired flips",
        "the control removes as many other tokens as the forbidden matches cover, chosen at random (seeded by the "
        "document's id)"]), ""]

    # 1. rt_polarity decoys
    train, test = load_decoy("rt_polarity", args.smoke)
    lexicon = Lexicon.from_entries(["text", "video"])
    decoy_texts = inject_decoys(test.texts, test.labels, seed=99)
    decoy_test = write_csv(os.path.join(work, "test_decoy.csv"), ["id", "text", "label"],
                           [(f"t{i}", t, label) for i, (t, label) in enumerate(zip(decoy_texts, test.labels))])
    decoy_train = inject_decoys(train.texts, train.labels, seed=args.seed)
    train_labels = [int(v) for v in train.labels]
    configurations = [("clean baseline", train.texts, PenaltyConfig()),
                      ("vanilla (decoy data)", decoy_train, PenaltyConfig()),
                      ("counterfactual KL λ=10 (decoy data)", decoy_train,
                       PenaltyConfig(counterfactual_weight=10.0, divergence="kl"))]
    lines += [f"## rt_polarity with decoys ({len(test)} test texts, each with its class's decoy)", "",
              "| model | flip fraction % (95 % CI) | control flip fraction % | excess, points (95 % CI) | McNemar p | "
              "mean drop, points (95 % CI) | verdict |", "|---|---|---|---|---|---|---|"]
    counterfactual_audit = None
    for name, texts, penalty in configurations:
        settings = FitSettings(penalty, epochs=epochs, batch_size=64, learning_rate=2e-3, seed=args.seed)
        classifier = train_classifier(texts, train_labels, 2, DECOY_MODEL, settings, lexicon)
        audit = Audit(classifier, ["0", "1"], settings, "verdicts")
        s = audit.score(decoy_test, lexicon, id_column="id")
        lines.append(
            f"| {name} | {percent_ci(s.reliance_flip_fraction, s.reliance_flip_fraction_interval)} | "
            f"{percent_ci(s.control_flip_fraction.value, s.control_flip_fraction.interval)} | "
            f"{points_ci(s.excess_flip_fraction)} | {s.excess_flip_p_value:.2g} | "
            f"{s.mean_reliance_drop * 100:.1f} ({s.mean_reliance_drop_interval.low * 100:.1f} to "
            f"{s.mean_reliance_drop_interval.high * 100:.1f}) | {s.verdict} |")
        print(lines[-1], flush=True)
        if name.startswith("counterfactual"):
            counterfactual_audit = audit
        else:
            audit.close()

    # 2. The same gate on 40 documents and on all of them
    rng = np.random.default_rng(args.seed)
    subsample = sorted(rng.permutation(len(test))[:40])
    small_test = write_csv(os.path.join(work, "test_decoy_40.csv"), ["id", "text", "label"],
                           [(f"t{i}", decoy_texts[i], test.labels[i]) for i in subsample])
    lines += ["", "## One gate, two corpus sizes (counterfactual model, --max-flip-fraction 0.05)", "",
              "| corpus | flips | flip fraction % (95 % CI) | gate outcome | verdict | documents to decide |",
              "|---|---|---|---|---|---|"]
    for label, corpus in (("40-document subsample", small_test), (f"whole test set ({len(test)})", decoy_test)):
        s, passed = gated(counterfactual_audit, corpus, lexicon, 0.05)
        gate = s.gates[0]
        lines.append(f"| {label} | {s.reliance_flipped} of {s.reliance_documents} | "
                     f"{percent_ci(s.reliance_flip_fraction, s.reliance_flip_fraction_interval)} | {gate.outcome} | "
                     f"{s.verdict} (exit {'0' if passed else '1'}) | {gate.documents_to_decide or ''} |")
        print(lines[-1], flush=True)
    counterfactual_audit.close()

    # 3. Davidson identity terms: per-term findings after Holm
    parts = load_corpus(require_data("davidson_hate_offensive", "davidson.csv"), split_column="split",
                        splits=["train", "test"])
    train, test = parts["train"], parts["test"]
    if args.smoke:
        train = train.subset(sorted(rng.permutation(len(train))[:800]))
        test = test.subset(sorted(rng.permutation(len(test))[:300]))
    identity = load_lexicon(require_data("identity_terms", "adjectives_people.txt"))
    settings = FitSettings(PenaltyConfig(), epochs=epochs, batch_size=64, learning_rate=2e-3, seed=args.seed)
    classifier = train_classifier(train.texts, [int(v) for v in train.labels], 3, IDENTITY_MODEL, settings, identity)
    tweets = write_csv(os.path.join(work, "davidson_test.csv"), ["id", "text", "label"],
                       [(f"d{i}", t, label) for i, (t, label) in enumerate(zip(test.texts, test.labels))])
    audit = Audit(classifier, ["0", "1", "2"], settings, "verdicts-identity")
    s = audit.score(tweets, identity, id_column="id")
    audit.close()
    lines += ["", f"## Davidson test tweets ({len(test)}), vanilla model, identity terms: per-term findings", "",
              f"{s.reliance_documents} tweets hold an identity term; the control flips "
              f"{percent_ci(s.control_flip_fraction.value, s.control_flip_fraction.interval)} %, the terms together "
              f"{percent_ci(s.reliance_flip_fraction, s.reliance_flip_fraction_interval)} % (excess "
              f"{points_ci(s.excess_flip_fraction)} points, McNemar p = {s.excess_flip_p_value:.2g}).", "",
              "| term | tweets | flips % (95 % CI) | p vs control | Holm-adjusted p | finding |",
              "|---|---|---|---|---|---|"]
    for t in s.term_reliance:
        tested = t.finding in ("relies", "no evidence")
        lines.append(f"| {t.term} | {t.documents} | {percent_ci(t.flip_fraction, t.flip_fraction_interval)} | "
                     f"{f'{t.p_value:.2g}' if tested else ''} | {f'{t.adjusted_p_value:.2g}' if tested else ''} | "
                     f"{t.finding} |")
    counts = {f: sum(t.finding == f for t in s.term_reliance) for f in ("relies", "no evidence", "too few to conclude")}
    lines += ["", "Findings: " + ", ".join(f"{n} {f}" for f, n in counts.items()) + "."]
    print("\n".join(lines[-len(s.term_reliance) - 3:]), flush=True)
    write_results("verdict_evidence" + ("_smoke" if args.smoke else "") + ".md", "\n".join(lines) + "\n",
                  args.out or RESULTS)


if __name__ == "__main__":
    main()
