"""Human rationales (ERASER movie reviews): penalise saliency outside the rationale vs vanilla training.

Run: python benchmarks/eraser_rationales.py            Smoke (CI): --smoke --out DIR
Documents average 774 tokens; the LSTM reads the first T = 300 surface tokens (longer texts are truncated,
as the audit reports), and every metric is computed on those explained tokens.
Metrics (DeYoung et al. 2020): accuracy; token F1 of the top-k salient tokens against the human rationale,
with k = the number of rationale tokens among the explained ones (per document); AUPRC of the saliency against
the rationale; comprehensiveness and sufficiency as AOPC over 1/5/10/20/50 % of the tokens.
"""

import argparse

import numpy as np
from eraser_bow_baseline import bow_baseline
from evidence_common import Audit, eraser_splits, fmt, results_header, train_classifier, write_results

from audit_engine.backends.windowed import windowed
from audit_engine.document import explained_tokens
from audit_engine.evaluations import rationale_metrics
from audit_engine.options import WindowConfig
from saliency_core.text import surface_tokens_with_word_index
from trainer.penalties import PenaltyConfig
from trainer.train import FitSettings

MODEL = dict(max_tokens=300, vocabulary_size=20000, embedding_dim=64, hidden_units=64)


def explained_rationale(texts, rationales):
    """Per document: the rationale marks of every surface token (bool [n]), from the Python tokenizer (parity with
    the graph's); callers cut them to the explained tokens."""
    out = []
    for text, marks in zip(texts, rationales):
        word_index = np.asarray(surface_tokens_with_word_index(text)[1], dtype=np.int64)
        out.append(marks[word_index].astype(bool))
    return out


