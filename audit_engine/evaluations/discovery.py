"""Discovery: the words the model relies on that the lexicon does not list (README, "Words the lexicon may have
missed").

In a sample of documents chosen by their ids (``--discover-sample``), each distinct word among the explained
tokens (or each candidate of ``--discover-candidates`` the document holds) is removed alone, every occurrence of
it, and the drop of p(predicted) and whether the prediction changes are recorded, exactly as reliance measures a
forbidden term alone. Listed terms are measured the same way, so their median drop is the reference an unlisted
word is compared with. A document holding more than ``--discover-words`` candidates has that many measured,
chosen at random seeded by its id (the same in every runner and rerun).

Cost: one ``probabilities`` text per measured word of a sampled document, in calls of at most four batches'
texts. Memory: one small tally per distinct word measured (the corpus's measured vocabulary).

Statistics: per word, the Wilson interval of its flip fraction and Student's t interval of its mean drop
(statistics.MomentSketch: sums in fixed point, so that any merge order gives the same figures).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from audit_engine.backends.base import Backend
from audit_engine.document import CorpusRow, Explanation
from audit_engine.evaluations.base import (
    AuditInputs,
    Batch,
    CsvColumn,
    Evaluation,
    EvaluationOption,
    Record,
    Summary,
)
from audit_engine.formatting import count, md, percent, span
from audit_engine.options import AuditOptions
from audit_engine.statistics import DEFAULT_CONFIDENCE, MomentSketch, fill, wilson
from saliency_core.hashing import key_seed
from saliency_core.lexicon import Lexicon, covered
from saliency_core.words import Words

# The verdict's minimum support (reliance.MIN_TERM_DOCUMENTS): a word in fewer sampled documents is not ranked.
MIN_DOCUMENTS = 10
DEFAULT_SAMPLE = 0.25
DEFAULT_MAX_WORDS = 16
RANKED = 100  # words kept in summary.json's ranking
PER_CLASS = 20  # unlisted words kept per predicted class
SHOWN = 20  # rows of the report's tables
CALL_BATCHES = 4  # removal texts per model call: at most this many batches' worth
_WORD = re.compile(r"\w")
STRONG = "as strong as the listed terms"


def sampled(document_id: str, fraction: float) -> bool:
    """Whether discovery measures this document: a uniform draw fixed by its id below ``fraction``."""
    return fraction >= 1 or key_seed(f"discover:{document_id}") / 2**64 < fraction


class _Tally:
    """One word's drops (a MomentSketch) and flips."""

    __slots__ = ("drops", "flipped")

    def __init__(self) -> None:
        self.drops, self.flipped = MomentSketch(), 0

    def add(self, drop: float, flips: bool) -> None:
        self.drops.add(drop)
        self.flipped += flips

    def merge(self, other: _Tally) -> None:
        self.drops.merge(other.drops)
        self.flipped += other.flipped

    @property
    def documents(self) -> int:
        return self.drops.count

    def fill(self, item: Any, confidence: float) -> None:
        item.documents, item.mean_drop, item.flipped = self.documents, self.drops.mean, self.flipped
        item.flip_fraction = self.flipped / self.documents
        fill(item.flip_fraction_interval, wilson(self.flipped, self.documents, confidence))
        fill(item.mean_drop_interval, self.drops.interval(confidence))


