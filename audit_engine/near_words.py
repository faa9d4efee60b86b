"""Words near the lexicon's terms in word vectors the user trusts: candidates for discovery.

Discovery ranks words by how much the model relies on them; a hate-speech model relies on slurs and profanity far
more than on most identity terms, so an unlisted group name rarely reaches the top of a ranking of every word. Word
vectors learned on a large general corpus (GloVe, fastText, a sentence encoder's word embeddings) place 'queer'
near 'gay' and 'blind' near 'deaf', which a model trained from scratch on the audited task does not. The words
nearest to each listed term become a candidate list (``audit-cli candidates``) that a reviewer reads and edits
before ``audit-cli score --discover --discover-candidates``, which measures each candidate in every sampled
document that holds it.

Vectors file: the word2vec / GloVe / fastText text format, plain or gzip-compressed: one word and its numbers per
line, separated by whitespace, with or without a first line "<words> <dimension>". A word is normalised with the
model's tokenizer and kept when that leaves one token (a word of punctuation leaves none); the first line of a
token wins (those files list frequent words first).
Memory: two passes over the file, keeping the listed terms' vectors, each term's ``per_term`` best words, and the
set of words seen (so that the first line of a word wins): it grows with the file's vocabulary, not its vectors.
"""

from __future__ import annotations

import collections
import gzip
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from audit_engine.corpus import corpus_rows
from audit_engine.evaluations.discovery import MIN_DOCUMENTS
from audit_engine.options import AuditOptions
from saliency_core import text
from saliency_core.errors import InputError
from saliency_core.lexicon import Lexicon
from saliency_core.table import RowReader, check_readable

CHUNK = 8192  # vectors compared with the listed terms at once


@dataclass(frozen=True)
class NearWords:
    """One listed term and its nearest words: (word, cosine), nearest first."""

    term: str
    words: list[tuple[str, float]]


@dataclass
class Neighbourhood:
    """The nearest words of every listed term that has a vector, and the terms that have none."""

    near: list[NearWords]
    missing: list[str]
    dimension: int
    vectors_read: int
    vectors_sha256: str = ""
    per_term: int = 0
    skipped: list[str] = field(default_factory=list)  # vector words that are not one token of the model

    def candidates(self) -> list[str]:
        """Every near word once, in the order the terms and their neighbours come."""
        return list(dict.fromkeys(word for entry in self.near for word, _ in entry.words))


class _Digesting(io.RawIOBase):
    """The file's bytes as read, fed to a digest on the way: the pass that reads the file whole also hashes it."""

    def __init__(self, raw: io.BufferedReader, digest: Any):
        self.raw, self.digest = raw, digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self.raw.readinto(buffer)
        self.digest.update(memoryview(buffer)[:count])
        return count


