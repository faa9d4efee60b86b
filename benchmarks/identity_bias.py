"""Identity terms (unintended bias) on Davidson et al.'s tweets: vanilla vs penalised on identity terms.

Run: python benchmarks/identity_bias.py            Smoke (CI): --smoke --out DIR
Forbidden lexicon: identity_terms/adjectives_people.txt (50 terms, phrases included). Three-class model
(hate / offensive / neither); bias metrics on the binary toxic-vs-not task with toxic score
p(hate) + p(offensive): per-term subgroup AUC, BPSN AUC, BNSP AUC (Borkan et al. 2019) and the pinned AUC
equality difference (Dixon et al. 2018), over test tweets; identity share audited by `audit_cli` on test
tweets that contain an identity term.
"""

import argparse
import os
import tempfile

import numpy as np

from audit_cli import bias_metrics
from evidence_common import (Audit, fmt, probabilities, require_data, results_header, train_classifier,
                             write_csv, write_results)
from trainer.corpus import load_corpus
from saliency_core.lexicon import load_lexicon
from saliency_core.text import tokenize_all
from trainer.penalty_loss import PenaltyConfig
from trainer.train import FitSettings

MODEL = dict(max_tokens=40, vocabulary_size=20000, embedding_dim=64, hidden_units=64)
MIN_SUBGROUP = 10  # terms with fewer test tweets are listed but not averaged


def macro_f1(labels, predictions, classes):
    scores = []
    for c in range(classes):
        tp = np.sum((predictions == c) & (labels == c))
        fp = np.sum((predictions == c) & (labels != c))
        fn = np.sum((predictions != c) & (labels == c))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return float(np.mean(scores))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--lambdas", type=float, nargs="+", default=[10.0, 100.0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    path = require_data("davidson_hate_offensive", "davidson.csv")
    lexicon = load_lexicon(require_data("identity_terms", "adjectives_people.txt"))
    parts = load_corpus(path, split_column="split", splits=["train", "test"])
    train, test = parts["train"], parts["test"]
    if args.smoke:
        rng = np.random.default_rng(0)
        train = train.subset(sorted(rng.permutation(len(train))[:800]))
        test = test.subset(sorted(rng.permutation(len(test))[:300]))
        args.seeds, args.lambdas, args.epochs = args.seeds[:1], args.lambdas[:1], 1
    train_labels = [int(v) for v in train.labels]
    test_labels = np.array([int(v) for v in test.labels])
    toxic = test_labels <= 1  # 0 hate, 1 offensive
    test_tokens = tokenize_all(test.texts, MODEL["max_tokens"])
    subgroups = {}
    for n, tokens in enumerate(test_tokens):
        for _, _, term in lexicon.matches(tokens):
            subgroups.setdefault(term, np.zeros(len(test), bool))[n] = True
    with_identity = np.any(list(subgroups.values()), axis=0) if subgroups else np.zeros(len(test), bool)
    work = tempfile.mkdtemp(prefix="identity-")
    identity_csv = write_csv(os.path.join(work, "identity_test.csv"), ["text", "label"],
                             [(t, l) for t, l, keep in zip(test.texts, test.labels, with_identity) if keep])
    configurations = [("vanilla", 0.0)] + [(f"penalised λ={lam:g}", lam) for lam in args.lambdas]
    results = {name: [] for name, _ in configurations}
    for seed in args.seeds:
        for name, weight in configurations:
            settings = FitSettings(PenaltyConfig(input_gradient_weight=weight, target="all"), epochs=args.epochs, batch_size=64,
                                   learning_rate=2e-3, seed=seed)
            classifier = train_classifier(train.texts, train_labels, 3, MODEL, settings, lexicon)
            test_probabilities = probabilities(classifier, test.texts)
            predictions = test_probabilities.argmax(-1)
            scores = test_probabilities[:, 0] + test_probabilities[:, 1]
            rows, equality_difference = bias_metrics.bias_table(toxic, scores, subgroups)
            audit = Audit(classifier, ["0", "1", "2"], settings, "identity")
            share = audit.score(identity_csv, lexicon).share_distribution.mean if with_identity.any() else float("nan")
            audit.close()
            frequent = [r for r in rows if r[1] >= MIN_SUBGROUP]
            results[name].append({
                "accuracy": float(np.mean(predictions == test_labels)),
                "macro_f1": macro_f1(test_labels, predictions, 3),
                "share": share,
                "overall_auc": bias_metrics.auc(toxic, scores),
                "subgroup_auc": np.nanmean([r[2] for r in frequent]) if frequent else float("nan"),
                "bpsn_auc": np.nanmean([r[3] for r in frequent]) if frequent else float("nan"),
                "bnsp_auc": np.nanmean([r[4] for r in frequent]) if frequent else float("nan"),
                "equality_difference": equality_difference, "rows": rows})
            print(f"seed {seed} {name}: " + ", ".join(f"{k} {v:.4f}" for k, v in results[name][-1].items()
                                                     if k != "rows"), flush=True)
    lines = [results_header("Identity terms: Davidson et al. tweets", args.seeds, [
        f"model: LSTM {MODEL['hidden_units']}, embedding {MODEL['embedding_dim']}, T = {MODEL['max_tokens']}, "
        f"{args.epochs} epochs, batch 64, Adam 2e-3, target `all`, reduction `l2`; forbidden lexicon "
        f"adjectives_people.txt ({len(lexicon.phrases)} terms)",
        f"train {len(train)} / test {len(test)} tweets; {int(with_identity.sum())} test tweets contain an identity "
        f"term; bias AUCs are averaged over terms with ≥ {MIN_SUBGROUP} test tweets "
        f"({sum(1 for m in subgroups.values() if m.sum() >= MIN_SUBGROUP)} terms)"]), "",
        "| configuration | accuracy % | macro-F1 % | identity share % | toxic AUC % | subgroup AUC % | BPSN AUC % "
        "| BNSP AUC % | pinned AUC equality difference |", "|---|---|---|---|---|---|---|---|---|"]
    for name, _ in configurations:
        r = results[name]
        lines.append(f"| {name} | {fmt([x['accuracy'] for x in r])} | {fmt([x['macro_f1'] for x in r])} | "
                     f"{fmt([x['share'] for x in r])} | {fmt([x['overall_auc'] for x in r])} | "
                     f"{fmt([x['subgroup_auc'] for x in r])} | {fmt([x['bpsn_auc'] for x in r])} | "
                     f"{fmt([x['bnsp_auc'] for x in r])} | {fmt([x['equality_difference'] for x in r], 1.0, 3)} |")
    lines += ["", f"Per-term AUCs, first seed ({args.seeds[0]}), %:", "",
              "| term | test tweets | " + " | ".join(f"{n}: subgroup / BPSN / BNSP" for n, _ in configurations) + " |",
              "|---|---|" + "---|" * len(configurations)]
    per_term = {name: {row[0]: row for row in results[name][0]["rows"]} for name, _ in configurations}
    for term in sorted(subgroups, key=lambda t: -subgroups[t].sum()):
        cells = []
        for name, _ in configurations:
            _, _, sub, bpsn, bnsp, _ = per_term[name][term]
            cells.append(" / ".join("–" if np.isnan(v) else f"{v * 100:.0f}" for v in (sub, bpsn, bnsp)))
        lines.append(f"| {term} | {int(subgroups[term].sum())} | " + " | ".join(cells) + " |")
    lines.append("")
    write_results("identity_bias" + ("_smoke" if args.smoke else "") + ".md", "\n".join(lines), args.out)


if __name__ == "__main__":
    main()