class Discovery(Evaluation):
    name = "discovery"
    needs_tokens = True
    single_text = False
    beside_headline = True  # beside the forbidden terms' reliance, which it extends to unlisted words
    csv_after = "completeness_gap"  # the text stays the last column (--redact drops it)
    csv_columns = (
        CsvColumn(
            "word_reliance",
            lambda r: "; ".join(f"{t.term}:{t.drop:.6f}{':flips' if t.flips else ''}" for t in r.word_reliance),
        ),
    )
    options = (
        EvaluationOption(
            "discover",
            "flag",
            False,
            "Find the words the model relies on that the lexicon does not list: remove each word of a sample of "
            "documents alone and rank the words by the drop of p(predicted) (report: 'Words the lexicon may have "
            "missed').",
        ),
        EvaluationOption(
            "discover_sample",
            "fraction",
            DEFAULT_SAMPLE,
            "With --discover: the fraction of documents measured (chosen by their ids, the same in every run).",
        ),
        EvaluationOption(
            "discover_words",
            "count",
            DEFAULT_MAX_WORDS,
            "With --discover: the most words measured per sampled document (chosen at random, seeded by its id).",
        ),
    )

    @classmethod
    def create(cls, options: AuditOptions, inputs: AuditInputs) -> Discovery | None:
        if not cls.option(options, "discover"):
            return None
        return cls(
            inputs.lexicon,
            inputs.candidates,
            cls.option(options, "discover_sample"),
            cls.option(options, "discover_words"),
            options.confidence,
        )

    def __init__(
        self,
        lexicon: Lexicon | None,
        candidates: Lexicon | None = None,
        sample: float = DEFAULT_SAMPLE,
        max_words: int = DEFAULT_MAX_WORDS,
        confidence: float = DEFAULT_CONFIDENCE,
    ):
        self.lexicon, self.candidates, self.sample = lexicon, candidates, sample
        self.max_words, self.confidence = max_words, confidence
        self.listed = {" ".join(phrase) for phrase in lexicon.phrases} if lexicon else set()
        self.documents = 0
        self.words: dict[str, _Tally] = {}
        self.classes: dict[str, dict[str, _Tally]] = {}  # label -> word -> tally
        self.class_documents: dict[str, int] = {}

    def _removals(self, words: Words, width: int, document_id: str) -> list[tuple[str, np.ndarray]]:
        """The document's measured words and the tokens each one's removal hides (bool [tokens])."""
        tokens = words.tokens[:width]
        length = len(words.tokens)
        masks: dict[str, np.ndarray] = {}
        for lexicon in (self.lexicon, self.candidates):
            for start, end, term in lexicon.matches(tokens) if lexicon else ():
                mask = masks.setdefault(term, np.zeros(length, dtype=bool))
                mask |= covered([(start, end)], length)
        if self.candidates is None:
            everywhere = np.array(words.tokens, dtype=object)
            for token in set(tokens) - masks.keys():
                if _WORD.search(token):
                    masks[token] = everywhere == token
        names = sorted(masks)
        if len(names) > self.max_words:
            chosen = np.random.default_rng(key_seed(f"discover-words:{document_id}")).permutation(len(names))
            names = sorted(names[i] for i in chosen[: self.max_words])
        return [(name, masks[name]) for name in names]

    def prepare(self, backend: Backend, batch: Batch) -> dict[int, list[tuple[str, np.ndarray]]]:
        assert batch.words is not None  # needs_tokens
        texts: list[str] = []
        plan: list[tuple[int, str]] = []
        chosen: dict[int, list[tuple[str, np.ndarray]]] = {}
        for n, words in enumerate(batch.words):
            document_id = batch.ids[n] if batch.ids else str(n)
            if not sampled(document_id, self.sample):
                continue
            chosen[n] = []
            for name, mask in self._removals(words, batch.max_tokens, document_id):
                texts.append(words.without(mask))
                plan.append((n, name))
        call = CALL_BATCHES * max(len(batch.texts), 1)
        probabilities = [backend.probabilities(texts[at : at + call]) for at in range(0, len(texts), call)]
        for (n, name), p in zip(plan, (row for part in probabilities for row in part)):
            chosen[n].append((name, p))
        return chosen

    def annotate(
        self,
        record: Record,
        prepared: dict[int, list[tuple[str, np.ndarray]]],
        index: int,
        document: CorpusRow,
        explanation: Explanation,
    ) -> None:
        if index not in prepared:
            return
        original = np.asarray(explanation.probabilities)
        predicted = int(np.argmax(original))
        record.discovery_measured = True
        for name, p in prepared[index]:
            record.word_reliance.add(
                term=name, drop=float(original[predicted] - p[predicted]), flips=int(np.argmax(p)) != predicted
            )

    def add(self, record: Record) -> None:
        if not record.discovery_measured:
            return
        label = record.predicted_label
        self.documents += 1
        self.class_documents[label] = self.class_documents.get(label, 0) + 1
        in_class = self.classes.setdefault(label, {})
        for item in record.word_reliance:
            self.words.setdefault(item.term, _Tally()).add(item.drop, item.flips)
            in_class.setdefault(item.term, _Tally()).add(item.drop, item.flips)

    def merge(self, other: Discovery) -> None:
        self.documents += other.documents
        for label, documents in other.class_documents.items():
            self.class_documents[label] = self.class_documents.get(label, 0) + documents
        for mine, theirs in [(self.words, other.words)] + [
            (self.classes.setdefault(label, {}), words) for label, words in other.classes.items()
        ]:
            for word, tally in theirs.items():
                mine.setdefault(word, _Tally()).merge(tally)

    def _ranked(self, words: dict[str, _Tally], unlisted: bool) -> list[tuple[str, _Tally]]:
        supported = [(w, t) for w, t in words.items() if t.documents >= MIN_DOCUMENTS]
        supported = [(w, t) for w, t in supported if not (unlisted and w in self.listed)]
        return sorted(supported, key=lambda item: (-item[1].drops.mean, item[0]))

    def summarise(self, summary: Summary) -> None:
        summary.discovery_sample, summary.discovery_max_words = self.sample, self.max_words
        summary.discovery_candidates = len(self.candidates.phrases) if self.candidates else 0
        summary.discovery_documents, summary.discovery_words = self.documents, len(self.words)
        summary.discovery_min_documents = MIN_DOCUMENTS
        ranked = self._ranked(self.words, unlisted=False)
        summary.discovery_supported_words = len(ranked)
        listed = [t.drops.mean for w, t in ranked if w in self.listed]
        reference = float(np.median(listed)) if listed else None
        summary.discovery_reference_terms = len(listed)
        if reference is not None:
            summary.discovery_reference_drop = reference

        def add(items: Any, word: str, tally: _Tally) -> None:
            item = items.add(word=word, listed=word in self.listed)
            tally.fill(item, self.confidence)
            if item.listed:
                item.finding = "listed"
            elif reference is not None:
                strong = item.mean_drop >= reference and item.mean_drop_interval.low > 0
                item.finding = STRONG if strong else "weaker"

        for word, tally in ranked[:RANKED]:
            add(summary.discovered_words, word, tally)
        for label in sorted(self.classes):
            entry = summary.discovery_classes.add(label=label, documents=self.class_documents[label])
            for word, tally in self._ranked(self.classes[label], unlisted=True)[:PER_CLASS]:
                add(entry.words, word, tally)

    @classmethod
    def sentence(cls, summary: Summary) -> str:
        """One line for the terminal: the unlisted words that reach the listed terms' reliance (else the top)."""
        strong = [w for w in summary.discovered_words if w.finding == STRONG]
        unlisted = strong or [w for w in summary.discovered_words if not w.listed]
        shown = ", ".join(f"{w.word} {percent(w.mean_drop)} points ({w.documents} documents)" for w in unlisted[:5])
        ranked = (
            f"{summary.discovery_supported_words} words ranked over {summary.discovery_documents} sampled documents"
        )
        if summary.HasField("discovery_reference_drop"):
            return (
                f"{ranked}; unlisted words that reach the listed terms' median drop "
                f"({percent(summary.discovery_reference_drop)} points): "
                + (shown if strong else "none")
                + (f" and {len(strong) - 5} more" if len(strong) > 5 else "")
            )
        return f"{ranked}; most relied on: {shown or 'none'}"

    @classmethod
    def markdown(cls, summary: Summary) -> list[str]:
        if not cls.ran(summary):
            return []
        c = f"{(summary.confidence or DEFAULT_CONFIDENCE) * 100:g} % CI"
        measured = (
            f"Each of the {count(summary.discovery_candidates, 'candidate')} given (--discover-candidates) and each "
            "listed term"
            if summary.discovery_candidates
            else "Each word"
        )
        lines = [
            "",
            "## Words the lexicon may have missed",
            "",
            f"{measured} in {summary.discovery_documents} sampled documents ({percent(summary.discovery_sample)} % "
            f"of the corpus, at most {summary.discovery_max_words} words each) was removed alone. "
            f"{summary.discovery_supported_words} of {summary.discovery_words} words occur in at least "
            f"{summary.discovery_min_documents} of them and are ranked.",
        ]
        if summary.HasField("discovery_reference_drop"):
            strong = [w for w in summary.discovered_words if w.finding == STRONG]
            named = ", ".join(md(w.word) for w in strong[:SHOWN]) + (" and more" if len(strong) > SHOWN else "")
            lines += [
                "",
                f"The listed terms' median drop of p(predicted) is {percent(summary.discovery_reference_drop)} "
                f"points ({count(summary.discovery_reference_terms, 'listed term')} with enough documents). "
                f"Unlisted words that reach it (mean drop at least that, interval above 0): {named or 'none'}.",
            ]
        else:
            lines += ["", "No listed term occurs in enough sampled documents to compare with: the ranking alone."]
        rows = list(summary.discovered_words)[:SHOWN]
        if rows:
            lines += [
                "",
                "| word | documents | mean drop (points) | " + c + " | predictions that change | finding |",
                "|---|---|---|---|---|---|",
            ]
            lines += [
                f"| {md(w.word)} | {w.documents} | {percent(w.mean_drop)} | "
                f"{span(w.mean_drop_interval)} | {w.flipped} ({w.flip_fraction * 100:.1f} %) | {w.finding} |"
                for w in rows
            ]
        for entry in summary.discovery_classes:
            if entry.words:
                shown = ", ".join(
                    f"{md(w.word)} {percent(w.mean_drop)} ({w.documents})" for w in list(entry.words)[:10]
                )
                lines += ["", f"Predicted {md(entry.label)} ({entry.documents} documents), unlisted words by mean "
                          f"drop in points (documents): {shown}."]  # fmt: skip
        return lines
