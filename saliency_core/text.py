"""Text standardization and tokenization, shared by training, the exported graph and the audit.

The model sees *surface tokens*: whitespace-split words (every Unicode whitespace character splits;
default-ignorable characters such as zero-width spaces and soft hyphens are removed first), folded to NFKC word by
word (``saliency_core.fold``), lower-cased, with ASCII punctuation removed
(the same rule as Keras ``TextVectorization``'s default ``lower_and_strip_punctuation``). Tokens
that are pure punctuation vanish. Because standardization is applied per whitespace word, every
surface token keeps the index of the raw word it came from, which is what aligns per-word masks
and human rationales (given on ``text.split()``) with model positions.
"""

import dataclasses
import hashlib
import re
from typing import Any

from saliency_core.fold import fold_tensor, fold_word

# Keras' DEFAULT_STRIP_REGEX: ASCII punctuation.
PUNCTUATION_PATTERN = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
PADDING_TOKEN = ""
# Every character that Python's str.split() treats as whitespace (str.isspace; tests/test_text.py checks the
# set). TensorFlow's split knows only ASCII whitespace, so without this a forbidden word after a no-break space
# was never matched, and per-word rationales (given on text.split()) fell out of step with the model's words.
WHITESPACE_PATTERN = "[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
# Default-ignorable characters that hide a word without changing how it reads: soft hyphen, zero-width
# space / non-joiner / joiner, direction marks and embeddings, word joiner and invisible operators, BOM.
IGNORABLE_PATTERN = "[\xad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
_WHITESPACE = re.compile(WHITESPACE_PATTERN)
_IGNORABLE = re.compile(IGNORABLE_PATTERN)


def normalize_text(text: str) -> str:
    """The Python twin of ``normalize``: ignorable characters removed, every whitespace character a space."""
    return _WHITESPACE.sub(" ", _IGNORABLE.sub("", text))


def split_words(text: str) -> list[str]:
    """The words that per-word masks and rationales are given on, as the model splits them."""
    return normalize_text(text).split()


# Upper-case letters that Python 3.11's Unicode tables lower-case and TensorFlow's (older ICU) tables leave
# alone. The model's graph decides, so the Python tokenizer keeps them too; tests/test_text.py regenerates this
# list from TensorFlow over every code point, so a TensorFlow or Python upgrade that changes it fails a test.
TENSORFLOW_KEEPS_CASE = frozenset(  # noqa: E501 (a generated list of code points)
    "\U00002c2f\U0000a7c0\U0000a7d0\U0000a7d6\U0000a7d8\U00010570\U00010571\U00010572\U00010573\U00010574\U00010575\U00010576\U00010577\U00010578\U00010579\U0001057a\U0001057c\U0001057d\U0001057e\U0001057f\U00010580\U00010581\U00010582\U00010583\U00010584\U00010585\U00010586\U00010587\U00010588\U00010589\U0001058a\U0001058c\U0001058d\U0001058e\U0001058f\U00010590\U00010591\U00010592\U00010594\U00010595"
)
_PUNCTUATION = re.compile(PUNCTUATION_PATTERN)


def _lower(word):
    if TENSORFLOW_KEEPS_CASE.isdisjoint(word):
        return word.lower()
    return "".join(c if c in TENSORFLOW_KEEPS_CASE else c.lower() for c in word)


# ASCII punctuation (the pattern's characters) for str.translate, which strips a word several times faster than the
# pattern does.
_DELETE_PUNCTUATION = {code: None for code in range(128) if _PUNCTUATION.match(chr(code))}


def words_and_surface_tokens(text: str) -> tuple[list[str], list[str], list[int]]:
    """(``split_words(text)``, its surface tokens, the word index of each token): the graph's ``tokenize`` without
    truncation, in pure Python (tests/test_text.py checks parity on tricky text and every code point)."""
    if text.isascii():
        # Nothing to fold or ignore, str.split's whitespace is the pattern's ASCII part and lower() is ASCII's: the
        # same tokens, read per text rather than per word (the audit tokenizes every document it checks).
        words = text.split()
        tokens = text.lower().translate(_DELETE_PUNCTUATION).split()
        if len(tokens) == len(words):
            return words, tokens, list(range(len(words)))
        stripped = [word.lower().translate(_DELETE_PUNCTUATION) for word in words]
        return words, [token for token in stripped if token], [i for i, token in enumerate(stripped) if token]
    return _words_and_surface_tokens_by_word(text)


def _words_and_surface_tokens_by_word(text: str) -> tuple[list[str], list[str], list[int]]:
    """``words_and_surface_tokens`` word by word: the rule for any text."""
    words = split_words(text)
    tokens, word_index = [], []
    for index, word in enumerate(words):
        token = _PUNCTUATION.sub("", _lower(fold_word(word)))
        if token:
            tokens.append(token)
            word_index.append(index)
    return words, tokens, word_index


def surface_tokens_with_word_index(text: str) -> tuple[list[str], list[int]]:
    """(tokens, word index of each token in ``split_words(text)``): see ``words_and_surface_tokens``."""
    _, tokens, word_index = words_and_surface_tokens(text)
    return tokens, word_index


