"""The interface every evaluation implements, and what an evaluation declares about itself.

Life of an evaluation in one run:
- ``create(options, inputs)`` returns one when the run's options ask for it (else None);
- ``prepare(backend, batch)`` runs in the worker thread that called the model, once per batch, and may call the
  model again (reliance and substitution send counterfactual texts to ``probabilities``);
- ``annotate(record, prepared, index, document, explanation)`` writes per-record fields;
- ``add(record)`` accumulates from the record alone, so that ``--resume`` can replay committed records, and
  ``merge(other)`` adds another accumulator (the Beam pipeline's combiner);
- ``summarise(summary)`` fills AuditSummary fields; ``markdown(summary)`` renders its report section.

Declared on the class, so that nothing else lists them: its records.csv columns (``csv_columns``, placed after
the core column ``csv_after``), its gates, the metrics ``compare`` reads, whether it is the report's headline, and
whether one text (``audit-cli explain``) is enough for it.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar, Self

from audit_engine.backends.base import Backend, Explained
from audit_engine.document import CorpusRow, Explanation
from audit_engine.options import AuditOptions
from protos import audit_pb2
from saliency_core.lexicon import Lexicon
from saliency_core.substitutions import SubstitutionGroups
from saliency_core.words import Words

Record = audit_pb2.AuditRecord
Summary = audit_pb2.AuditSummary


@dataclasses.dataclass(frozen=True)
class Batch:
    """What every evaluation may need about one batch of scored texts (rows without text are left out)."""

    texts: list[str]  # [B]
    words: list[Words] | None  # B texts as words and tokens (every surface token, not truncated to T); None if
    # no evaluation asked
    explained: Explained
    max_tokens: int  # the widest per-token row
    ids: list[str] = dataclasses.field(default_factory=list)  # [B] the documents' ids (seeds per document)


@dataclasses.dataclass(frozen=True)
class AuditInputs:
    """The files an audit reads besides the corpus."""

    lexicon: Lexicon | None = None
    substitutions: SubstitutionGroups | None = None
    candidates: Lexicon | None = None  # discovery's candidate words (else every word of the corpus)


@dataclasses.dataclass(frozen=True)
class CsvColumn:
    name: str
    cell: Callable[[Record], object]


def interval_of(name: str) -> Callable[[Summary], Any]:
    """A reader of the summary's Interval field ``name`` (or of an Estimate's interval): None when it is unset."""

    def read(summary: Summary) -> Any:
        if not summary.HasField(name):
            return None
        field = getattr(summary, name)
        return field.interval if isinstance(field, audit_pb2.Estimate) else field

    return read


@dataclasses.dataclass(frozen=True)
class Gate:
    """A limit on one summary figure: the audit fails (exit 1) when the figure exceeds it."""

    name: str  # also the option's name: --max-flip-fraction is 'max_flip_fraction'
    description: str  # what is observed, for the report: '... must be <= LIMIT'
    help: str  # the option's help text
    observe: Callable[[Summary], float]
    interval: Callable[[Summary], Any] | None = None  # the figure's Interval field (None: judged on the value)
    documents: Callable[[Summary], int] | None = None  # the documents the figure rests on
    rate: bool = True  # a fraction of documents (Wilson); else a mean (bootstrap)

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclasses.dataclass(frozen=True)
class EvaluationOption:
    """An option of one evaluation: the command lines declare it from here (``--NAME``, with dashes; a flag is
    ``--NAME/--no-NAME``) and the value reaches the evaluation in ``AuditOptions.evaluation_options``."""

    name: str  # the option's name: 'flip_margin' is --flip-margin
    kind: str  # 'flag' (on/off), 'fraction' (a number in [0, 1]), 'count' (a whole number >= 1) or 'text'
    default: Any
    help: str

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclasses.dataclass(frozen=True)
class CompareMetric:
    """A summary figure ``compare`` puts side by side."""

    name: str  # as --max-increase NAME=AMOUNT names it
    label: str
    read: Callable[[Summary], float]
    better: int  # -1: lower is better, +1: higher is better, 0: neither (the change is shown, not judged)
    measured: Callable[[Summary], bool]  # whether this audit measured it
    unit: str = "%"  # how the figure reads: '%' of documents, or 'points' of probability
    # Settings (compare.SETTINGS) both audits must share for the figure to be compared (gates on it fail otherwise).
    requires: tuple[str, ...] = ()
    interval: Callable[[Summary], Any] | None = None  # the figure's Interval (interval_of), for the change's interval
    # A record's value (from its JSON object; None: not measured on it), for a paired comparison on one corpus.
    per_record: Callable[[dict[str, Any]], float | None] | None = None
    binary: bool = False  # the per-record value is an outcome (0 or 1): a paired change gets the McNemar test


class Evaluation(abc.ABC):
    """One evaluation of the audit (module docstring)."""

    name: ClassVar[str]
    needs_tokens: ClassVar[bool] = False  # prepare reads Batch.words
    headline: ClassVar[bool] = False  # the report leads with it
    beside_headline: ClassVar[bool] = False  # its section follows the headline's, before the saliency views
    single_text: ClassVar[bool] = True  # meaningful for one text (audit-cli explain)
    csv_after: ClassVar[str] = ""
    csv_columns: ClassVar[tuple[CsvColumn, ...]] = ()
    gates: ClassVar[tuple[Gate, ...]] = ()
    compare_metrics: ClassVar[tuple[CompareMetric, ...]] = ()
    options: ClassVar[tuple[EvaluationOption, ...]] = ()  # its own command-line options

    @classmethod
    def option(cls, options: AuditOptions, name: str) -> Any:
        """The value of this evaluation's option ``name`` in ``options`` (its declared default when not given)."""
        declared = {option.name: option.default for option in cls.options}
        return dict(options.evaluation_options).get(name, declared[name])

    @classmethod
    @abc.abstractmethod
    def create(cls, options: AuditOptions, inputs: AuditInputs) -> Evaluation | None:
        """An accumulator when ``options`` ask for this evaluation, else None."""

    def prepare(self, backend: Backend, batch: Batch) -> Any:
        return None

    def annotate(
        self, record: Record, prepared: Any, index: int, document: CorpusRow, explanation: Explanation
    ) -> None:
        pass

    def add(self, record: Record) -> None:
        pass

    def merge(self, other: Self) -> None:
        """Add another accumulator's state (the Beam pipeline's combiner merges per-worker summaries)."""
        raise NotImplementedError(f"{type(self).__name__} cannot merge")

    def summarise(self, summary: Summary) -> None:
        pass

    @staticmethod
    def markdown(summary: Summary) -> list[str]:
        """Report lines (Markdown) for this evaluation's summary fields."""
        return []

    @classmethod
    def ran(cls, summary: Summary) -> bool:
        """Whether this evaluation ran in the audit ``summary`` describes (summaries of record schema version 1 do
        not say: then it counts as run, as those reports showed every section)."""
        return cls.name in summary.evaluations or not summary.record_schema_version


def fixed(value: float) -> str:
    """A CSV cell for a figure: six decimals."""
    return f"{value:.6f}"
