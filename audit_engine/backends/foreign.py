"""Models this project did not train: a text classifier served as it is (any TF Serving model, any Open Inference
Protocol server), audited through its own input and output.

What the audit needs from such a model is its class probabilities for a batch of texts. Its signature (TF Serving)
or metadata (KServe v2) says which input takes strings and which output is a [batch, classes] float: found when
there is one of each, else named with --input-name / --output-name. Class names come from --class-names (neither
protocol's metadata carries them), else they are the output's indices. Logits are turned into probabilities when
--logits says so; an output that is not a distribution (negative, or rows that do not sum to 1) is refused with
that advice, never audited as if it were one. ``ForeignSpec.notes`` says in one line each what was discovered
and what was assumed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from saliency_core.errors import InputError

STRING, FLOAT, OTHER = "string", "float", "other"
# TensorFlow's DataType numbers (tensorflow/core/framework/types.proto): DT_STRING, and the floating types.
TF_STRING, TF_FLOATS = 7, (1, 2, 14, 19)
SUM_TOLERANCE = 1e-3


@dataclasses.dataclass(frozen=True)
class TensorSpec:
    """One input or output as a server describes it."""

    name: str
    kind: str  # STRING, FLOAT or OTHER
    rank: int  # -1: unknown
    width: int = -1  # the last dimension's size (an output's classes); -1: unknown


@dataclasses.dataclass(frozen=True)
class ForeignOptions:
    """What the user said about a foreign model (each may be left to discovery)."""

    input_name: str | None = None
    output_name: str | None = None
    class_names: tuple[str, ...] = ()
    logits: bool = False


@dataclasses.dataclass(frozen=True)
class ForeignSpec:
    input: TensorSpec
    output: TensorSpec
    logits: bool
    notes: tuple[str, ...]  # what was discovered, what was assumed: one line each


def _pick(what: str, flag: str, given: str | None, candidates: Sequence[TensorSpec], every: Sequence[TensorSpec]):
    names = [spec.name for spec in every]
    if given is not None:
        for spec in every:
            if spec.name == given:
                return spec, f"{what} {given!r} (from {flag})"
        raise InputError(f"{flag} {given!r}: the model's {what}s are {names}")
    if len(candidates) == 1:
        return candidates[0], f"{what} {candidates[0].name!r} (discovered: the only one that fits)"
    kind = "string" if what == "input" else "[batch, classes] float"
    if not candidates:
        raise InputError(f"the model has no {kind} {what} among {names}: it is not a text classifier this audit reads")
    raise InputError(f"the model has several {kind} {what}s {[c.name for c in candidates]}: name one with {flag}")


def discover(inputs: Sequence[TensorSpec], outputs: Sequence[TensorSpec], options: ForeignOptions) -> ForeignSpec:
    """The input and output to audit through (module docstring)."""
    strings = [s for s in inputs if s.kind == STRING and (s.rank in (1, -1) or (s.rank == 2 and s.width == 1))]
    chosen_input, input_note = _pick("input", "--input-name", options.input_name, strings, inputs)
    if chosen_input.kind != STRING:
        raise InputError(f"input {chosen_input.name!r} does not take strings: this audit sends texts")
    chosen_output, output_note = _pick(
        "output", "--output-name", options.output_name, [s for s in outputs if s.kind == FLOAT and s.rank == 2], outputs
    )
    scores = "logits (softmax applied: --logits)" if options.logits else "probabilities (checked on every batch)"
    return ForeignSpec(chosen_input, chosen_output, options.logits, (input_note, f"{output_note}, read as {scores}"))


def tensor_specs(tensor_infos: Any) -> list[TensorSpec]:
    """TensorSpecs of a SignatureDef's inputs or outputs ({alias: TensorInfo}, TF Serving's or TensorFlow's)."""
    specs = []
    for alias, info in sorted(tensor_infos.items()):
        kind = STRING if info.dtype == TF_STRING else FLOAT if info.dtype in TF_FLOATS else OTHER
        shape = info.tensor_shape
        rank = -1 if shape.unknown_rank else len(shape.dim)
        specs.append(TensorSpec(alias, kind, rank, int(shape.dim[-1].size) if rank > 0 else -1))
    return specs


def class_names_of(classes: int, options: ForeignOptions) -> tuple[list[str], str]:
    """(class names, a note on where they came from) for an output of ``classes`` columns."""
    if options.class_names:
        if len(options.class_names) != classes:
            raise InputError(
                f"--class-names gives {len(options.class_names)} names; the model's output has {classes} classes"
            )
        return list(options.class_names), "class names from --class-names"
    names = [str(i) for i in range(classes)]
    return names, f"class names assumed: the output's indices {', '.join(names)} (name them with --class-names)"


def to_probabilities(scores: np.ndarray, logits: bool, output_name: str) -> np.ndarray:
    """float32 [B, C] probabilities from a model's output; InputError when it is not what it was said to be."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or scores.shape[1] < 2:
        raise InputError(f"output {output_name!r} has shape {list(scores.shape)}, not [batch, classes >= 2]")
    if not np.isfinite(scores).all():
        raise InputError(f"output {output_name!r} holds NaN or infinite values")
    if logits:
        shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
        return (shifted / shifted.sum(axis=1, keepdims=True)).astype(np.float32)
    if (scores < -1e-6).any() or (np.abs(scores.sum(axis=1) - 1.0) > SUM_TOLERANCE).any():
        raise InputError(
            f"output {output_name!r} is not a probability distribution (a row is negative or does not sum to 1): "
            "if it holds logits, pass --logits"
        )
    return scores.astype(np.float32)


class ForeignModel:
    """A probabilities-only model (what audit_engine.backends.predict_only needs) over ``call``: texts -> the
    chosen output's array. ``details``: name, version, description and the server's own status."""

    def __init__(
        self,
        call: Callable[[Sequence[str]], np.ndarray],
        spec: ForeignSpec,
        options: ForeignOptions,
        model_name: str,
        description: str,
        version: Callable[[], int],
        status: Callable[[], Any],
        close: Callable[[], None],
    ) -> None:
        self._call, self.spec, self.options = call, spec, options
        self.model_name, self.description = model_name, description
        self._version, self._status, self._close = version, status, close
        self._metadata: dict[str, Any] | None = None

    @property
    def loaded_version(self) -> int:
        return self._version()

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return to_probabilities(self._call(texts), self.spec.logits, self.spec.output.name)

    def metadata(self) -> dict[str, Any]:
        """What the audit reads of a model (ModelFacts): class names, no T (no windows, no saliency signature)."""
        if self._metadata is None:
            width = self.spec.output.width
            classes = width if width > 1 else self.probabilities(["a text"]).shape[1]
            names, note = class_names_of(classes, self.options)
            self._metadata = {
                "model_name": self.model_name,
                "class_names": names,
                "max_tokens": 0,
                "contract_version": 0,
                "foreign_model": {
                    "input": self.spec.input.name,
                    "output": self.spec.output.name,
                    "logits": self.spec.logits,
                    "notes": [*self.spec.notes, note, "reliance removes whole words of the text as written"],
                },
            }
        return self._metadata

    def model_status(self) -> Any:
        return self._status()

    def close(self) -> None:
        self._close()
