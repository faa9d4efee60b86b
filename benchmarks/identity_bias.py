"""Identity terms (unintended bias) on Davidson et al.'s tweets: vanilla vs each penalty on identity terms.

Run: python benchmarks/identity_bias.py            Smoke (CI): --smoke --out DIR
Forbidden lexicon: identity_terms/adjectives_people.txt (50 terms, phrases included); substitution groups: the
neutral identity terms of identity_terms/madlibber_words_en_us.csv grouped by subtype (sexuality, gender,
ethnicity, religion, age, disability). Three-class model (hate / offensive / neither); everything is measured on
the binary toxic-vs-not task with toxic score p(hate) + p(offensive), over test tweets:
- reliance: mean |change of the toxic score| when the identity terms are removed, and the substitution gap
  (mean over tweets with a group term of the mean |change| over its substitutes; Garg et al. 2019);
- per-term subgroup, BPSN and BNSP AUC (Borkan et al. 2019); pinned AUC equality difference (Dixon et al. 2018)
  as mean ± sd over independent background draws; false positive / negative rate equality differences at the
  threshold that flags the test set's toxic fraction (so the models are compared at the same flag rate);
- the identity share of the gradient saliency, audited by `audit_cli`.
"""

import argparse
import os
import tempfile

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

from audit_engine.evaluations import bias_metrics
from saliency_core.lexicon import load_lexicon
from saliency_core.substitutions import SubstitutionGroups
from saliency_core.text import tokenize_all
from trainer.penalties import PenaltyConfig
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


def identity_groups(path):
    """Neutral identity terms of the madlibber list, one group per subtype (slurs are not substitutes)."""
    import csv
    groups = {}
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["type"] == "identity" and row["connotation"] == "neutral" and row["subtype"]:
                groups.setdefault(row["subtype"], set()).add(" ".join(tokenize_all([row["word"]])[0]))
    return SubstitutionGroups([sorted(g) for g in groups.values() if len(g) > 1])


def toxic_score(classifier, texts):
    p = probabilities(classifier, texts) if texts else np.zeros((0, 3))
    return p[:, 0] + p[:, 1]