_WORD = re.compile(f"(?:(?!{WHITESPACE_PATTERN}).)+", re.DOTALL)


# The audited part of a document is also bounded in characters: a hostile "word" of 200 MB, or a run of
# whitespace, would otherwise cost its whole size below the token cap. 64 characters a token is ten times
# English's average (about 6), so the bound only ever cuts text that is not prose.
MAX_CHARACTERS_PER_TOKEN = 64
_ASCII_SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f "  # WHITESPACE_PATTERN's ASCII part
# Empty matches where a word starts, and where a word of punctuation only starts: findall's list holds one shared
# empty string per word, not the words.
_ASCII_WORD = re.compile(f"(?<![^{_ASCII_SPACE}])(?=[^{_ASCII_SPACE}])")
_ASCII_PUNCTUATION_WORD = re.compile(f"(?<![^{_ASCII_SPACE}])(?={PUNCTUATION_PATTERN}+(?![^{_ASCII_SPACE}]))")
# Within an unfinished word longer than this, only whether it holds a token is kept (read in pieces).
_LONGEST_WORD_KEPT = 1 << 16


@dataclasses.dataclass(frozen=True)
class CappedText:
    """What an audit keeps of a document: ``text`` is the audited part, ``cut`` says whether that is less than the
    whole; ``token_count`` and ``word_count`` (surface tokens, and words as ``split_words`` gives them) and
    ``sha256`` (of the whole text's UTF-8) describe the whole document. ``sha256`` is '' when nothing was cut."""

    text: str
    cut: bool
    token_count: int
    word_count: int
    sha256: str = ""


def _holds_token(word: str) -> bool:
    if word.isascii():  # nothing to ignore, fold or lower-case: does anything but punctuation remain?
        return bool(word.translate(_DELETE_PUNCTUATION))
    return bool(_PUNCTUATION.sub("", _lower(fold_word(_IGNORABLE.sub("", word)))))


def lone_surrogate(text: str, error: UnicodeEncodeError, offset: int = 0) -> str:
    """What is wrong with ``text`` that UTF-8 refused (``error``): JSON's \\ud800 escapes decode to lone surrogates,
    which no UTF-8 text (and so no model input) can hold. ``offset``: where ``text`` starts in the whole value."""
    return (
        f"a lone surrogate (\\u{ord(text[error.start]):04x}) at character {offset + error.start}: "
        "not valid Unicode text"
    )


def utf8(text: str, offset: int = 0) -> bytes:
    """``text`` as UTF-8; ValueError on a lone surrogate (``lone_surrogate``), ``offset`` into the whole value."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(lone_surrogate(text, error, offset)) from None


class TextCapper:
    """A text fed in pieces (a field too long to hold), kept as ``cap_text`` keeps it: the text up to the end of
    the word that holds its ``cap``-th surface token, and at most ``cap * MAX_CHARACTERS_PER_TOKEN`` characters.
    Memory is bounded by that, whatever the text's length."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.max_characters = cap * MAX_CHARACTERS_PER_TOKEN
        self.kept: list[str] = []
        self.kept_characters = 0
        self.characters = 0  # of the whole text fed so far
        self.tokens = self.words = 0
        self.end: int | None = None  # where the word holding the cap-th token ends
        self.tail = ""  # an unfinished word at the end of what was fed
        self.tail_has_token = self.tail_has_word = False  # of the part of an over-long unfinished word let go
        self.hash = hashlib.sha256()

    def feed(self, piece: str) -> None:
        """ValueError on a lone surrogate (``utf8``)."""
        self.hash.update(utf8(piece, self.characters))
        if self.kept_characters < self.max_characters:
            part = piece[: self.max_characters - self.kept_characters]
            self.kept.append(part)
            self.kept_characters += len(part)
        start = self.characters - len(self.tail)  # where ``data`` begins in the whole text
        self.characters += len(piece)
        data = self.tail + piece
        # A word that reaches the end of the piece may go on in the next one: cut after the last whitespace
        # (searched in the reversed piece, so that a piece without any is one C-speed scan).
        last = _WHITESPACE.search(data[::-1])
        cut = len(data) - last.start() if last else 0
        body, self.tail = data[:cut], data[cut:]
        counted = False
        if body.isascii() and not (self.tail_has_token or self.tail_has_word):
            # ASCII needs no folding, so C-speed regexes count its words and tokens. Only the word that holds the
            # cap-th token needs finding word by word: past the cap, or short of it, counts are all that matter.
            words = len(_ASCII_WORD.findall(body))
            tokens = words - len(_ASCII_PUNCTUATION_WORD.findall(body))
            if self.end is not None or self.tokens + tokens < self.cap:
                self.words += words
                self.tokens += tokens
                counted = True
        if not counted:
            for match in _WORD.finditer(body):
                self._count(match.group(), start + match.end())
        if len(self.tail) > _LONGEST_WORD_KEPT:
            self.tail_has_token = self.tail_has_token or _holds_token(self.tail)
            self.tail_has_word = self.tail_has_word or bool(_IGNORABLE.sub("", self.tail))
            self.tail = self.tail[-1:]  # keeps the word unfinished (and counted once) without its size

    def _count(self, word: str, end: int) -> None:
        if self.tail_has_word or _IGNORABLE.sub("", word):
            self.words += 1
        if self.tail_has_token or _holds_token(word):
            self.tokens += 1
            if self.tokens == self.cap:
                self.end = end
        self.tail_has_token = self.tail_has_word = False

    def finish(self) -> CappedText:
        if self.tail or self.tail_has_word:
            self._count(self.tail, self.characters)
            self.tail = ""
        kept = "".join(self.kept)
        end = self.end if self.tokens > self.cap and self.end is not None else self.characters
        cut = end < self.characters or self.characters > self.max_characters
        text = kept[:end]
        return CappedText(text, cut, self.tokens, self.words, self.hash.hexdigest() if cut else "")


