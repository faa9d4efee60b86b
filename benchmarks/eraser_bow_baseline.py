"""A plain linear bag-of-words baseline on ERASER movie reviews (issue 11's reference point).

Run: python benchmarks/eraser_bow_baseline.py        Smoke (CI): --smoke --out DIR
Whole documents (no truncation), the model's own surface tokens (saliency_core.text, NFKC-folded), binary
unigram features, scikit-learn's LogisticRegression (L2, liblinear), C chosen by 5-fold cross-validation on the
training split only, then refit on all of it. Rationale plausibility of the linear model: each token's score is
|weight of its word|, over every token of the document; token F1 with k = the document's rationale tokens, and
AUPRC (audit_engine.evaluations.rationale_metrics, as for the LSTM). The LSTM's figures in eraser_rationales.md are over the
first 300 tokens only, so the two plausibility figures are not over the same tokens.
"""

import argparse

import numpy as np
from evidence_common import eraser_splits, results_header, write_results

from audit_engine.evaluations import rationale_metrics
from saliency_core.text import surface_tokens_with_word_index


def features(documents, vocabulary):
    from scipy.sparse import csr_matrix
    rows, columns = [], []
    for row, tokens in enumerate(documents):
        for column in {vocabulary[t] for t in tokens if t in vocabulary}:
            rows.append(row)
            columns.append(column)
    return csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(len(documents), len(vocabulary)))


def bow_baseline(train, test):
    """Fit the baseline on ``train`` and measure it on ``test`` (evidence_common.eraser_splits parts): a dict of
    accuracy, macro_f1, token_f1, auprc (fractions), with_rationale, vocabulary, lengths, cv {C: accuracy}, C."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import cross_val_score
    tokenized = {name: [surface_tokens_with_word_index(text) for text in part.texts]
                 for name, part in (("train", train), ("test", test))}
    vocabulary = {t: i for i, t in enumerate(sorted({t for tokens, _ in tokenized["train"] for t in tokens}))}
    x_train = features([tokens for tokens, _ in tokenized["train"]], vocabulary)
    x_test = features([tokens for tokens, _ in tokenized["test"]], vocabulary)
    y_train, y_test = np.array([int(v) for v in train.labels]), np.array([int(v) for v in test.labels])
    grid = [0.01, 0.1, 1.0, 10.0]
    cv = {c: cross_val_score(LogisticRegression(C=c, solver="liblinear"), x_train, y_train, cv=5).mean() for c in grid}
    best = max(grid, key=lambda c: (cv[c], -c))
    model = LogisticRegression(C=best, solver="liblinear").fit(x_train, y_train)
    predicted = model.predict(x_test)
    weights = np.abs(model.coef_[0])
    f1s, auprcs = [], []
    for (tokens, word_index), marks in zip(tokenized["test"], test.rationales):
        if marks is None or not tokens:
            continue
        rationale = np.asarray(marks, dtype=bool)[np.asarray(word_index)]
        if not rationale.any():
            continue
        scores = np.array([weights[vocabulary[t]] if t in vocabulary else 0.0 for t in tokens])
        f1s.append(rationale_metrics.token_f1(scores, rationale, int(rationale.sum()))[2])
        auprcs.append(rationale_metrics.auprc(scores, rationale))
    return {"accuracy": float(np.mean(predicted == y_test)), "macro_f1": f1_score(y_test, predicted, average="macro"),
            "token_f1": float(np.mean(f1s)), "auprc": float(np.mean(auprcs)), "with_rationale": len(f1s),
            "vocabulary": len(vocabulary), "lengths": [len(tokens) for tokens, _ in tokenized["test"]], "cv": cv,
            "C": best}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    train, test = eraser_splits((200, 40) if args.smoke else None)
    result = bow_baseline(train, test)
    lines = [results_header("ERASER movie reviews: linear bag-of-words baseline", [0], [
        f"train {len(train)} / test {len(test)} documents; whole documents (test: mean "
        f"{np.mean(result['lengths']):.0f} surface tokens); vocabulary {result['vocabulary']:,} training tokens; "
        "binary unigram features",
        "LogisticRegression (L2, liblinear); C by 5-fold cross-validation on the training split: "
        + ", ".join(f"C={c:g}: {a * 100:.1f} %" for c, a in result["cv"].items()) + f"; chosen C = {result['C']:g}"]),
        "", "| model | test accuracy % | test macro-F1 % | token F1 % (absolute weight) | AUPRC % (absolute weight) |",
        "|---|---|---|---|---|",
        f"| bag of words + logistic regression | {result['accuracy'] * 100:.1f} | {result['macro_f1'] * 100:.1f} | "
        f"{result['token_f1'] * 100:.1f} | {result['auprc'] * 100:.1f} |", "",
        f"Plausibility over {result['with_rationale']} test documents with a rationale, every token of the document.",
        ""]
    write_results("eraser_bow_baseline" + ("_smoke" if args.smoke else "") + ".md", "\n".join(lines), args.out)
    print("\n".join(lines[-6:]))


if __name__ == "__main__":
    main()
