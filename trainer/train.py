"""Training: corpus -> encoded examples -> RightReasonsModel.fit -> exported SavedModel."""

import collections
import dataclasses
import datetime
import math

import keras
import numpy as np
import tensorflow as tf

from trainer import text
from trainer.corpus import class_names_of, load_corpus
from trainer.errors import InputError
from trainer.export import export_model
from trainer.lexicon import load_lexicon
from trainer.model import RightReasonsModel, TextClassifier


@dataclasses.dataclass
class ModelSettings:
    max_tokens: int = 60
    vocabulary_size: int = 20000
    embedding_dim: int = 64
    hidden_units: int = 64
    bidirectional: bool = False
    unroll: bool = False


@dataclasses.dataclass
class FitSettings:
    penalty_weight: float = 0.0
    target: str = "predicted"
    reduction: str = "l2"
    epochs: int = 5
    batch_size: int = 64
    learning_rate: float = 1e-3
    seed: int = 0


@dataclasses.dataclass
class EncodedExamples:
    ids: np.ndarray  # int64 [N, T]
    forbidden_mask: np.ndarray  # float32 [N, T]
    labels: np.ndarray  # int32 [N]
    tokens: list  # N lists of surface tokens (truncated to T)


class TrainingDiverged(RuntimeError):
    pass


def build_vocabulary(texts, size):
    """The ``size - 2`` most frequent surface tokens (ids 0 and 1 are padding and OOV); ties alphabetical."""
    counts = collections.Counter(token for tokens in text.tokenize_all(texts) for token in tokens)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [token for token, _ in ranked[:max(size - 2, 1)]]


def encode_examples(classifier, texts, label_ids, lexicon=None, word_masks=None, rationales=None,
                    batch_size=4096):
    """Tokenize with the model's own graph ops and combine the mask sources on token positions."""
    ids_parts, token_parts, index_parts = [], [], []
    for start in range(0, len(texts), batch_size):
        tokens, _, word_index, ids = classifier.encode(tf.constant(texts[start:start + batch_size]))
        ids_parts.append(ids.numpy())
        token_parts.append(tokens.numpy())
        index_parts.append(word_index.numpy())
    ids = np.concatenate(ids_parts).astype(np.int64)
    tokens = np.concatenate(token_parts)
    word_index = np.concatenate(index_parts)
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
            positions = word_index[n][real[n]]
            marked = marks[positions].astype(np.float32)
            forbidden[n, :len(positions)] = np.maximum(
                forbidden[n, :len(positions)], 1.0 - marked if invert else marked)
    return EncodedExamples(ids, forbidden * real, np.asarray(label_ids, dtype=np.int32), token_lists)


