"""Reliance: predict each document without all its forbidden terms, and without each term alone, beside a
deletion control (as many other tokens removed at random, seeded by the document's id).

The report's headline (DESIGN.md): it measures the prediction, which a model cannot hide the way it can drive
gradient saliency to 0 on a word it still decides by. One extra ``probabilities`` call per batch: texts without
every forbidden term, plus, for documents holding two or more distinct terms, one text per term (a single-term
document's per-term result is the same), and the control's text per document.

Statistics (audit_engine.statistics): Wilson intervals on the flip fractions, Poisson-bootstrap intervals on the
mean drops and on the excess over the control, the exact McNemar test of the paired flips, and per term a
one-sided exact McNemar test (the term alone vs the control) with Holm's adjustment across terms.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from audit_engine.backends.base import Backend
from audit_engine.document import CorpusRow, Explanation
from audit_engine.evaluations.base import (
    AuditInputs,
    Batch,
    CompareMetric,
    CsvColumn,
    Evaluation,
    EvaluationOption,
    Gate,
    Record,
    Summary,
    fixed,
    interval_of,
)
from audit_engine.formatting import md, percent, span
from audit_engine.options import AuditOptions
from audit_engine.statistics import (
    DEFAULT_CONFIDENCE,
    MeanSketch,
    binomial_upper_tail,
    bootstrap_weights,
    fill,
    fill_estimate,
    holm,
    mcnemar_exact,
    wilson,
)
from saliency_core.hashing import key_seed
from saliency_core.lexicon import Lexicon, covered
from saliency_core.words import Words

# A flip is decisive when p(predicted) drops by more than this (README, "Reading a report", says why 0.1).
DEFAULT_FLIP_MARGIN = 0.1
# A term found in fewer documents cannot be concluded on: even none of them flipping leaves a 95 % Wilson
# interval reaching above 28 %.
MIN_TERM_DOCUMENTS = 10


CONTROL = "\x00control"  # the prepared entry of the deletion control's text (no term is named so)


def _predicted(probabilities: np.ndarray) -> int:
    return int(probabilities.argmax())


class Reliance(Evaluation):
    name = "reliance"
    needs_tokens = True
    headline = True
    csv_after = "confidence"
    csv_columns = (
        CsvColumn("reliance_measured", lambda r: int(r.reliance_measured)),
        CsvColumn("reliance_drop", lambda r: fixed(r.reliance_drop) if r.reliance_measured else ""),
        CsvColumn("reliance_flips", lambda r: int(r.reliance_flips) if r.reliance_measured else ""),
        CsvColumn("control_drop", lambda r: fixed(r.control_drop) if r.control_measured else ""),
        CsvColumn("control_flips", lambda r: int(r.control_flips) if r.control_measured else ""),
        CsvColumn(
            "term_reliance",
            lambda r: "; ".join(f"{t.term}:{t.drop:.6f}{':flips' if t.flips else ''}" for t in r.term_reliance),
        ),
    )
    gates = (
        Gate(
            "max_flip_fraction",
            "fraction of predictions that change without the forbidden words",
            "Gate: fail (exit 1) when more than this fraction of predictions (of documents with a forbidden word) "
            "changes without the forbidden words (0.02 = 2 %).",
            lambda s: s.reliance_flip_fraction,
            interval_of("reliance_flip_fraction_interval"),
            lambda s: s.reliance_documents,
        ),
        Gate(
            "max_mean_drop",
            "mean drop of p(predicted) without the forbidden words",
            "Gate: fail (exit 1) when the mean drop of p(predicted) without the forbidden words exceeds this "
            "(0.02 = 2 points of probability).",
            lambda s: s.mean_reliance_drop,
            interval_of("mean_reliance_drop_interval"),
            lambda s: s.reliance_documents,
            rate=False,
        ),
        Gate(
            "max_decisive_flip_fraction",
            "fraction of predictions that change decisively (p(predicted) drops by more than --flip-margin)",
            "Gate: fail (exit 1) when more than this fraction of predictions changes without the forbidden words "
            "with a drop of p(predicted) above --flip-margin.",
            lambda s: s.reliance_decisive_flip_fraction,
            interval_of("reliance_decisive_flip_fraction_interval"),
            lambda s: s.reliance_documents,
        ),
        Gate(
            "max_excess_flip_fraction",
            "excess of the flip fraction over the deletion control's",
            "Gate: fail (exit 1) when the flip fraction exceeds the deletion control's (as many other words "
            "removed) by more than this (0.02 = 2 points).",
            lambda s: s.excess_flip_fraction.value,
            interval_of("excess_flip_fraction"),
            lambda s: s.control_documents,
            rate=False,
        ),
    )
    options = (
        EvaluationOption(
            "control",
            "flag",
            True,
            "Beside reliance, remove as many other words (chosen at random, seeded by the document's id) and "
            "report that control's flips, and the excess of the forbidden words' over it.",
        ),
        EvaluationOption(
            "flip_margin",
            "fraction",
            DEFAULT_FLIP_MARGIN,
            "A flip is decisive when p(predicted) drops by more than this (0.1 = 10 points).",
        ),
    )
    compare_metrics = (
        CompareMetric(
            "flip_fraction",
            "predictions that change without the forbidden words",
            lambda s: s.reliance_flip_fraction,
            -1,
            lambda s: s.reliance_documents > 0,
            requires=("lexicon",),
            interval=interval_of("reliance_flip_fraction_interval"),
            per_record=lambda r: float(bool(r.get("reliance_flips"))) if r.get("reliance_measured") else None,
            binary=True,
        ),
        CompareMetric(
            "mean_drop",
            "mean drop of p(predicted) without them",
            lambda s: s.mean_reliance_drop,
            -1,
            lambda s: s.reliance_documents > 0,
            unit="points",
            requires=("lexicon",),
            interval=interval_of("mean_reliance_drop_interval"),
            per_record=lambda r: float(r.get("reliance_drop", 0.0)) if r.get("reliance_measured") else None,
        ),
    )

    @classmethod
    def create(cls, options: AuditOptions, inputs: AuditInputs) -> Reliance | None:
        if not options.reliance or inputs.lexicon is None:
            return None
        return cls(
            inputs.lexicon, cls.option(options, "control"), cls.option(options, "flip_margin"), options.confidence
        )

    def __init__(
        self,
        lexicon: Lexicon,
        control: bool = True,
        flip_margin: float = DEFAULT_FLIP_MARGIN,
        confidence: float = DEFAULT_CONFIDENCE,
    ):
        self.lexicon, self.control, self.flip_margin, self.confidence = lexicon, control, flip_margin, confidence
        self.documents = self.flipped = self.decisive = 0
        self.drop_sum = 0.0
        self.terms: dict[str, list] = {}  # term -> [documents, drop_sum, flipped, only_term, only_control]
        self.controls = self.control_flipped = self.only_forbidden = self.only_control = 0
        self.control_drop_sum = 0.0
        self.drops, self.control_drops = MeanSketch(), MeanSketch()
        self.excess_flips, self.excess_drops = MeanSketch(), MeanSketch()

    @staticmethod
    def _control_text(words: Words, matches: list[tuple[int, int, str]], document_id: str) -> str:
        """The document without as many tokens as its forbidden ``matches`` cover, chosen among its other tokens
        with a generator seeded by its id (all of them when there are fewer)."""
        hidden = covered(((start, end) for start, end, _ in matches), len(words.tokens))
        others = np.flatnonzero(~hidden)
        chosen = np.random.default_rng(key_seed(f"control:{document_id}")).permutation(others)[: int(hidden.sum())]
        removed = np.zeros(len(words.tokens), dtype=bool)
        removed[chosen] = True
        return words.without(removed)

    def prepare(self, backend: Backend, batch: Batch) -> dict[int, dict[str | None, Any]]:
        texts: list[str] = []
        # (document index, what was removed: None all terms, a term alone, or CONTROL; the document's terms)
        plan: list[tuple[int, str | None, list[str]]] = []
        assert batch.words is not None  # needs_tokens
        for n, words in enumerate(batch.words):
            matches = self.lexicon.matches(words.tokens)
            terms = sorted({term for _, _, term in matches})
            if not terms:
                continue
            length = len(words.tokens)
            texts.append(words.without(covered(((start, end) for start, end, _ in matches), length)))
            plan.append((n, None, terms))
            if len(terms) > 1:
                for term in terms:
                    texts.append(words.without(covered(((a, b) for a, b, t in matches if t == term), length)))
                    plan.append((n, term, terms))
            if self.control:
                texts.append(self._control_text(words, matches, batch.ids[n] if batch.ids else str(n)))
                plan.append((n, CONTROL, terms))
        if not texts:
            return {}
        probabilities = backend.probabilities(texts)
        prepared: dict[int, dict[str | None, Any]] = {}
        for (n, removed, terms), p in zip(plan, probabilities):
            entry = prepared.setdefault(n, {"terms": terms})
            entry[removed] = p
        return prepared

    def annotate(
        self,
        record: Record,
        prepared: dict[int, dict[str | None, Any]],
        index: int,
        document: CorpusRow,
        explanation: Explanation,
    ) -> None:
        entry = prepared.get(index)
        if entry is None:
            return
        original = np.asarray(explanation.probabilities)
        predicted = _predicted(original)

        def effect(p: np.ndarray) -> tuple[float, bool]:
            return float(original[predicted] - p[predicted]), _predicted(p) != predicted

        record.reliance_measured = True
        record.reliance_drop, record.reliance_flips = effect(entry[None])
        for term in entry["terms"]:
            drop, flips = effect(entry[term] if len(entry["terms"]) > 1 else entry[None])
            record.term_reliance.add(term=term, drop=drop, flips=flips)
        if CONTROL in entry:
            record.control_measured = True
            record.control_drop, record.control_flips = effect(entry[CONTROL])

    def add(self, record: Record) -> None:
        if not record.reliance_measured:
            return
        weights = bootstrap_weights(record.id)
        self.documents += 1
        self.drop_sum += record.reliance_drop
        self.flipped += record.reliance_flips
        self.decisive += record.reliance_flips and record.reliance_drop > self.flip_margin
        self.drops.add(weights, record.reliance_drop)
        if record.control_measured:
            self.controls += 1
            self.control_flipped += record.control_flips
            self.control_drop_sum += record.control_drop
            self.only_forbidden += record.reliance_flips and not record.control_flips
            self.only_control += record.control_flips and not record.reliance_flips
            self.control_drops.add(weights, record.control_drop)
            self.excess_flips.add(weights, int(record.reliance_flips) - int(record.control_flips))
            self.excess_drops.add(weights, record.reliance_drop - record.control_drop)
        for item in record.term_reliance:
            stats = self.terms.setdefault(item.term, [0, 0.0, 0, 0, 0])
            stats[0] += 1
            stats[1] += item.drop
            stats[2] += item.flips
            if record.control_measured:
                stats[3] += item.flips and not record.control_flips
                stats[4] += record.control_flips and not item.flips

    def merge(self, other: Reliance) -> None:
        for name in ("documents", "flipped", "decisive", "drop_sum", "controls", "control_flipped",
                     "control_drop_sum", "only_forbidden", "only_control"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("drops", "control_drops", "excess_flips", "excess_drops"):
            getattr(self, name).merge(getattr(other, name))
        for term, values in other.terms.items():
            stats = self.terms.setdefault(term, [0, 0.0, 0, 0, 0])
            for i, value in enumerate(values):
                stats[i] += value

    def summarise(self, summary: Summary) -> None:
        confidence = self.confidence
        summary.reliance_documents = self.documents
        summary.flip_margin = self.flip_margin
        if self.documents:
            summary.mean_reliance_drop = self.drop_sum / self.documents
            summary.reliance_flipped = self.flipped
            summary.reliance_flip_fraction = self.flipped / self.documents
            summary.reliance_decisive_flipped = self.decisive
            summary.reliance_decisive_flip_fraction = self.decisive / self.documents
            fill(summary.reliance_flip_fraction_interval, wilson(self.flipped, self.documents, confidence))
            fill(summary.reliance_decisive_flip_fraction_interval, wilson(self.decisive, self.documents, confidence))
            fill(summary.mean_reliance_drop_interval, self.drops.interval(confidence))
        if self.controls:
            summary.control_documents = self.controls
            summary.control_flipped = self.control_flipped
            fill_estimate(
                summary.control_flip_fraction,
                self.control_flipped / self.controls,
                wilson(self.control_flipped, self.controls, confidence),
                self.controls,
            )
            fill_estimate(
                summary.mean_control_drop,
                self.control_drop_sum / self.controls,
                self.control_drops.interval(confidence),
                self.controls,
            )
            fill_estimate(
                summary.excess_flip_fraction,
                (self.flipped - self.control_flipped) / self.controls,
                self.excess_flips.interval(confidence),
                self.controls,
            )
            fill_estimate(
                summary.excess_mean_drop,
                (self.drop_sum - self.control_drop_sum) / self.controls,
                self.excess_drops.interval(confidence),
                self.controls,
            )
            summary.excess_flip_p_value = mcnemar_exact(self.only_forbidden, self.only_control)
        ordered = sorted(self.terms.items(), key=lambda item: (-item[1][1] / item[1][0], item[0]))
        tested = [t for t, stats in ordered if stats[0] >= MIN_TERM_DOCUMENTS and self.controls]
        p_values = {t: binomial_upper_tail(self.terms[t][3], self.terms[t][3] + self.terms[t][4], 0.5) for t in tested}
        adjusted = dict(zip(tested, holm([p_values[t] for t in tested])))
        for term, (documents, drop_sum, flipped, _, _) in ordered:
            item = summary.term_reliance.add(
                term=term,
                documents=documents,
                mean_drop=drop_sum / documents,
                flipped=flipped,
                flip_fraction=flipped / documents,
            )
            fill(item.flip_fraction_interval, wilson(flipped, documents, confidence))
            if documents < MIN_TERM_DOCUMENTS:
                item.finding = "too few to conclude"
            elif term in adjusted:
                item.p_value, item.adjusted_p_value = p_values[term], adjusted[term]
                item.finding = "relies" if adjusted[term] < 1 - confidence else "no evidence"

    @classmethod
    def markdown(cls, summary: Summary) -> list[str]:
        if not cls.ran(summary):
            return ["", "Reliance: not measured (--no-reliance, or no --forbidden lexicon)."]
        if not summary.reliance_documents:
            return [
                "",
                "Reliance: no document holds a forbidden word, so removal changes nothing."
                if summary.with_forbidden_terms == 0
                else "Reliance: not measured (--no-reliance).",
            ]
        c = f"{(summary.confidence or DEFAULT_CONFIDENCE) * 100:g} % CI"
        lines = [
            "",
            f"| {summary.reliance_documents} documents with a forbidden word | predictions that change | {c} | "
            f"by more than {percent(summary.flip_margin)} points | mean drop of p(predicted) (points) | {c} |",
            "|---|---|---|---|---|---|",
            f"| without the forbidden words | {summary.reliance_flipped} "
            f"({summary.reliance_flip_fraction * 100:.1f} %) | "
            f"{span(summary.reliance_flip_fraction_interval)} | {summary.reliance_decisive_flipped} "
            f"({summary.reliance_decisive_flip_fraction * 100:.1f} %) | {percent(summary.mean_reliance_drop)} | "
            f"{span(summary.mean_reliance_drop_interval)} |",
        ]
        if summary.control_documents:
            flips, drop = summary.excess_flip_fraction, summary.excess_mean_drop
            lines += [
                f"| without as many other words (control) | {summary.control_flipped} "
                f"({summary.control_flip_fraction.value * 100:.1f} %) | "
                f"{span(summary.control_flip_fraction.interval)} | | {percent(summary.mean_control_drop.value)} | "
                f"{span(summary.mean_control_drop.interval)} |",
                f"| excess over the control | {flips.value * 100:+.1f} points (McNemar p = "
                f"{summary.excess_flip_p_value:.2g}) | {span(flips.interval, signed=True)} | | "
                f"{drop.value * 100:+.1f} | {span(drop.interval, signed=True)} |",
            ]
        tested = any(t.finding in ("relies", "no evidence") for t in summary.term_reliance)
        lines += [
            "",
            f"| term | documents | mean drop without the term (points) | predictions that change | {c} |"
            + (" p vs control (Holm) | finding |" if tested else " finding |"),
            "|---|---|---|---|---|---|" + ("---|" if tested else ""),
        ]
        for t in summary.term_reliance:
            test = f" {t.p_value:.2g} ({t.adjusted_p_value:.2g}) |" if t.finding in ("relies", "no evidence") else " |"
            lines.append(
                f"| {md(t.term)} | {t.documents} | {percent(t.mean_drop)} | {t.flipped} "
                f"({t.flip_fraction * 100:.1f} %) | {span(t.flip_fraction_interval)} |"
                + (test if tested else "")
                + f" {t.finding} |"
            )
        return lines
