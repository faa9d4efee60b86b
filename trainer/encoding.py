"""Training examples as the model reads them: the vocabulary, token ids, forbidden masks, substitutions, class
weights, and the tf.data pipeline over them."""

import collections
import dataclasses

import numpy as np
import tensorflow as tf

from saliency_core import text
from saliency_core.lexicon import Lexicon
from saliency_core.substitutions import SubstitutionGroups
from trainer.model import TextClassifier


@dataclasses.dataclass
class EncodedExamples:
    ids: np.ndarray  # int64 [N, T]
    forbidden_mask: np.ndarray  # float32 [N, T]
    labels: np.ndarray  # int32 [N]
    tokens: list  # N lists of surface tokens (truncated to T)
    substituted_ids: np.ndarray = None  # int64 [N, T]: a term replaced by a substitute, or None
    has_substitute: np.ndarray = None  # float32 [N]: 1 where substituted_ids differs from ids
    sample_weight: np.ndarray = None  # float32 [N] or None

    def inputs(self):
        inputs = {"ids": self.ids, "forbidden_mask": self.forbidden_mask}
        if self.substituted_ids is not None:
            inputs.update(substituted_ids=self.substituted_ids, has_substitute=self.has_substitute)
        return inputs


def build_vocabulary(texts: list[str], size: int, required: tuple = ()) -> list[str]:
    """The ``size - 2`` most frequent surface tokens (ids 0 and 1 are padding and OOV); ties alphabetical.

    ``required`` tokens (e.g. every lexicon token, with --lexicon-in-vocabulary) come first, so that the model
    can tell them apart even when they are rare or absent in the training texts."""
    counts = collections.Counter(token for tokens in text.tokenize_all(texts) for token in tokens)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    required = list(dict.fromkeys(required))
    rest = [token for token, _ in ranked if token not in set(required)]
    return (required + rest)[:max(size - 2, 1)]


def vocabulary_coverage(vocabulary, data):
    """Lexicon and substitution terms with a token outside ``vocabulary``, and how many training texts hold them.

    Such terms all map to the one unknown-word id: the model cannot tell them apart and the input-gradient
    penalty cannot single them out (the counterfactual penalty still removes or substitutes them)."""
    known = set(vocabulary)
    phrases = set(data.lexicon.phrases) if data.lexicon is not None else set()
    if data.substitutions is not None:
        phrases |= set(data.substitutions.lexicon.phrases)
    outside = sorted(" ".join(p) for p in phrases if any(token not in known for token in p))
    documents = 0
    if outside:
        check = Lexicon([tuple(term.split()) for term in outside])
        documents = sum(1 for tokens in text.tokenize_all(data.train.texts) if check.matches(tokens))
    return {"out_of_vocabulary_terms": outside, "training_texts_with_them": documents}


def _encode(classifier, texts, batch_size=4096):
    """texts -> (ids int64 [N, T], tokens bytes [N, T], word_index int32 [N, T]) with the model's own ops."""
    ids_parts, token_parts, index_parts = [], [], []
    for start in range(0, len(texts), batch_size):
        tokens, _, word_index, ids = classifier.encode(tf.constant(texts[start:start + batch_size]))
        ids_parts.append(ids.numpy())
        token_parts.append(tokens.numpy())
        index_parts.append(word_index.numpy())
    if not ids_parts:
        width = classifier.max_tokens
        return np.zeros((0, width), np.int64), np.zeros((0, width), object), np.zeros((0, width), np.int32)
    return (np.concatenate(ids_parts).astype(np.int64), np.concatenate(token_parts),
            np.concatenate(index_parts))


def _substitute(classifier, texts, ids, substitutions, seed):
    """One substitute per example that holds a group term, drawn with ``seed``: (substituted_ids, has_substitute)."""
    rng = np.random.default_rng(seed)
    rows, replaced = [], []
    for n, tokens in enumerate(text.tokenize_all(texts)):
        variants = substitutions.variants(tokens)
        if variants:
            rows.append(n)
            replaced.append(" ".join(variants[int(rng.integers(len(variants)))][2]))
    substituted = ids.copy()
    has_substitute = np.zeros(len(ids), np.float32)
    if rows:
        substituted[rows] = _encode(classifier, replaced)[0]
        has_substitute[rows] = 1.0
    return substituted, has_substitute


def balanced_sample_weights(label_ids: np.ndarray, num_classes: int) -> np.ndarray:
    """n / (C * n_class) per example (scikit-learn's 'balanced'): every class adds the same total weight."""
    counts = np.bincount(label_ids, minlength=num_classes).astype(np.float64)
    weights = len(label_ids) / (num_classes * np.maximum(counts, 1.0))
    return weights[label_ids].astype(np.float32)


def encode_examples(classifier: TextClassifier, texts: list[str], label_ids: list[int], lexicon: Lexicon | None = None,
                    word_masks: list | None = None, rationales: list | None = None,
                    substitutions: SubstitutionGroups | None = None, seed: int = 0) -> EncodedExamples:
    """Tokenize with the model's own graph ops and combine the mask sources on token positions."""
    ids, tokens, word_index = _encode(classifier, texts)
    real = word_index >= 0
    forbidden = np.zeros(ids.shape, dtype=np.float32)
    token_lists = [[t.decode("utf-8") for t in row if t] for row in tokens]
    if lexicon is not None:
        for n, row in enumerate(token_lists):
            forbidden[n] = np.maximum(forbidden[n], lexicon.position_mask(row, ids.shape[1]))
    for per_word, invert in ((word_masks, False), (rationales, True)):
        if per_word is None:
            continue
        for n, marks in enumerate(per_word):
            if invert and (marks is None or not marks.any()):
                continue  # no rationale for this row: no rationale penalty (not "penalise every token")
            positions = word_index[n][real[n]]
            marked = marks[positions].astype(np.float32)
            forbidden[n, :len(positions)] = np.maximum(
                forbidden[n, :len(positions)], 1.0 - marked if invert else marked)
    examples = EncodedExamples(ids, forbidden * real, np.asarray(label_ids, dtype=np.int32), token_lists)
    if substitutions is not None:
        examples.substituted_ids, examples.has_substitute = _substitute(classifier, texts, ids, substitutions, seed)
    return examples


LENGTH_BUCKET_BATCHES = 8  # batches whose examples are sorted by length together (as the audit's windows)


def _by_length(parts):
    """A group of examples (a dict of inputs first) in order of their real length (stable)."""
    ids = parts[0]["ids"]
    order = tf.argsort(tf.reduce_sum(tf.cast(ids != 0, tf.int32), axis=1), stable=True)
    return tf.nest.map_structure(lambda part: tf.gather(part, order), parts)


def make_dataset(
    examples: EncodedExamples, batch_size: int, shuffle_seed: int | None = None, length_buckets: bool = False
) -> tf.data.Dataset:
    """Batches of ``batch_size`` examples, shuffled by ``shuffle_seed`` every epoch. ``length_buckets``: the shuffled
    examples are taken LENGTH_BUCKET_BATCHES batches at a time, sorted by length and cut into batches, so that a
    batch's texts have similar lengths (the model steps over its longest only); the same seed gives the same
    batches."""
    parts = (examples.inputs(), examples.labels)
    if examples.sample_weight is not None:
        parts += (examples.sample_weight,)
    dataset = tf.data.Dataset.from_tensor_slices(parts)
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(examples.labels), seed=shuffle_seed, reshuffle_each_iteration=True)
    if length_buckets:
        dataset = dataset.batch(batch_size * LENGTH_BUCKET_BATCHES).map(lambda *parts: _by_length(parts)).unbatch()
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
