"""Text standardization and tokenization, shared by training, the exported graph and the audit.

The model sees *surface tokens*: whitespace-split words, lower-cased, with ASCII punctuation removed
(the same rule as Keras ``TextVectorization``'s default ``lower_and_strip_punctuation``). Tokens
that are pure punctuation vanish. Because standardization is applied per whitespace word, every
surface token keeps the index of the raw word it came from, which is what aligns per-word masks
and human rationales (given on ``text.split()``) with model positions.
"""

import tensorflow as tf

# Keras' DEFAULT_STRIP_REGEX: ASCII punctuation.
PUNCTUATION_PATTERN = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
PADDING_TOKEN = ""


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
    words = tf.strings.split(texts)
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
        words = tf.strings.split(chunk)
        standardized = tf.ragged.map_flat_values(standardize, words)
        tokens = tf.ragged.boolean_mask(standardized, standardized != PADDING_TOKEN)
        for row in tokens.to_list():
            row = [t.decode("utf-8") for t in row]
            result.append(row if max_tokens is None else row[:max_tokens])
    return result
