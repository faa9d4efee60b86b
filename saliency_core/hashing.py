"""File fingerprints recorded in model metadata and audit summaries."""

import hashlib
from collections.abc import Callable
from typing import IO, Any


def key_seed(key: str) -> int:
    """A 64-bit seed fixed by ``key`` (the first 8 bytes of its sha256): per-document randomness that every runner
    and every rerun draws the same."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "little")


def file_sha256(path: str, open_binary: Callable[..., IO[Any]] = open) -> str:
    """``open_binary(path, "rb")``: the local file system's open, or another's (the Beam pipeline's)."""
    digest = hashlib.sha256()
    with open_binary(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