def make_dataset(examples, batch_size, shuffle_seed=None):
    inputs = {"ids": examples.ids, "forbidden_mask": examples.forbidden_mask}
    dataset = tf.data.Dataset.from_tensor_slices((inputs, examples.labels))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(examples.labels), seed=shuffle_seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop at the first NaN/inf loss and say which step and lambda caused it."""

    def __init__(self, penalty_weight):
        super().__init__()
        self.penalty_weight = penalty_weight
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            raise TrainingDiverged(
                f"loss became {float(loss)} at epoch {self.epoch + 1}, step {batch + 1} with lambda="
                f"{self.penalty_weight}; lower --penalty-weight or --learning-rate")


def build_classifier(vocabulary, num_classes, model_settings):
    return TextClassifier(vocabulary, num_classes, model_settings.max_tokens,
                          model_settings.embedding_dim, model_settings.hidden_units,
                          model_settings.bidirectional, model_settings.unroll)


def fit(classifier, train_examples, fit_settings, validation_examples=None, verbose=2, callbacks=()):
    """Train ``classifier`` in place with the penalty; returns (RightReasonsModel, keras History)."""
    model = RightReasonsModel(classifier, fit_settings.penalty_weight, fit_settings.target,
                              fit_settings.reduction)
    # No XLA: Keras refuses jit_compile for a model holding a TextVectorization layer.
    model.compile(optimizer=keras.optimizers.Adam(fit_settings.learning_rate), jit_compile=False)
    # Built before fit, so that BackupAndRestore can restore weights into it.
    model({"ids": train_examples.ids[:1], "forbidden_mask": train_examples.forbidden_mask[:1]})
    model.optimizer.build(model.trainable_variables)
    validation = None
    if validation_examples is not None and len(validation_examples.labels):
        validation = make_dataset(validation_examples, fit_settings.batch_size)
    history = model.fit(
        make_dataset(train_examples, fit_settings.batch_size, shuffle_seed=fit_settings.seed),
        validation_data=validation, epochs=fit_settings.epochs, verbose=verbose,
        callbacks=[StopOnNonFiniteLoss(fit_settings.penalty_weight), *callbacks])
    return model, history


def set_seed(seed):
    keras.utils.set_random_seed(seed)


@dataclasses.dataclass
class TrainResult:
    classifier: TextClassifier
    class_names: list
    metrics: dict
    export_path: str
    metadata: dict


def train_from_files(train_path, *, validation_path=None, validation_fraction=0.1, split_column=None,
                     train_split="train", validation_split="val", text_column="text",
                     label_column="label", forbidden_path=None, mask_column=None, rationale_column=None,
                     model_settings=None, fit_settings=None, export_dir="models",
                     model_name="saliency_classifier", version=None, encoding="utf-8", verbose=2,
                     checkpoint_dir=None):
    """The library behind ``audit-train train``.

    With ``checkpoint_dir``, the model and optimizer state are backed up at the end of every epoch;
    running the same command again after an interruption resumes from the last completed epoch.
    """
    model_settings = model_settings or ModelSettings()
    fit_settings = fit_settings or FitSettings()
    set_seed(fit_settings.seed)
    lexicon = load_lexicon(forbidden_path, encoding) if forbidden_path else None
    load = dict(text_column=text_column, label_column=label_column, mask_column=mask_column,
                rationale_column=rationale_column, encoding=encoding)
    if split_column:
        parts = load_corpus(train_path, split_column=split_column,
                            splits=[train_split, validation_split], **load)
        train_corpus, validation_corpus = parts[train_split], parts[validation_split]
        if not train_corpus.texts:
            raise InputError(f"no rows with {split_column} = {train_split!r}", train_path, None, split_column)
    else:
        train_corpus = load_corpus(train_path, **load)
        if validation_path:
            validation_corpus = load_corpus(validation_path, **load)
        elif validation_fraction > 0:
            order = np.random.default_rng(fit_settings.seed).permutation(len(train_corpus))
            cut = int(round(len(order) * validation_fraction))
            validation_corpus = train_corpus.subset(sorted(order[:cut]))
            train_corpus = train_corpus.subset(sorted(order[cut:]))
        else:
            validation_corpus = None
    if lexicon is None and mask_column is None and rationale_column is None and fit_settings.penalty_weight > 0:
        raise InputError("--penalty-weight > 0 needs a mask source: --forbidden, --mask-column or "
                         "--rationale-column")
    class_names = class_names_of(train_corpus.labels, train_path, label_column)
    label_index = {name: i for i, name in enumerate(class_names)}

    def label_ids(corpus, path):
        unknown = sorted(set(corpus.labels) - set(label_index))
        if unknown:
            raise InputError(f"labels {unknown[:5]} do not occur in the training data", path, None, label_column)
        return [label_index[label] for label in corpus.labels]

    vocabulary = build_vocabulary(train_corpus.texts, model_settings.vocabulary_size)
    classifier = build_classifier(vocabulary, len(class_names), model_settings)
    encode = lambda corpus, path: encode_examples(
        classifier, corpus.texts, label_ids(corpus, path), lexicon, corpus.word_masks, corpus.rationales)
    train_examples = encode(train_corpus, train_path)
    validation_examples = encode(validation_corpus, validation_path or train_path) \
        if validation_corpus is not None and len(validation_corpus) else None
    callbacks = [keras.callbacks.BackupAndRestore(checkpoint_dir)] if checkpoint_dir else []
    _, history = fit(classifier, train_examples, fit_settings, validation_examples, verbose, callbacks)
    metrics = {name: float(values[-1]) for name, values in history.history.items()}
    metadata = {
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "max_tokens": model_settings.max_tokens,
        "vocabulary_size": classifier.lookup.vocabulary_size(),
        "model": dataclasses.asdict(model_settings),
        "training": dataclasses.asdict(fit_settings),
        "penalty_weight": fit_settings.penalty_weight,
        "target": fit_settings.target,
        "reduction": fit_settings.reduction,
        "mask_sources": {"lexicon": forbidden_path and str(forbidden_path),
                         "lexicon_sha256": lexicon.sha256 if lexicon else None,
                         "mask_column": mask_column, "rationale_column": rationale_column},
        "training_data": {"path": str(train_path), "sha256": train_corpus.sha256,
                          "rows": len(train_corpus),
                          "validation_rows": len(validation_corpus) if validation_corpus else 0,
                          "forbidden_token_fraction": float(
                              train_examples.forbidden_mask.sum() / max((train_examples.ids > 0).sum(), 1))},
        "metrics": metrics,
    }
    export_path = export_model(classifier, class_names, export_dir, model_name, metadata,
                               fit_settings.reduction, version)
    return TrainResult(classifier, class_names, metrics, export_path, metadata)
