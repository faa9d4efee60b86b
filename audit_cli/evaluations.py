"""The audit's evaluations behind one interface: prepare a batch -> annotate each record -> accumulate ->
summarise -> render.

- ``prepare(backend, batch)`` runs in the worker thread that called the model, once per batch, and may call
  the model again (the reliance and substitution checks send counterfactual texts to ``predict``);
- ``annotate(record, prepared, index, document, explanation)`` writes per-record fields;
- ``add(record)`` accumulates from the record alone, so that ``--resume`` can replay committed records;
- ``summarise(summary)`` fills AuditSummary fields; ``markdown(summary)`` renders its report section.

Reliance comes first (DESIGN.md): it measures the prediction, which a model cannot hide the way it can drive
gradient saliency to 0 on a word it still decides by.
"""

import array
import dataclasses

import numpy as np

from audit_cli.summary import percent


@dataclasses.dataclass
class Batch:
    """What every evaluation may need about one batch of scored texts (rows without text are left out)."""
    texts: list  # str [B]
    tokens: list  # B lists of every surface token (not truncated to T)
    outputs: dict  # the attribution signature's outputs {alias: array [B, ...]}
    max_tokens: int


class Evaluation:
    needs_tokens = False

    def prepare(self, backend, batch):
        return None

    def annotate(self, record, prepared, index, document, explanation):
        pass

    def add(self, record):
        pass

    def merge(self, other):
        """Add another accumulator's state (the Beam pipeline's combiner merges per-worker summaries)."""
        raise NotImplementedError(f"{type(self).__name__} cannot merge")

    def summarise(self, summary):
        pass

    @staticmethod
    def markdown(summary):
        """Report lines (Markdown) for this evaluation's summary fields."""
        return []


def _predicted(probabilities):
    return int(np.argmax(probabilities))


class Reliance(Evaluation):
    """Occlusion: predict each document without all its forbidden terms, and without each term alone.

    One extra ``predict`` call per batch: texts without every forbidden term, plus, for documents holding
    two or more distinct terms, one text per term (a single-term document's per-term result is the same).
    """
    needs_tokens = True

    def __init__(self, lexicon):
        self.lexicon = lexicon
        self.documents = self.flipped = 0
        self.drop_sum = 0.0
        self.terms = {}  # term -> [documents, drop_sum, flipped]

    def prepare(self, backend, batch):
        texts, plan = [], []  # plan: (document index, term or None for "all terms")
        for n, tokens in enumerate(batch.tokens):
            terms = sorted({term for _, _, term in self.lexicon.matches(tokens)})
            if not terms:
                continue
            texts.append(" ".join(self.lexicon.without(tokens)))
            plan.append((n, None, terms))
            if len(terms) > 1:
                for term in terms:
                    texts.append(" ".join(self.lexicon.without(tokens, term)))
                    plan.append((n, term, terms))
        if not texts:
            return {}
        probabilities = backend.probabilities(texts)
        prepared = {}
        for (n, term, terms), p in zip(plan, probabilities):
            entry = prepared.setdefault(n, {"terms": terms})
            entry[term] = p
        return prepared

    def annotate(self, record, prepared, index, document, explanation):
        entry = prepared.get(index)
        if entry is None:
            return
        original = np.asarray(explanation.probabilities)
        predicted = _predicted(original)

        def effect(p):
            return float(original[predicted] - p[predicted]), _predicted(p) != predicted

        record.occluded = True
        record.occlusion_drop, record.occlusion_flips = effect(entry[None])
        for term in entry["terms"]:
            drop, flips = effect(entry[term] if len(entry["terms"]) > 1 else entry[None])
            record.term_reliance.add(term=term, drop=drop, flips=flips)

    def add(self, record):
        if not record.occluded:
            return
        self.documents += 1
        self.drop_sum += record.occlusion_drop
        self.flipped += record.occlusion_flips
        for item in record.term_reliance:
            stats = self.terms.setdefault(item.term, [0, 0.0, 0])
            stats[0] += 1
            stats[1] += item.drop
            stats[2] += item.flips

    def merge(self, other):
        self.documents += other.documents
        self.flipped += other.flipped
        self.drop_sum += other.drop_sum
        for term, (documents, drop_sum, flipped) in other.terms.items():
            stats = self.terms.setdefault(term, [0, 0.0, 0])
            stats[0] += documents
            stats[1] += drop_sum
            stats[2] += flipped

    def summarise(self, summary):
        summary.occlusion_documents = self.documents
        if self.documents:
            summary.mean_occlusion_drop = self.drop_sum / self.documents
            summary.occlusion_flipped = self.flipped
            summary.occlusion_flip_fraction = self.flipped / self.documents
        for term, (documents, drop_sum, flipped) in sorted(
                self.terms.items(), key=lambda item: (-item[1][1] / item[1][0], item[0])):
            summary.term_reliance.add(term=term, documents=documents, mean_drop=drop_sum / documents,
                                      flipped=flipped, flip_fraction=flipped / documents)

    @staticmethod
    def markdown(summary):
        if not summary.occlusion_documents:
            return ["", "Reliance: no document holds a forbidden word, so removal changes nothing."
                    if summary.with_forbidden_terms == 0 else "Reliance: not measured (--no-occlusion)."]
        lines = ["", "| documents with a forbidden word | predictions that change without them | "
                     "mean drop of p(predicted) |", "|---|---|---|",
                 f"| {summary.occlusion_documents} | {summary.occlusion_flipped} "
                 f"({summary.occlusion_flip_fraction * 100:.1f} %) | {percent(summary.mean_occlusion_drop)} points |",
                 "", "| term | documents | mean drop without the term (points) | predictions that change |",
                 "|---|---|---|---|"]
        lines += [f"| {t.term} | {t.documents} | {percent(t.mean_drop)} | {t.flipped} ({t.flip_fraction * 100:.1f} %) |"
                  for t in summary.term_reliance]
        return lines


