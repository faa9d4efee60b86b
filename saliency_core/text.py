"""Text standardization and tokenization, shared by training, the exported graph and the audit.

The model sees *surface tokens*: whitespace-split words (every Unicode whitespace character splits;
default-ignorable characters such as zero-width spaces and soft hyphens are removed first), lower-cased, with
ASCII punctuation removed
(the same rule as Keras ``TextVectorization``'s default ``lower_and_strip_punctuation``). Tokens
that are pure punctuation vanish. Because standardization is applied per whitespace word, every
surface token keeps the index of the raw word it came from, which is what aligns per-word masks
and human rationales (given on ``text.split()``) with model positions.
"""

import re

import tensorflow as tf

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


def normalize_text(text):
    """The Python twin of ``normalize``: ignorable characters removed, every whitespace character a space."""
    return _WHITESPACE.sub(" ", _IGNORABLE.sub("", text))


def split_words(text):
    """The words that per-word masks and rationales are given on, as the model splits them."""
    return normalize_text(text).split()


def normalize(texts):
    """texts: string tensor. The same as normalize_text, as TF ops (exported into the model's graph).

    Not Unicode NFC/NFKC: core TensorFlow has no normalisation op, and the graph and Python must agree."""
    texts = tf.strings.regex_replace(texts, IGNORABLE_PATTERN, "")
    return tf.strings.regex_replace(texts, WHITESPACE_PATTERN, " ")


def standardize(words):
    """Lower-case and strip punctuation. words: string tensor (dense or ragged), any shape."""
    lowered = tf.strings.lower(words, encoding="utf-8")
    return tf.strings.regex_replace(lowered, PUNCTUATION_PATTERN, "")


def tokenize(texts, max_tokens):
    """Surface tokens of each text, padded or truncated to ``max_tokens``.

    texts: string [B].
    Returns (tokens string [B, T] with '' on padding,
             token_count int32 [B] = number of tokens before truncation,
             word_index int32 [B, T] = index in ``text.split()`` of each token's word, -1 on padding).
    """
    words = tf.strings.split(normalize(texts))
    standardized = tf.ragged.map_flat_values(standardize, words)
    keep = standardized != PADDING_TOKEN
    tokens = tf.ragged.boolean_mask(standardized, keep)
    word_positions = tf.ragged.range(tf.cast(words.row_lengths(), tf.int32))
    word_index = tf.ragged.boolean_mask(word_positions, keep)
    token_count = tf.cast(tokens.row_lengths(), tf.int32)
    dense_tokens = tokens[:, :max_tokens].to_tensor(
        default_value=PADDING_TOKEN, shape=[None, max_tokens])
    dense_word_index = word_index[:, :max_tokens].to_tensor(
        default_value=-1, shape=[None, max_tokens])
    return dense_tokens, token_count, dense_word_index


def tokenize_all(texts: list[str], max_tokens: int | None = None, batch_size: int = 4096) -> list[list[str]]:
    """Python-side tokenization of many texts with the graph's own ops.

    Returns a list of lists of str (all tokens when ``max_tokens`` is None).
    """
    result = []
    for start in range(0, len(texts), batch_size):
        chunk = tf.constant(list(texts[start:start + batch_size]), dtype=tf.string)
        words = tf.strings.split(normalize(chunk))
        standardized = tf.ragged.map_flat_values(standardize, words)
        tokens = tf.ragged.boolean_mask(standardized, standardized != PADDING_TOKEN)
        for row in tokens.to_list():
            row = [t.decode("utf-8") for t in row]
            result.append(row if max_tokens is None else row[:max_tokens])
    return result
