"""The audit's evaluations: one module each behind ``Evaluation`` (base.py), and the one registry below.

Adding an evaluation: its module here, its entry in ``EVALUATIONS``, and its fields in protos/audit.proto. Its
records.csv columns, gates (and their command-line flags), compare metrics and report section come from its class.
"""

from __future__ import annotations

from audit_engine.evaluations.base import (
    AuditInputs,
    Batch,
    CompareMetric,
    CsvColumn,
    Evaluation,
    EvaluationOption,
    Gate,
)
from audit_engine.evaluations.bias import Bias
from audit_engine.evaluations.discovery import Discovery
from audit_engine.evaluations.rationale import Rationale
from audit_engine.evaluations.reliance import Reliance
from audit_engine.evaluations.substitution import Substitution
from audit_engine.options import AuditOptions

# Report order: the headline first.
EVALUATIONS: tuple[type[Evaluation], ...] = (Reliance, Discovery, Substitution, Rationale, Bias)


def build_evaluations(options: AuditOptions, inputs: AuditInputs, single_text: bool = False) -> list[Evaluation]:
    """The evaluations a run's options ask for, in report order; ``single_text``: only those one text supports."""
    created = (kind.create(options, inputs) for kind in EVALUATIONS if kind.single_text or not single_text)
    return [evaluation for evaluation in created if evaluation is not None]


def evaluation_gates() -> tuple[Gate, ...]:
    return tuple(gate for kind in EVALUATIONS for gate in kind.gates)


def evaluation_options() -> tuple[EvaluationOption, ...]:
    return tuple(option for kind in EVALUATIONS for option in kind.options)


def evaluation_compare_metrics() -> tuple[CompareMetric, ...]:
    return tuple(metric for kind in EVALUATIONS for metric in kind.compare_metrics)


def with_evaluation_columns(core: list[CsvColumn]) -> list[CsvColumn]:
    """records.csv's columns: the core's, each evaluation's inserted after the column it names."""
    columns = list(core)
    for kind in (kind for kind in EVALUATIONS if kind.csv_columns):
        at = next(i for i, column in enumerate(columns) if column.name == kind.csv_after) + 1
        columns[at:at] = kind.csv_columns
    return columns


__all__ = [
    "EVALUATIONS",
    "AuditInputs",
    "Batch",
    "Bias",
    "CompareMetric",
    "CsvColumn",
    "Discovery",
    "Evaluation",
    "EvaluationOption",
    "Gate",
    "Rationale",
    "Reliance",
    "Substitution",
    "build_evaluations",
    "evaluation_compare_metrics",
    "evaluation_gates",
    "evaluation_options",
    "with_evaluation_columns",
]
