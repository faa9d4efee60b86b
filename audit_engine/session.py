"""One way to open an audit: the model's facts checked against the options, the (windowed) backend, the record
settings and the evaluations, for audit-cli's run, ``audit-cli explain`` and the Beam workers alike; and how a
finished run's summary is completed."""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from audit_engine import outputs
from audit_engine.backends.base import Backend
from audit_engine.backends.windowed import windowed
from audit_engine.document import RecordSettings
from audit_engine.evaluations import AuditInputs, Evaluation, build_evaluations
from audit_engine.formatting import utc_now
from audit_engine.options import PREDICT_ONLY_ATTRIBUTIONS, AuditOptions, label_space
from audit_engine.summary import apply_gates
from protos import audit_pb2
from saliency_core.errors import InputError
from saliency_core.lexicon import Lexicon


@dataclasses.dataclass(frozen=True)
class ModelFacts:
    """What the audit takes from the model's metadata, checked against the options."""

    metadata: dict[str, Any]
    name: str
    version: int
    class_names: list[str]
    max_tokens: int
    label_space: str
    out_of_vocabulary_terms: list[str]

    @classmethod
    def of(cls, backend: Backend, lexicon: Lexicon | None, options: AuditOptions) -> ModelFacts:
        metadata = backend.metadata()
        version = int(backend.loaded_version or metadata.get("version", 0))
        class_names = metadata["class_names"]
        unknown = [c for c in options.toxic_classes if c not in class_names]
        if unknown:
            raise InputError(f"--toxic-classes {unknown} are not classes of the model {class_names}")
        vocabulary = set(metadata.get("vocabulary") or ())
        out_of_vocabulary = (
            [" ".join(p) for p in lexicon.phrases if any(t not in vocabulary for t in p)]
            if vocabulary and lexicon is not None
            else []
        )
        return cls(
            metadata,
            metadata.get("model_name", ""),
            version,
            class_names,
            int(metadata.get("max_tokens", 0)),
            label_space(options.label_map, class_names),
            out_of_vocabulary,
        )

    def record_settings(self, lexicon: Lexicon | None, options: AuditOptions) -> RecordSettings:
        return RecordSettings(self.class_names, lexicon, options.threshold, options.top_k, options.redact)


@dataclasses.dataclass
class AuditSession:
    """An opened audit: everything that turns batches of rows into records.

    ``backend`` is windowed when the model and the options allow it (``window_stride`` > 0), else the backend
    given. ``single_text``: only the evaluations that one text supports (``audit-cli explain``)."""

    backend: Backend
    model: ModelFacts
    settings: RecordSettings
    evaluations: list[Evaluation]
    window_stride: int
    options: AuditOptions
    inputs: AuditInputs

    @classmethod
    def open(
        cls,
        backend: Backend,
        options: AuditOptions,
        inputs: AuditInputs,
        model: ModelFacts | None = None,
        single_text: bool = False,
    ) -> AuditSession:
        """``model``: facts already read (a Beam worker gets them from the launcher). A backend that attributes
        through probabilities alone (occlusion, none) names the attribution the summary reports, and is not
        windowed (occlusion works on the document's own words)."""
        predict_only = backend.signature in PREDICT_ONLY_ATTRIBUTIONS
        if predict_only:
            options = dataclasses.replace(options, attribution=backend.signature)
        model = model or ModelFacts.of(backend, inputs.lexicon, options)
        wrapped, stride = (backend, 0) if predict_only else windowed(backend, options.window_config, model.metadata)
        return cls(
            wrapped,
            model,
            model.record_settings(inputs.lexicon, options),
            build_evaluations(options, inputs, single_text),
            stride,
            options,
            inputs,
        )

    def close(self) -> None:
        self.backend.close()


@dataclasses.dataclass
class RunFacts:
    """Where a run's records came from, for the summary's descriptive fields."""

    model_name: str
    model_version: int
    signature: str
    backend: str
    input_path: str
    input_sha256: str
    started_at: str
    seconds: float
    window_stride: int = 0  # 0: windows off (backends.windowed.windowed says why)


def finish_summary(
    summary: audit_pb2.AuditSummary,
    facts: RunFacts,
    model: ModelFacts,
    lexicon: Lexicon | None,
    options: AuditOptions,
    gate_limits: dict[str, float | None],
) -> bool:
    """Complete an AuditSummary whose counts a SummaryBuilder filled in: the run's descriptions, the gates;
    returns whether every gate passed. audit-cli and the Beam pipeline both end here."""
    summary.complete = True
    summary.record_schema_version = outputs.RECORD_SCHEMA_VERSION
    summary.model_name = facts.model_name
    summary.model_version = facts.model_version
    summary.signature_name = facts.signature
    summary.backend = facts.backend
    summary.input_path = facts.input_path
    summary.input_sha256 = facts.input_sha256
    if lexicon is not None:
        summary.lexicon_path = os.path.abspath(lexicon.source) if lexicon.source else ""
        summary.lexicon_sha256 = lexicon.sha256
        summary.lexicon_terms = len(lexicon.phrases)
    summary.threshold = options.threshold
    summary.started_at, summary.finished_at = facts.started_at, utc_now()
    summary.seconds = facts.seconds
    summary.documents_per_second = summary.scored / facts.seconds if facts.seconds > 0 else 0.0
    # The vocabulary is for the coverage check; it would swell every summary.json.
    summary.model_metadata_json = json.dumps(
        {k: v for k, v in model.metadata.items() if k != "vocabulary"}, sort_keys=True
    )
    summary.out_of_vocabulary_terms[:] = model.out_of_vocabulary_terms
    summary.label_space = model.label_space
    summary.redacted = options.redact
    summary.max_tokens = model.max_tokens
    summary.window_stride = facts.window_stride
    summary.max_document_tokens = options.max_document_tokens if facts.window_stride else 0
    return apply_gates(summary, gate_limits, options.inconclusive)
