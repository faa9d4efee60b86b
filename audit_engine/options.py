"""What an audit is asked to do: its options, the window settings and the label map, as typed values.

Imports nothing heavy (no numpy), so that command lines can declare their options and defaults from here and
still start fast.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from saliency_core.errors import InputError
from saliency_core.windows import default_stride

CHECKPOINT_SECONDS = 2.0
# A batch closes at --batch-size texts or at this many characters, whichever comes first, so a long document's
# windows do not ride with 63 others: a batch's memory stays bounded whatever the documents' lengths.
BATCH_CHARACTERS = 1 << 20
# Batches a window of rows holds (corpus.windows): its texts are batched by length, so the model steps over short
# texts only as long as they are; more batches group lengths better and hold more rows back from the writer.
LOOK_AHEAD = 8
DEFAULT_MAX_DOCUMENT_TOKENS = 4_000_000  # a 10 MB English document is about 1.8 M tokens
WINDOWS_PER_REQUEST = 256
BINARY_LABELS = ("positive", "negative")
INCONCLUSIVE_POLICIES = ("fail", "pass")
# Where the model is (backends.base.BackendConfig): the server's API, and the attributions any model supports
# through its probabilities alone (backends.predict_only).
TF_SERVING, KSERVE_V2 = "tf-serving", "kserve-v2"
PROTOCOLS = (TF_SERVING, KSERVE_V2)
OCCLUSION, NO_ATTRIBUTION = "occlusion", "none"
PREDICT_ONLY_ATTRIBUTIONS = (OCCLUSION, NO_ATTRIBUTION)
DEFAULT_OCCLUSION_WORDS = 64


@dataclasses.dataclass(frozen=True)
class WindowConfig:
    """How long documents are explained. ``stride`` None: the stride the model was trained with (audit-train
    --window-stride), else 7/8 of the model's T (windows overlap by T/8)."""

    enabled: bool = True
    stride: int | None = None
    max_document_tokens: int = DEFAULT_MAX_DOCUMENT_TOKENS
    windows_per_request: int = WINDOWS_PER_REQUEST

    def resolved_stride(self, metadata: dict[str, Any]) -> int:
        if self.stride is not None:
            return self.stride
        trained = (metadata.get("model") or {}).get("window_stride")
        return int(trained) if trained else default_stride(int(metadata["max_tokens"]))


@dataclasses.dataclass
class AuditOptions:
    text_column: str = "text"
    id_column: str | None = None
    label_column: str | None = None
    batch_size: int = 64
    max_in_flight: int = 8  # measured: 8 beats 4 by 4 % via gRPC on 2 cores, ties embedded
    threshold: float = 0.5
    top_k: int = 5
    redact: bool = False
    strict: bool = False
    encoding: str = "utf-8"
    rationale_column: str | None = None  # per-word human rationale: ERASER token F1 and AUPRC per document
    toxic_classes: tuple[str, ...] = ()  # with label_column: bias metrics per forbidden term on this binary task
    reliance: bool = True  # predict each document without its forbidden terms (and each term alone)
    attribution: str = "gradient"  # the signature behind the saliency shares (contract.ATTRIBUTION_SIGNATURES)
    label_map: tuple[tuple[str, str], ...] = ()  # (corpus label, model class or "positive"/"negative") pairs
    examples: int = 6  # highlighted documents in report.html
    checkpoint_seconds: float = CHECKPOINT_SECONDS
    windows: bool = True  # texts longer than the model's T are explained in windows (backends.windowed)
    window_stride: int | None = None  # None: the model's training stride, else 7/8 of T
    max_document_tokens: int = DEFAULT_MAX_DOCUMENT_TOKENS
    confidence: float = 0.95  # of every interval and test
    inconclusive: str = "fail"  # a gate whose interval holds its limit: fail (exit 1) or pass
    # (name, value) of the evaluations' own options (Evaluation.options), e.g. (("control", False),)
    evaluation_options: tuple[tuple[str, Any], ...] = ()

    @property
    def window_config(self) -> WindowConfig:
        return WindowConfig(self.windows, self.window_stride, self.max_document_tokens)

    @property
    def required_columns(self) -> list[str | None]:
        """The columns the reader must find (None: not asked for); the text column first."""
        return [self.text_column, self.id_column, self.label_column, self.rationale_column]

    def fingerprint(self) -> dict[str, Any]:
        """The options that shape the records, in their JSON form; a resumed run must use the same."""
        shaping = {
            k: v
            for k, v in dataclasses.asdict(self).items()
            if k not in ("batch_size", "max_in_flight", "checkpoint_seconds")
        }
        return json.loads(json.dumps(shaping))


def parse_label_map(value: str) -> tuple[tuple[str, str], ...]:
    """'a=x,b=y' -> (('a', 'x'), ('b', 'y')); ValueError names the malformed entry."""
    pairs = []
    for entry in value.split(","):
        source, separator, target = entry.partition("=")
        if not separator or not source.strip() or not target.strip():
            raise ValueError(f"expected LABEL=CLASS pairs separated by commas, got {entry!r}")
        pairs.append((source.strip(), target.strip()))
    if len({s for s, _ in pairs}) != len(pairs):
        raise ValueError("a label is mapped twice")
    return tuple(pairs)


def parse_class_list(value: str | None) -> tuple[str, ...]:
    """'a, b' -> ('a', 'b'); None or '' -> ()."""
    return tuple(c.strip() for c in value.split(",") if c.strip()) if value else ()


def label_space(label_map: tuple[tuple[str, str], ...], class_names: list[str]) -> str:
    """'model classes' or 'binary' for a --label-map, '' without one; anything else is a usage error."""
    if not label_map:
        return ""
    targets = {target for _, target in label_map}
    if targets <= set(class_names):
        return "model classes"
    if targets <= set(BINARY_LABELS):
        return "binary"
    raise InputError(
        f"--label-map must map every label to a class of the model {class_names} or every label to "
        f"positive / negative; got {sorted(targets)}"
    )