class Substitution(Evaluation):
    """Counterfactual token fairness (Garg et al. 2019): replace each group term by each of its substitutes."""
    needs_tokens = True

    def __init__(self, groups):
        self.groups = groups
        self.documents = self.flipped = 0
        self.mean_sum = self.max_sum = 0.0

    def prepare(self, backend, batch):
        texts, owners = [], []
        for n, tokens in enumerate(batch.tokens):
            for _, _, replaced in self.groups.variants(tokens):
                texts.append(" ".join(replaced))
                owners.append(n)
        if not texts:
            return {}
        probabilities = backend.probabilities(texts)
        prepared = {}
        for n, p in zip(owners, probabilities):
            prepared.setdefault(n, []).append(p)
        return prepared

    def annotate(self, record, prepared, index, document, explanation):
        variants = prepared.get(index)
        if not variants:
            return
        original = np.asarray(explanation.probabilities)
        predicted = _predicted(original)
        variants = np.asarray(variants)
        gaps = np.abs(original[predicted] - variants[:, predicted])
        record.substituted = True
        record.substitution_variants = len(variants)
        record.substitution_gap_mean = float(gaps.mean())
        record.substitution_gap_max = float(gaps.max())
        record.substitution_flips = bool(np.any(variants.argmax(-1) != predicted))

    def add(self, record):
        if record.substituted:
            self.documents += 1
            self.mean_sum += record.substitution_gap_mean
            self.max_sum += record.substitution_gap_max
            self.flipped += record.substitution_flips

    def merge(self, other):
        self.documents += other.documents
        self.mean_sum += other.mean_sum
        self.max_sum += other.max_sum
        self.flipped += other.flipped

    def summarise(self, summary):
        summary.substitution_documents = self.documents
        if self.documents:
            summary.mean_substitution_gap = self.mean_sum / self.documents
            summary.mean_max_substitution_gap = self.max_sum / self.documents
            summary.substitution_flipped = self.flipped

    @staticmethod
    def markdown(summary):
        if not summary.substitution_documents:
            return ["", "Substitution: no document holds a term of the substitution groups."]
        return ["", f"Substitution ({summary.substitution_documents} documents with a group term): replacing a "
                    f"term by a substitute moves p(predicted label) by {summary.mean_substitution_gap * 100:.1f} "
                    f"points on average (mean of each document's largest move: "
                    f"{summary.mean_max_substitution_gap * 100:.1f} points) and changes the prediction of "
                    f"{summary.substitution_flipped} documents."]


class Rationale(Evaluation):
    """Agreement of the saliency with a human rationale (ERASER token F1 and AUPRC)."""

    def prepare(self, backend, batch):
        """The word index of each of the model's tokens, int [B, T], -1 on padding (the Python twin of the
        graph's tokenizer, so the light client needs no TensorFlow)."""
        from saliency_core.text import surface_tokens_with_word_index
        word_index = np.full((len(batch.texts), batch.max_tokens), -1, dtype=np.int32)
        for row, text in enumerate(batch.texts):
            positions = surface_tokens_with_word_index(text)[1][:batch.max_tokens]
            word_index[row, :len(positions)] = positions
        return word_index

    def __init__(self):
        self.documents = 0
        self.f1_sum = self.auprc_sum = 0.0

    def annotate(self, record, word_index, index, document, explanation):
        from audit_cli import rationale_metrics
        if document.rationale is None:
            return
        explained = record.explained_tokens
        rationale = document.rationale[word_index[index][:explained]].astype(bool)
        saliency = np.asarray(explanation.saliency[:explained])
        if rationale.any():
            record.has_rationale = True
            record.rationale_token_f1 = rationale_metrics.token_f1(saliency, rationale, int(rationale.sum()))[2]
            record.rationale_auprc = rationale_metrics.auprc(saliency, rationale)

    def add(self, record):
        if record.has_rationale:
            self.documents += 1
            self.f1_sum += record.rationale_token_f1
            self.auprc_sum += record.rationale_auprc

    def merge(self, other):
        self.documents += other.documents
        self.f1_sum += other.f1_sum
        self.auprc_sum += other.auprc_sum

    def summarise(self, summary):
        if self.documents:
            summary.rationale_documents = self.documents
            summary.mean_rationale_token_f1 = self.f1_sum / self.documents
            summary.mean_rationale_auprc = self.auprc_sum / self.documents

    @staticmethod
    def markdown(summary):
        if not summary.rationale_documents and not summary.rationale_missing_documents:
            return []
        return ["", f"Human rationale ({summary.rationale_documents} documents with rationale tokens in the explained "
                    f"part; {summary.rationale_missing_documents} documents had no rationale): mean token F1 "
                    f"{summary.mean_rationale_token_f1 * 100:.1f} %, mean AUPRC "
                    f"{summary.mean_rationale_auprc * 100:.1f} %."]


