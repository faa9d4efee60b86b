"""Long documents: what the audit does with texts longer than the model's T tokens (DESIGN.md, "Long documents").

This module is the seam (the options, and ``windowed`` which wraps a backend); ``audit_cli.windowed_backend`` does
the work with numpy. It stays free of numpy so that ``audit-cli --help`` starts fast.
"""

import dataclasses

from saliency_core.windows import default_stride

DEFAULT_MAX_DOCUMENT_TOKENS = 4_000_000  # a 10 MB English document is about 1.8 M tokens
WINDOWS_PER_REQUEST = 256
WINDOWS_CONTRACT = 3  # the Python tokenizer equals the graph's from contract 3 on (NFKC folding)
# Not a signature output: the windowed backend's count of windows per text (0: the text went to the model as is).
WINDOWS = "windows"


@dataclasses.dataclass(frozen=True)
class WindowConfig:
    """How long documents are explained. ``stride`` None: the stride the model was trained with (audit-train
    --window-stride), else 7/8 of the model's T (windows overlap by T/8)."""
    enabled: bool = True
    stride: int = None
    max_document_tokens: int = DEFAULT_MAX_DOCUMENT_TOKENS
    windows_per_request: int = WINDOWS_PER_REQUEST

    def resolved_stride(self, metadata):
        if self.stride is not None:
            return self.stride
        trained = (metadata.get("model") or {}).get("window_stride")
        return int(trained) if trained else default_stride(int(metadata["max_tokens"]))


def windowed(backend, config: WindowConfig, metadata):
    """(backend wrapped in a WindowedBackend, the stride), or (``backend`` itself, 0) when windows are off or the
    model predates contract 3 (its graph tokenizes differently from the Python tokenizer that cuts the windows;
    the report then says that tokens beyond T were not explained)."""
    if not config.enabled or int(metadata.get("contract_version", 0)) < WINDOWS_CONTRACT:
        return backend, 0
    from audit_cli.windowed_backend import WindowedBackend
    wrapped = WindowedBackend(backend, config, metadata)
    return wrapped, wrapped.stride