def evaluate(audit, test, window_stride=None):
    """Metrics over the explained tokens: the first T, or with ``window_stride`` every token of the review (the
    audit's windows: the prediction combined over windows, each token's saliency from its most central window)."""
    backend = audit.backend
    if window_stride:
        backend, _ = windowed(backend, WindowConfig(stride=window_stride), backend.metadata())
    outputs = {k: [] for k in ("tokens", "token_count", "saliency", "probabilities")}
    for start in range(0, len(test), 16):
        batch = backend.explain(test.texts[start:start + 16])
        for k in outputs:
            outputs[k].extend(getattr(batch, k))
    rationales = explained_rationale(test.texts, test.rationales)
    f1s, auprcs, comprehensiveness, sufficiency, correct, fractions, predictions = [], [], [], [], [], [], []
    for i in range(len(test)):
        tokens = explained_tokens(outputs["tokens"][i], int(outputs["token_count"][i]))
        saliency = np.asarray(outputs["saliency"][i][:len(tokens)])
        rationale = rationales[i][:len(tokens)]
        predicted = int(np.argmax(outputs["probabilities"][i]))
        correct.append(predicted == int(test.labels[i]))
        predictions.append(predicted)
        if rationale.sum():
            f1s.append(rationale_metrics.token_f1(saliency, rationale, int(rationale.sum()))[2])
            auprcs.append(rationale_metrics.auprc(saliency, rationale))
            fractions.append(rationale.mean())  # a random ranking's expected AUPRC
        c, s = rationale_metrics.aopc(backend.probabilities, tokens, saliency, predicted)
        comprehensiveness.append(c)
        sufficiency.append(s)
    from sklearn.metrics import f1_score
    return {"accuracy": np.mean(correct), "macro_f1": f1_score([int(v) for v in test.labels], predictions,
                                                               average="macro"),
            "token_f1": np.mean(f1s), "auprc": np.mean(auprcs),
            "random_auprc": np.mean(fractions),
            "comprehensiveness": np.mean(comprehensiveness), "sufficiency": np.mean(sufficiency),
            "with_rationale": len(f1s)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--lambdas", type=float, nargs="*", default=[1.0, 10.0])
    parser.add_argument("--pooling", choices=["last", "max", "attention"], default="last",
                        help="what the classifier reads of the LSTM states (audit-train --pooling)")
    parser.add_argument("--bidirectional", action="store_true")
    parser.add_argument("--penalty", choices=["input-gradient", "counterfactual"], default="input-gradient",
                        help="the rationale penalty (audit-train --penalty); counterfactual: the rationale alone "
                             "must give the prediction of the whole document")
    parser.add_argument("--max-tokens", type=int, default=MODEL["max_tokens"], help="T: tokens read per review")
    parser.add_argument("--window-stride", type=int, default=None,
                        help="train on windows of T tokens this far apart and evaluate every token of each review")
    parser.add_argument("--word-vectors", choices=["none", "word2vec"], default="none",
                        help="start the embedding from word2vec trained on the training reviews (no labels)")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    model = dict(MODEL, pooling=args.pooling, bidirectional=args.bidirectional, max_tokens=args.max_tokens,
                 window_stride=args.window_stride, word_vectors=args.word_vectors)
    train, test = eraser_splits((120, 20) if args.smoke else None)
    if args.smoke:
        args.seeds, args.lambdas, args.epochs = args.seeds[:1], args.lambdas[:1], 1
        model["max_tokens"] = 100
    labels = [int(v) for v in train.labels]
    configurations = [("vanilla", 0.0)] + [(f"rationale penalty ({args.penalty}) λ={lam:g}", lam)
                                           for lam in args.lambdas]
    results = {name: [] for name, _ in configurations}
    for seed in args.seeds:
        for name, weight in configurations:
            settings = FitSettings(PenaltyConfig.named(args.penalty, weight, target="all"), epochs=args.epochs,
                                   batch_size=32, learning_rate=2e-3, seed=seed)
            classifier = train_classifier(train.texts, labels, 2, model, settings, rationales=train.rationales)
            audit = Audit(classifier, ["0", "1"], settings, "eraser")
            results[name].append(evaluate(audit, test, args.window_stride))
            audit.close()
            print(f"seed {seed} {name}: {results[name][-1]}", flush=True)
    keys = ["accuracy", "macro_f1", "token_f1", "auprc", "comprehensiveness", "sufficiency"]
    fraction = np.mean([r.mean() if args.window_stride else r[: min(len(r), model["max_tokens"])].mean()
                        for r in train.rationales])
    lines = [results_header("Human rationales: ERASER movie reviews", args.seeds, [
        f"model: {'bidirectional ' if model['bidirectional'] else ''}LSTM {model['hidden_units']}, "
        f"{model['pooling']} pooling, embedding {model['embedding_dim']}, T = {model['max_tokens']} "
        + (f"in windows {args.window_stride} tokens apart (trained on every window with the review's label; "
           "evaluated on every token of each review, the prediction combined over windows as the audit does)"
           if args.window_stride else "(first tokens of each review; the rest is not explained)")
        + (", embedding started from word2vec on the training reviews" if args.word_vectors == "word2vec" else "")
        + f", {args.epochs} epochs, batch 32, Adam 2e-3, target `all`, reduction `l2`",
        f"train {len(train)} / test {len(test)} documents; {fraction * 100:.1f} % of the "
        f"{'' if args.window_stride else 'first T '}training words are rationale",
        "rationale mode: the penalty covers every real token outside the human rationale (m = 1 − Z)"]), "",
        "| configuration | accuracy % | macro-F1 % | token F1 % | AUPRC % | comprehensiveness ↑ | sufficiency ↓ |",
        "|---|---|---|---|---|---|---|"]
    for name, _ in configurations:
        cells = [fmt([r[k] for r in results[name]]) if k in ("accuracy", "macro_f1", "token_f1", "auprc")
                 else fmt([r[k] for r in results[name]], scale=1.0, digits=3) for k in keys]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    bow = bow_baseline(train, test)
    lines.append(f"| reference: bag of words + logistic regression (benchmarks/eraser_bow_baseline.py, every token; "
                 f"plausibility of the absolute weight) | {bow['accuracy'] * 100:.1f} | {bow['macro_f1'] * 100:.1f} | "
                 f"{bow['token_f1'] * 100:.1f} | {bow['auprc'] * 100:.1f} | – | – |")
    random_auprc = np.mean([r["random_auprc"] for rows in results.values() for r in rows])
    lines += ["", f"Values are mean ± std over seeds. On the explained test tokens a random ranking would have AUPRC "
                  f"≈ {random_auprc * 100:.1f} % (the mean rationale fraction of test documents with a rationale).", ""]
    variant = "" if (args.pooling, args.bidirectional) == ("last", False) else \
        f"_{'bi' if args.bidirectional else ''}lstm_{args.pooling}"
    variant += "" if args.penalty == "input-gradient" else f"_{args.penalty}"
    variant += f"_windows{args.window_stride}" if args.window_stride else ""
    variant += "_word2vec" if args.word_vectors == "word2vec" else ""
    write_results("eraser_rationales" + variant + ("_smoke" if args.smoke else "") + ".md", "\n".join(lines),
                  args.out)


if __name__ == "__main__":
    main()