class Bias(Evaluation):
    """Per-term bias AUCs on the binary task of --toxic-classes (needs --label-column)."""

    def __init__(self, toxic_classes):
        self.toxic_classes = tuple(toxic_classes)
        # Every scored, labelled document: 5 bytes each plus 8 per term match.
        self.scores = array.array("f")
        self.labels = array.array("b")
        self.term_rows = {}

    def add(self, record):
        if not record.true_label or not record.predicted_label:
            return
        for term in {hit.term for hit in record.forbidden_terms}:
            self.term_rows.setdefault(term, array.array("q")).append(len(self.scores))
        self.scores.append(sum(record.probabilities[c] for c in self.toxic_classes))
        # Labels are model classes, or "positive" / "negative" after a binary --label-map.
        self.labels.append(record.true_label in self.toxic_classes or record.true_label == "positive")

    def merge(self, other):
        """Append another accumulator's documents. Exact AUCs and the pinned AUC's background draws need every
        labelled document's score in one place: the Beam combiner holds them too (5 bytes per document and 8 per
        term match), the one summary part that is not a fixed-size sketch."""
        offset = len(self.scores)
        self.scores.extend(other.scores)
        self.labels.extend(other.labels)
        for term, rows in other.term_rows.items():
            shifted = np.frombuffer(rows, dtype=np.int64) + offset
            self.term_rows.setdefault(term, array.array("q")).frombytes(shifted.tobytes())

    def summarise(self, summary):
        if not len(self.scores):
            return
        from audit_cli import bias_metrics
        labels = np.frombuffer(self.labels, dtype=np.int8).astype(bool)
        scores = np.frombuffer(self.scores, dtype=np.float32).astype(np.float64)
        subgroups = {}
        for term, rows in self.term_rows.items():
            mask = np.zeros(len(scores), bool)
            mask[np.frombuffer(rows, dtype=np.int64)] = True
            subgroups[term] = mask
        # The pinned AUC draws background documents by position: put the documents in an order that does not
        # depend on the order they arrived in (Beam merges files in any order), so that the same corpus gives
        # the same figures whichever runner audits it, however it is split into files.
        order = np.lexsort([*(subgroups[term] for term in sorted(subgroups, reverse=True)), labels, scores])
        labels, scores = labels[order], scores[order]
        subgroups = {term: mask[order] for term, mask in subgroups.items()}
        rows, difference, spread = bias_metrics.bias_table(labels, scores, subgroups)
        summary.toxic_classes[:] = list(self.toxic_classes)
        summary.toxic_auc = bias_metrics.auc(labels, scores)
        summary.pinned_auc_equality_difference = difference
        summary.pinned_auc_equality_difference_sd = spread
        summary.pinned_auc_draws = bias_metrics.PINNED_DRAWS
        for term, documents, subgroup, bpsn, bnsp, pinned in rows:
            summary.term_bias.add(term=term, documents=documents, subgroup_auc=subgroup, bpsn_auc=bpsn,
                                  bnsp_auc=bnsp, pinned_auc=pinned)

    @staticmethod
    def markdown(summary):
        if not summary.term_bias:
            return []
        lines = ["", f"## Bias metrics (toxic = {', '.join(summary.toxic_classes)}; overall AUC "
                     f"{percent(summary.toxic_auc)} %; pinned AUC equality difference "
                     f"{summary.pinned_auc_equality_difference:.3f} ± {summary.pinned_auc_equality_difference_sd:.3f} "
                     f"over {summary.pinned_auc_draws} background draws)", "",
                 "| term | documents | subgroup AUC % | BPSN AUC % | BNSP AUC % | pinned AUC % |",
                 "|---|---|---|---|---|---|"]
        lines += [f"| {b.term} | {b.documents} | {percent(b.subgroup_auc)} | {percent(b.bpsn_auc)} | "
                  f"{percent(b.bnsp_auc)} | {percent(b.pinned_auc)} |" for b in summary.term_bias]
        return lines


# Report order after the reliance headline.
SECONDARY_SECTIONS = (Substitution, Rationale, Bias)


def build_evaluations(options, lexicon, substitutions=None):
    """The evaluations a run's options ask for, in report order (reliance first)."""
    evaluations = []
    if options.occlusion and lexicon is not None:
        evaluations.append(Reliance(lexicon))
    if substitutions is not None:
        evaluations.append(Substitution(substitutions))
    if options.rationale_column:
        evaluations.append(Rationale())
    if options.toxic_classes:
        evaluations.append(Bias(options.toxic_classes))
    return evaluations