def reliance_and_gap(classifier, texts, tokens, lexicon, groups, scores):
    """Mean |toxic score change| without the identity terms, and the substitution gap (see the docstring)."""
    rows = [n for n, t in enumerate(tokens) if lexicon.matches(t)]
    removed = toxic_score(classifier, [" ".join(lexicon.without(tokens[n])) for n in rows])
    removal = float(np.mean(np.abs(scores[rows] - removed))) if rows else float("nan")
    variants, owners = [], []
    for n, t in enumerate(tokens):
        for _, _, replaced in groups.variants(t):
            variants.append(" ".join(replaced))
            owners.append(n)
    if not variants:
        return removal, float("nan")
    moved = np.abs(scores[owners] - toxic_score(classifier, variants))
    owners = np.asarray(owners)
    per_tweet = [moved[owners == n].mean() for n in np.unique(owners)]
    return removal, float(np.mean(per_tweet))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--weight", type=float, default=10.0, help="lambda of every penalty")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    lexicon = load_lexicon(require_data("identity_terms", "adjectives_people.txt"))
    train, test = davidson_splits(args.smoke)
    if args.smoke:
        args.seeds, args.epochs = args.seeds[:1], 1
    train_labels = [int(v) for v in train.labels]
    test_labels = np.array([int(v) for v in test.labels])
    toxic = test_labels <= 1  # 0 hate, 1 offensive
    groups = identity_groups(require_data("identity_terms", "madlibber_words_en_us.csv"))
    all_test_tokens = tokenize_all(test.texts)
    test_tokens = [tokens[:MODEL["max_tokens"]] for tokens in all_test_tokens]
    subgroups = {}
    for n, tokens in enumerate(test_tokens):
        for _, _, term in lexicon.matches(tokens):
            subgroups.setdefault(term, np.zeros(len(test), bool))[n] = True
    with_identity = np.any(list(subgroups.values()), axis=0) if subgroups else np.zeros(len(test), bool)
    work = tempfile.mkdtemp(prefix="identity-")
    identity_csv = write_csv(os.path.join(work, "identity_test.csv"), ["text", "label"],
                             [(t, l) for t, l, keep in zip(test.texts, test.labels, with_identity) if keep])
    w = args.weight
    configurations = [("vanilla", PenaltyConfig(), None),
                      (f"input gradient λ={w:g}", PenaltyConfig(input_gradient_weight=w, target="all"), None),
                      (f"counterfactual KL λ={w:g} (removal)", PenaltyConfig(counterfactual_weight=w, divergence="kl"),
                       None),
                      (f"counterfactual KL λ={w:g} (removal + substitution)",
                       PenaltyConfig(counterfactual_weight=w, divergence="kl"), groups)]
    if args.smoke:
        configurations = configurations[::3]
    results = {name: [] for name, _, _ in configurations}
    toxic_fraction = float(toxic.mean())
    for seed in args.seeds:
        for name, penalty, substitutions in configurations:
            settings = FitSettings(penalty, epochs=args.epochs, batch_size=64, learning_rate=2e-3, seed=seed)
            classifier = train_classifier(train.texts, train_labels, 3, MODEL, settings, lexicon,
                                          substitutions=substitutions)
            test_probabilities = probabilities(classifier, test.texts)
            predictions = test_probabilities.argmax(-1)
            scores = test_probabilities[:, 0] + test_probabilities[:, 1]
            rows, equality_difference, difference_sd = bias_metrics.bias_table(toxic, scores, subgroups)
            # Same flag rate for every model: the threshold flags the test set's toxic fraction.
            threshold = np.quantile(scores, 1 - toxic_fraction)
            fped, fned = bias_metrics.rate_equality_differences(
                toxic, scores > threshold, {t: m for t, m in subgroups.items() if m.sum() >= MIN_SUBGROUP})
            removal, gap = reliance_and_gap(classifier, test.texts, all_test_tokens, lexicon, groups, scores)
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
                "equality_difference": equality_difference, "equality_difference_sd": difference_sd,
                "fped": fped, "fned": fned, "removal": removal, "substitution_gap": gap, "rows": rows})
            print(f"seed {seed} {name}: " + ", ".join(f"{k} {v:.4f}" for k, v in results[name][-1].items()
                                                     if k != "rows"), flush=True)
    lines = [results_header("Identity terms: Davidson et al. tweets", args.seeds, [
        f"model: LSTM {MODEL['hidden_units']}, embedding {MODEL['embedding_dim']}, T = {MODEL['max_tokens']}, "
        f"{args.epochs} epochs, batch 64, Adam 2e-3; input gradient: target `all`, reduction `l2`; forbidden lexicon "
        f"adjectives_people.txt ({len(lexicon.phrases)} terms); substitution groups: "
        + "; ".join(", ".join(g) for g in groups.groups),
        "reliance: mean |toxic score change| when the identity terms are removed (tweets with one), and the "
        "substitution gap; FPED / FNED: sums over terms of |FPR − FPR_term| and |FNR − FNR_term| at the threshold "
        f"that flags the test set's toxic fraction ({toxic_fraction * 100:.1f} %), over terms with ≥ {MIN_SUBGROUP} "
        "test tweets holding both classes; pinned AUC equality difference: mean over "
        f"{bias_metrics.PINNED_DRAWS} independent background draws per term (± its sd over draws, averaged over "
        "seeds)",
        f"train {len(train)} / test {len(test)} tweets; {int(with_identity.sum())} test tweets contain an identity "
        f"term; bias AUCs are averaged over terms with ≥ {MIN_SUBGROUP} test tweets "
        f"({sum(1 for m in subgroups.values() if m.sum() >= MIN_SUBGROUP)} terms)"]), "",
        "| configuration | removal: mean toxic-score change % | substitution gap % | FPED | FNED | accuracy % | "
        "macro-F1 % | identity share % | toxic AUC % | subgroup AUC % | BPSN AUC % | BNSP AUC % | "
        "pinned AUC equality difference (draw sd) |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, _, _ in configurations:
        r = results[name]
        lines.append(f"| {name} | {fmt([x['removal'] for x in r])} | {fmt([x['substitution_gap'] for x in r])} | "
                     f"{fmt([x['fped'] for x in r], 1.0, 3)} | {fmt([x['fned'] for x in r], 1.0, 3)} | "
                     f"{fmt([x['accuracy'] for x in r])} | {fmt([x['macro_f1'] for x in r])} | "
                     f"{fmt([x['share'] for x in r])} | {fmt([x['overall_auc'] for x in r])} | "
                     f"{fmt([x['subgroup_auc'] for x in r])} | {fmt([x['bpsn_auc'] for x in r])} | "
                     f"{fmt([x['bnsp_auc'] for x in r])} | {fmt([x['equality_difference'] for x in r], 1.0, 3)} "
                     f"({np.mean([x['equality_difference_sd'] for x in r]):.3f}) |")
    lines += ["", f"Per-term AUCs, first seed ({args.seeds[0]}), %:", "",
              "| term | test tweets | " + " | ".join(f"{n}: subgroup / BPSN / BNSP" for n, _, _ in configurations) + " |",
              "|---|---|" + "---|" * len(configurations)]
    per_term = {name: {row[0]: row for row in results[name][0]["rows"]} for name, _, _ in configurations}
    for term in sorted(subgroups, key=lambda t: -subgroups[t].sum()):
        cells = []
        for name, _, _ in configurations:
            _, _, sub, bpsn, bnsp, _ = per_term[name][term]
            cells.append(" / ".join("–" if np.isnan(v) else f"{v * 100:.0f}" for v in (sub, bpsn, bnsp)))
        lines.append(f"| {term} | {int(subgroups[term].sum())} | " + " | ".join(cells) + " |")
    lines.append("")
    write_results("identity_bias" + ("_smoke" if args.smoke else "") + ".md", "\n".join(lines), args.out)


if __name__ == "__main__":
    main()
