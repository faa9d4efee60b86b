"""What every backend offers the audit: the declared interface, its typed result, and how one is opened.

A backend answers two questions about texts: the attribution signature's outputs (``explain``) and the class
probabilities (``probabilities``, the cheap path that reliance and substitution call). Backends stack: the
windowed backend wraps any other and takes texts of any length, as Beam's ``ModelHandler`` wrappers do.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Protocol, TypeAlias, runtime_checkable

import numpy as np

from audit_engine.backends.foreign import ForeignOptions
from audit_engine.options import DEFAULT_OCCLUSION_WORDS, TF_SERVING
from saliency_core import contract
from saliency_core.errors import InputError

# A per-token output: [B, T] from a signature, or B 1-D arrays of each text's own length after windows.
PerToken: TypeAlias = "np.ndarray | Sequence[np.ndarray]"


class ServerError(RuntimeError):
    """The server failed in a way retries did not fix; the audit must stop, not drop documents."""


@dataclasses.dataclass(frozen=True)
class Explained:
    """A batch of B texts explained by an attribution signature (contract names in saliency_core.contract).

    Per-token outputs are indexable by text: a [B, T] array from a signature, or B 1-D arrays of each text's
    own length once windows stitched a long text (``ragged``), so one long document does not pad the batch.
    """

    probabilities: np.ndarray  # float32 [B, C]
    predicted_label: np.ndarray  # bytes [B]
    token_count: np.ndarray  # int [B], tokens before truncation to T
    tokens: PerToken  # bytes [B, T] or B x [n_b], '' on padding
    saliency: PerToken  # float32 [B, T] or B x [n_b], >= 0, 0 on padding
    attributions: PerToken | None = None  # integrated gradients only, signed, shaped like saliency
    completeness_gap: np.ndarray | None = None  # float32 [B], integrated gradients only
    windows: np.ndarray | None = None  # int [B]: windows per text (0: the text went to the model as is)

    @property
    def ragged(self) -> bool:
        return not isinstance(self.saliency, np.ndarray)

    @property
    def width(self) -> int:
        """The longest per-token row: T for a signature's outputs."""
        if isinstance(self.saliency, np.ndarray):
            return int(self.saliency.shape[1])
        return max(map(len, self.saliency))

    @classmethod
    def of_outputs(cls, outputs: dict[str, np.ndarray], signature: str, model_name: str) -> Explained:
        """The typed result of a signature's outputs {alias: array}; a signature that lacks an output is not an
        attribution signature (an input error naming what is missing)."""
        required = (
            contract.INTEGRATED_GRADIENTS_OUTPUTS
            if signature == contract.INTEGRATED_GRADIENTS_SIGNATURE
            else contract.SALIENCY_OUTPUTS
        )
        missing = [name for name in required if name not in outputs]
        if missing:
            raise InputError(
                f"signature {signature!r} of model {model_name!r} lacks outputs {missing}; it is not "
                "a saliency signature"
            )
        return cls(
            outputs[contract.PROBABILITIES],
            outputs[contract.PREDICTED_LABEL],
            outputs[contract.TOKEN_COUNT],
            outputs[contract.TOKENS],
            outputs[contract.SALIENCY],
            outputs.get(contract.ATTRIBUTIONS),
            outputs.get(contract.COMPLETENESS_GAP),
        )


@dataclasses.dataclass(frozen=True)
class SignatureInfo:
    """One signature as ``audit-cli status`` shows it."""

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


def signature_infos(signature_defs: dict[str, Any]) -> tuple[SignatureInfo, ...]:
    """SignatureInfos of {name: SignatureDef} (TF Serving's or TensorFlow's), by name, without internal ones."""
    return tuple(
        SignatureInfo(name, tuple(sorted(d.inputs)), tuple(sorted(d.outputs)))
        for name, d in sorted(signature_defs.items())
        if not name.startswith("__")
    )


@dataclasses.dataclass(frozen=True)
class ModelStatus:
    """What a backend can say about the model it reaches: its versions and their states, and its signatures."""

    versions: tuple[tuple[int, str], ...]  # (version, state name)
    signatures: tuple[SignatureInfo, ...]
    location: str = ""  # where an embedded model was loaded from; '' for a server


@runtime_checkable
class Backend(Protocol):
    """The interface every backend declares (gRPC to TF Serving, embedded, windowed, the numpy fake)."""

    @property
    def signature(self) -> str:
        """The attribution signature ``explain`` calls."""
        ...

    @property
    def model_name(self) -> str: ...

    @property
    def description(self) -> str:
        """Where the model runs, for the summary: 'grpc:HOST:PORT', 'embedded:PATH', ..."""
        ...

    @property
    def loaded_version(self) -> int:
        """The model version that answered (0: not known yet)."""
        ...

    def explain(self, texts: Sequence[str]) -> Explained: ...

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """float32 [B, C]."""
        ...

    def metadata(self) -> dict[str, Any]:
        """The training metadata (class names, max_tokens, contract version, ...)."""
        ...

    def model_status(self) -> ModelStatus: ...

    def close(self) -> None: ...


@dataclasses.dataclass(frozen=True)
class BackendConfig:
    """Where and how to reach the model: gRPC servers (TF Serving / audit-serve) or an embedded SavedModel."""

    servers: tuple[str, ...] = ()
    model_path: str | None = None
    model_name: str = "saliency_classifier"
    model_version: int | None = None
    signature: str = contract.SALIENCY_SIGNATURE
    deadline: float = 60.0
    wait_for_server: float = 30.0  # seconds to wait for the server and its model to come up
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    warm_up: bool = True  # run the audit's signatures once at load (embedded); off where only metadata is read
    protocol: str = TF_SERVING  # the server's API: TF Serving's or the Open Inference Protocol's (KServe v2)
    # '' (auto): the saliency signature's gradient for a model this project exported, occlusion for any other;
    # "occlusion" or "none" audit through the probabilities alone (backends.predict_only)
    attribution: str = ""
    occlusion_words: int = DEFAULT_OCCLUSION_WORDS  # tokens attributed per document by occlusion
    foreign: ForeignOptions = ForeignOptions()  # how a model this project did not export is read


def encode_texts(texts: Sequence[str | bytes]) -> np.ndarray:
    """str [B] -> UTF-8 bytes [B] (object array). A lone surrogate (e.g. undecodable bytes in a shell argument)
    cannot be UTF-8: that is an input error, not a crash inside TensorFlow."""
    try:
        return np.asarray([t.encode("utf-8") if isinstance(t, str) else t for t in texts], dtype=object)
    except UnicodeEncodeError as error:
        raise InputError(
            f"text is not valid Unicode ({error.reason} at character {error.start}); check its encoding"
        ) from None
