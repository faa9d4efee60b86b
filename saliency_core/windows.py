"""Windows over a long text: where they start and which words each covers (training and audit cut the same way).

A text of n > T surface tokens is covered by windows of T tokens whose starts are ``stride`` apart; the last
window ends on the last token. A window is given to the model as the text's own words from its first token's word
to its last token's word: tokenization is per whitespace word and a word gives at most one token, so the model
reads exactly those T tokens, and per-word marks (forbidden masks, rationales) slice along the same word span.
"""

from __future__ import annotations

import dataclasses

from saliency_core.text import split_words, surface_tokens_with_word_index


def default_stride(max_tokens: int) -> int:
    """7/8 of T: windows overlap by T/8 (cost 8/7 of linear, and each token has context on both sides)."""
    return max(1, max_tokens - max_tokens // 8)


def window_starts(token_count: int, max_tokens: int, stride: int) -> list[int]:
    """The first token of each window over ``token_count`` > ``max_tokens`` tokens (a list of int)."""
    starts = list(range(0, token_count - max_tokens, stride))
    starts.append(token_count - max_tokens)
    return starts


@dataclasses.dataclass(frozen=True)
class TextWindows:
    """A long text cut into windows."""

    tokens: list  # the text's surface tokens, up to the cap
    token_count: int  # tokens before the cap
    starts: list  # first token of each window
    word_spans: list  # [first word, end word) of each window in split_words(text)
    texts: list  # each window as the text's own words

    def __len__(self):
        return len(self.starts)


def cut_windows(text: str, max_tokens: int, stride: int, max_document_tokens: int | None = None) -> TextWindows | None:
    """TextWindows for a text of more than ``max_tokens`` tokens, else None. Tokens beyond ``max_document_tokens``
    are left out (the caller says so)."""
    tokens, word_index = surface_tokens_with_word_index(text)
    if len(tokens) <= max_tokens:
        return None
    token_count = len(tokens)
    kept = token_count if max_document_tokens is None else min(token_count, max_document_tokens)
    tokens = tokens[:kept]
    starts = window_starts(kept, max_tokens, stride) if kept > max_tokens else [0]
    words = split_words(text)
    spans = [(word_index[s], word_index[min(s + max_tokens, kept) - 1] + 1) for s in starts]
    return TextWindows(tokens, token_count, starts, spans, [" ".join(words[a:b]) for a, b in spans])