def _lines(path: str, digest: Any = None) -> Iterator[tuple[int, str]]:
    """(line number, line) of the file, plain or gzip; with ``digest``, its bytes (compressed, when it is) are fed
    to it as they are read."""
    with open(path, "rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        binary = io.BufferedReader(_Digesting(raw, digest)) if digest is not None else raw
        with io.TextIOWrapper(gzip.GzipFile(fileobj=binary) if compressed else binary, encoding="utf-8") as f:
            yield from enumerate(f, start=1)


def _rows(path: str, only: set[str] | None = None, digest: Any = None):
    """(line number, token, float32 vector, usable) of each line; InputError names the line of a malformed one.

    With ``only``, the numbers of other words are not parsed (their vector is None): the first pass wants a few.
    ``digest``: see ``_lines``."""
    dimension = None
    seen: set[str] = set()
    try:
        for number, line in _lines(path, digest):
            parts = line.rstrip("\n").split()
            if not parts:
                continue
            if number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                continue  # the word2vec header: "<words> <dimension>"
            if len(parts) < 2:
                raise InputError("expected a word and its numbers", path, number)
            if dimension is None:
                dimension = len(parts) - 1
            elif len(parts) - 1 != dimension:
                raise InputError(f"{len(parts) - 1} numbers where the first vector has {dimension}", path, number)
            tokens = text.surface_tokens(parts[0])
            token = tokens[0] if len(tokens) == 1 else None
            if token is not None and token in seen:
                continue
            if token is not None:
                seen.add(token)
            vector = None
            if only is None or token in only:
                try:
                    vector = np.array(parts[1:], dtype=np.float32)
                except ValueError:
                    raise InputError(f"the vector of {parts[0]!r} holds something that is not a number", path,
                                     number) from None  # fmt: skip
                if not np.all(np.isfinite(vector)):
                    raise InputError(f"the vector of {parts[0]!r} is not finite", path, number)
            yield number, token if token is not None else parts[0], vector, token is not None
    except UnicodeDecodeError as error:
        raise InputError(f"word vectors are not valid utf-8 text ({error.reason}); the binary word2vec format is not "
                         "read: save the vectors as text", path) from None  # fmt: skip
    except (gzip.BadGzipFile, EOFError) as error:
        raise InputError(f"word vectors: a damaged gzip file ({error})", path) from None


def corpus_words(
    path: str, text_column: str = "text", encoding: str = "utf-8", min_documents: int | None = None
) -> set[str]:
    """The tokens that at least ``min_documents`` documents of a corpus (CSV or JSONL) hold (default: discovery's
    minimum support, as a word in fewer cannot be ranked), its documents read as the audit reads them. Memory: one
    count per distinct token."""
    least = MIN_DOCUMENTS if min_documents is None else min_documents
    options = AuditOptions(text_column=text_column, encoding=encoding)
    documents: collections.Counter[str] = collections.Counter()
    with RowReader(path, options.required_columns, encoding, text_cap=options.max_document_tokens) as reader:
        for document in corpus_rows(reader, options):
            if document.text is not None:
                documents.update(set(text.surface_tokens(document.text)))
    return {word for word, count in documents.items() if count >= least}


def nearest_words(vectors_path: str, lexicon: Lexicon, per_term: int, within: set[str] | None = None) -> Neighbourhood:
    """The ``per_term`` words nearest (cosine) to each term of ``lexicon`` in the vectors file (among ``within``,
    when given: the words a corpus holds).

    A phrase's vector is the mean of its tokens' vectors (all must have one). The lexicon's own tokens are never
    candidates. Terms without a vector are listed in ``missing``."""
    if per_term < 1:
        raise InputError("--per-term must be at least 1")
    check_readable(vectors_path)
    own = {token for phrase in lexicon.phrases for token in phrase}
    found: dict[str, np.ndarray] = {}
    lines = 0
    for _, word, vector, usable in _rows(vectors_path, only=own):
        lines += 1
        if vector is not None and usable:
            found[word] = vector
    if not lines:
        raise InputError("no word vectors in the file", vectors_path)
    terms, missing, rows = [], [], []
    for phrase in lexicon.phrases:
        if all(token in found for token in phrase):
            mean = np.mean([found[token] for token in phrase], axis=0)
            norm = float(np.linalg.norm(mean))
            if norm > 0:
                terms.append(" ".join(phrase))
                rows.append(mean / norm)
                continue
        missing.append(" ".join(phrase))
    if not terms:
        raise InputError(f"none of the lexicon's {len(lexicon.phrases)} terms has a vector", vectors_path)
    matrix = np.stack(rows)  # [terms, dimension]
    dimension = matrix.shape[1]
    best_scores = np.full((len(terms), 0), -np.inf, dtype=np.float32)
    best_words: list[list[str]] = [[] for _ in terms]
    digest = hashlib.sha256()
    read, skipped = 0, []  # type: tuple[int, list[str]]
    chunk_words: list[str] = []
    chunk_vectors: list[np.ndarray] = []

    def flush() -> None:
        nonlocal best_scores
        if not chunk_words:
            return
        block = np.stack(chunk_vectors)
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        scores = (block / np.where(norms > 0, norms, 1)) @ matrix.T  # [chunk, terms]
        scores[(norms == 0)[:, 0]] = -np.inf
        merged = np.concatenate([best_scores, scores.T], axis=1)  # [terms, kept + chunk]
        keep = np.argsort(-merged, axis=1, kind="stable")[:, :per_term]
        for t in range(len(terms)):
            words = best_words[t] + chunk_words
            best_words[t] = [words[i] for i in keep[t]]
        best_scores = np.take_along_axis(merged, keep, axis=1)
        chunk_words.clear()
        chunk_vectors.clear()

    for _, word, vector, usable in _rows(vectors_path, digest=digest):
        read += 1
        if not usable:
            if len(skipped) < 5:
                skipped.append(word)
            continue
        if word in own or (within is not None and word not in within):
            continue
        chunk_words.append(word)
        chunk_vectors.append(vector)
        if len(chunk_words) >= CHUNK:
            flush()
    flush()
    near = [
        NearWords(term, [(w, float(s)) for w, s in zip(best_words[t], best_scores[t]) if np.isfinite(s)])
        for t, term in enumerate(terms)
    ]
    return Neighbourhood(near, missing, dimension, read, digest.hexdigest(), per_term, skipped)


def _one_line(name: str) -> str:
    """A file name inside a comment line: a newline in it would start a line the lexicon reads as a candidate."""
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", name)


def candidates_file(
    neighbourhood: Neighbourhood, vectors_path: str, lexicon_path: str, within: str | None = None
) -> str:
    """The candidates file: one word per line (a lexicon, for --discover-candidates), each listed term's near
    words under a comment naming it and their cosines, so that a reviewer can strike what is not worth measuring.
    ``within``: what restricted the words (e.g. "words 10 or more documents of corpus.csv hold")."""
    lines = [
        f"# The {neighbourhood.per_term} words nearest to each term of {_one_line(lexicon_path)} in "
        f"{_one_line(vectors_path)}",
        f"# (sha256 {neighbourhood.vectors_sha256}, {neighbourhood.vectors_read} vectors of dimension "
        f"{neighbourhood.dimension}), by cosine. Delete what is not worth measuring, then:",
        "#   audit-cli score CORPUS --forbidden LEXICON --discover --discover-candidates THIS_FILE",
    ]
    if within:
        lines.append(f"# Among the {_one_line(within)}.")
    if neighbourhood.missing:
        lines.append("# No vector: " + ", ".join(neighbourhood.missing))
    written: set[str] = set()
    for entry in neighbourhood.near:
        fresh = [(w, s) for w, s in entry.words if w not in written]
        lines.append(f"# near {entry.term!r}: " + ", ".join(f"{w} {s:.2f}" for w, s in entry.words))
        lines += [w for w, _ in fresh]
        written.update(w for w, _ in fresh)
    return "\n".join(lines) + "\n"