def cap_text(text: str, cap: int) -> CappedText:
    """What an audit keeps of ``text`` under a cap of ``cap`` tokens (``TextCapper``), in one pass that keeps no
    list of words or tokens: a document of any length costs the audit at most ``cap`` tokens."""
    if len(text) <= cap:  # a token takes at least one character: nothing to cut
        if text.isascii():  # the counts of words_and_surface_tokens' ASCII path, without the lists
            return CappedText(text, False, len(text.translate(_DELETE_PUNCTUATION).split()), len(text.split()))
        words, tokens, _ = words_and_surface_tokens(text)
        return CappedText(text, False, len(tokens), len(words))
    capper = TextCapper(cap)
    capper.feed(text)
    return capper.finish()


def surface_tokens(text: str) -> list[str]:
    """The model's surface tokens of one text, in pure Python (no TensorFlow)."""
    return surface_tokens_with_word_index(text)[0]


def normalize(texts: Any) -> Any:
    """texts: string tensor. The same as normalize_text, as TF ops (exported into the model's graph)."""
    import tensorflow as tf

    texts = tf.strings.regex_replace(texts, IGNORABLE_PATTERN, "")
    return tf.strings.regex_replace(texts, WHITESPACE_PATTERN, " ")


def standardize(words: Any) -> Any:
    """Fold, lower-case and strip punctuation. words: dense string tensor, any shape (ragged words go through
    ``tf.ragged.map_flat_values``)."""
    import tensorflow as tf

    shape = tf.shape(words)
    folded = tf.reshape(fold_tensor(tf.reshape(words, [-1])), shape)
    lowered = tf.strings.lower(folded, encoding="utf-8")
    return tf.strings.regex_replace(lowered, PUNCTUATION_PATTERN, "")


def _ragged_tokens(texts):
    """texts string [B] -> (surface tokens string ragged [B, None], their word indexes int32 ragged [B, None])."""
    import tensorflow as tf

    words = tf.strings.split(normalize(texts))
    standardized = tf.ragged.map_flat_values(standardize, words)
    keep = standardized != PADDING_TOKEN
    word_positions = tf.ragged.range(tf.cast(words.row_lengths(), tf.int32))
    return tf.ragged.boolean_mask(standardized, keep), tf.ragged.boolean_mask(word_positions, keep)


def tokenize(texts: Any, max_tokens: int) -> tuple[Any, Any, Any]:
    """Surface tokens of each text, padded or truncated to ``max_tokens``.

    texts: string [B].
    Returns (tokens string [B, T] with '' on padding,
             token_count int32 [B] = number of tokens before truncation,
             word_index int32 [B, T] = index in ``split_words(text)`` of each token's word, -1 on padding).
    """
    import tensorflow as tf

    tokens, word_index = _ragged_tokens(texts)
    token_count = tf.cast(tokens.row_lengths(), tf.int32)
    dense_tokens = tokens[:, :max_tokens].to_tensor(default_value=PADDING_TOKEN, shape=[None, max_tokens])
    dense_word_index = word_index[:, :max_tokens].to_tensor(default_value=-1, shape=[None, max_tokens])
    return dense_tokens, token_count, dense_word_index


def tokenize_all(texts: list[str], max_tokens: int | None = None) -> list[list[str]]:
    """Surface tokens of many texts (all tokens when ``max_tokens`` is None), in pure Python: lexicon
    matching, reliance and substitution texts, vocabulary building."""
    return [tokens if max_tokens is None else tokens[:max_tokens] for tokens in map(surface_tokens, texts)]


def tokenize_all_with_graph_ops(texts: list[str], max_tokens: int | None = None) -> list[list[str]]:
    """The same with the exported graph's own ops: the reference the Python tokenizer is tested against."""
    import tensorflow as tf

    result: list[list[str]] = []
    if not len(texts):
        return result
    tokens, _ = _ragged_tokens(tf.constant(list(texts), dtype=tf.string))
    for row in tokens.to_list():
        row = [t.decode("utf-8") for t in row]
        result.append(row if max_tokens is None else row[:max_tokens])
    return result
