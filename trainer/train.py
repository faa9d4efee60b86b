"""Training in four steps: load (files -> corpora) -> prepare (vocabulary, classifier, encoded examples)
-> fit (RightReasonsModel) -> export (SavedModel). ``train_from_files`` runs all four for
``audit-train``; ``train_in_memory`` runs prepare and fit on corpora already in memory (benchmarks)."""

import dataclasses
import datetime
import math

import keras
import numpy as np

from saliency_core.errors import InputError
from saliency_core.lexicon import Lexicon, load_lexicon
from saliency_core.substitutions import SubstitutionGroups, load_substitutions
from trainer.corpus import Corpus, class_names_of, load_corpus, window_corpus
from trainer.encoding import (
    EncodedExamples,
    balanced_sample_weights,
    build_vocabulary,
    encode_examples,
    make_dataset,
    vocabulary_coverage,
)
from trainer.export import export_model
from trainer.model import RightReasonsModel, TextClassifier
from trainer.penalties.base import PADDING_ID, UNKNOWN_ID
from trainer.settings import CLASS_WEIGHTS, DataSources, ExportSettings, FitSettings, ModelSettings  # noqa: F401
from trainer.word_vectors import WORD_VECTORS, initialise_embedding, word2vec_vectors


@dataclasses.dataclass
class TrainingData:
    """Loaded corpora and mask sources, before anything depends on the model."""
    train: Corpus
    validation: Corpus = None
    class_names: list = None
    lexicon: Lexicon = None
    substitutions: SubstitutionGroups = None


class TrainingDiverged(RuntimeError):
    pass


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop at the first NaN/inf loss and say which step and lambda caused it."""

    def __init__(self, penalty_config):
        super().__init__()
        self.penalty_config = penalty_config
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            raise TrainingDiverged(
                f"loss became {float(loss)} at epoch {self.epoch + 1}, step {batch + 1} with penalty "
                f"{self.penalty_config.name} (input-gradient lambda={self.penalty_config.input_gradient_weight:g}, "
                f"counterfactual lambda={self.penalty_config.counterfactual_weight:g}); lower --penalty-weight or "
                "--learning-rate")


def build_classifier(vocabulary: list[str], num_classes: int, model_settings: ModelSettings) -> TextClassifier:
    return TextClassifier(vocabulary, num_classes, model_settings.max_tokens,
                          model_settings.embedding_dim, model_settings.hidden_units,
                          model_settings.bidirectional, model_settings.unroll, model_settings.pooling)


def fit(classifier: TextClassifier, train_examples: EncodedExamples, fit_settings: FitSettings,
        validation_examples: EncodedExamples | None = None, verbose: int = 2,
        callbacks: tuple = ()) -> tuple[RightReasonsModel, keras.callbacks.History]:
    """Train ``classifier`` in place with the penalty; returns (RightReasonsModel, keras History)."""
    # The tokens the forbidden mask covers anywhere in the training data: the listed terms' ids, for a penalty that
    # reaches beyond the masked positions (subspace).
    listed_ids = np.unique(np.asarray(train_examples.ids)[np.asarray(train_examples.forbidden_mask) > 0.5])
    listed_ids = listed_ids[~np.isin(listed_ids, (PADDING_ID, UNKNOWN_ID))]  # the unknown-word id is every such word
    model = RightReasonsModel(classifier, fit_settings.penalty, listed_ids)
    # No XLA: Keras refuses jit_compile for a model holding a TextVectorization layer.
    model.compile(optimizer=keras.optimizers.Adam(fit_settings.learning_rate), jit_compile=False,
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    if fit_settings.class_weight == "balanced":
        train_examples.sample_weight = balanced_sample_weights(
            train_examples.labels, classifier.output_layer.units)
    # Built before fit, so that BackupAndRestore can restore weights into it.
    model({"ids": train_examples.ids[:1], "forbidden_mask": train_examples.forbidden_mask[:1]})
    model.optimizer.build(model.trainable_variables)
    validation = None
    if validation_examples is not None and len(validation_examples.labels):
        validation = make_dataset(validation_examples, fit_settings.batch_size)
    callbacks = list(callbacks)
    best = None
    if fit_settings.restore_best:
        if validation is None:
            raise InputError("--restore-best needs validation data (--validation, --split-column or "
                             "--validation-fraction > 0)")
        # Never stops early (patience = epochs); restores the weights of the best epoch at the end.
        best = keras.callbacks.EarlyStopping(monitor=fit_settings.restore_best, patience=fit_settings.epochs,
                                             restore_best_weights=True, verbose=0)
        callbacks.append(best)
    history = model.fit(
        make_dataset(train_examples, fit_settings.batch_size, fit_settings.seed, fit_settings.length_buckets),
        validation_data=validation, epochs=fit_settings.epochs, verbose=verbose,
        # The dataset shuffles itself (seeded); Keras ignores shuffle for a dataset and warns unless told False.
        shuffle=False, callbacks=[StopOnNonFiniteLoss(fit_settings.penalty), *callbacks])
    if best is not None:
        if fit_settings.restore_best not in history.history:
            raise InputError(f"--restore-best {fit_settings.restore_best!r} is not a logged metric; choose one of "
                             f"{sorted(k for k in history.history if k.startswith('val_'))}")
        history.restored_epoch = int(best.best_epoch)  # 0-based
    return model, history


def set_seed(seed: int) -> None:
    keras.utils.set_random_seed(seed)


@dataclasses.dataclass
class PreparedTraining:
    classifier: TextClassifier
    train_examples: EncodedExamples
    validation_examples: EncodedExamples = None
    vocabulary_coverage: dict = None


@dataclasses.dataclass
class TrainResult:
    classifier: TextClassifier
    class_names: list
    metrics: dict
    export_path: str
    metadata: dict


def load_training_data(train_path: str, sources: DataSources | None = None, seed: int = 0) -> TrainingData:
    """Step 1: read the corpora and mask sources named by ``sources`` (a DataSources)."""
    sources = sources or DataSources()
    lexicon = load_lexicon(sources.forbidden_path, sources.encoding) if sources.forbidden_path else None
    substitutions = load_substitutions(sources.substitutions_path, sources.encoding) \
        if sources.substitutions_path else None
    load = dict(text_column=sources.text_column, label_column=sources.label_column,
                mask_column=sources.mask_column, rationale_column=sources.rationale_column,
                encoding=sources.encoding)
    if sources.split_column:
        parts = load_corpus(train_path, split_column=sources.split_column,
                            splits=[sources.train_split, sources.validation_split], **load)
        train, validation = parts[sources.train_split], parts[sources.validation_split]
        if not train.texts:
            raise InputError(f"no rows with {sources.split_column} = {sources.train_split!r}", train_path, None,
                             sources.split_column)
    else:
        train = load_corpus(train_path, **load)
        validation = None
        if sources.validation_path:
            validation = load_corpus(sources.validation_path, **load)
        elif sources.validation_fraction > 0:
            order = np.random.default_rng(seed).permutation(len(train))
            cut = int(round(len(order) * sources.validation_fraction))
            validation = train.subset(sorted(order[:cut]))
            train = train.subset(sorted(order[cut:]))
    class_names = class_names_of(train.labels, train_path, sources.label_column)
    for corpus, path in ((train, train_path), (validation, sources.validation_path or train_path)):
        unknown = sorted(set(corpus.labels) - set(class_names)) if corpus is not None else []
        if unknown:
            raise InputError(f"labels {unknown[:5]} do not occur in the training data", path, None,
                             sources.label_column)
    return TrainingData(train, validation if validation is not None and len(validation) else None,
                        class_names, lexicon, substitutions)


def prepare(data: TrainingData, model_settings: ModelSettings | None = None, seed: int = 0) -> PreparedTraining:
    """Step 2: vocabulary from the training texts, the classifier, and encoded examples (masks, substitutes)."""
    model_settings = model_settings or ModelSettings()
    class_names = data.class_names or class_names_of(data.train.labels)
    label_index = {name: i for i, name in enumerate(class_names)}
    required = ()
    if model_settings.lexicon_in_vocabulary:
        phrases = list(data.lexicon.phrases) if data.lexicon is not None else []
        phrases += list(data.substitutions.lexicon.phrases) if data.substitutions is not None else []
        required = tuple(token for phrase in phrases for token in phrase)
    vocabulary = build_vocabulary(data.train.texts, model_settings.vocabulary_size, required)
    classifier = build_classifier(vocabulary, len(class_names), model_settings)

    stride = model_settings.window_stride
    if stride is not None and not 1 <= stride <= model_settings.max_tokens:
        raise InputError(f"--window-stride {stride} must be between 1 and --max-tokens {model_settings.max_tokens}")

    def encode(corpus):
        if stride is not None:  # every token of a long text is trained on, as the audit explains every token
            corpus = window_corpus(corpus, model_settings.max_tokens, stride)
        return encode_examples(classifier, corpus.texts, [label_index[label] for label in corpus.labels],
                               data.lexicon, corpus.word_masks, corpus.rationales, data.substitutions, seed)

    if model_settings.word_vectors == "word2vec":  # on the texts themselves: windows would count words twice
        initialise_embedding(classifier, word2vec_vectors(data.train.texts, model_settings.embedding_dim, seed))
    elif model_settings.word_vectors != "none":
        raise InputError(f"--word-vectors must be one of {WORD_VECTORS}, not {model_settings.word_vectors!r}")
    return PreparedTraining(classifier, encode(data.train),
                            encode(data.validation) if data.validation is not None else None,
                            vocabulary_coverage(vocabulary, data))


def check_mask_sources(data: TrainingData, fit_settings: FitSettings) -> None:
    has_source = data.lexicon is not None or data.substitutions is not None or \
        data.train.word_masks is not None or data.train.rationales is not None
    if fit_settings.penalty.active and not has_source:
        raise InputError("a penalty weight > 0 needs a mask source: --forbidden, --substitutions, --mask-column "
                         "or --rationale-column")


def train_in_memory(data: TrainingData, model_settings: ModelSettings | None = None,
                    fit_settings: FitSettings | None = None, verbose: int = 0,
                    callbacks: tuple = ()) -> tuple[PreparedTraining, keras.callbacks.History]:
    """Steps 2 and 3 on a TrainingData already in memory: returns (PreparedTraining, keras History)."""
    fit_settings = fit_settings or FitSettings()
    check_mask_sources(data, fit_settings)
    set_seed(fit_settings.seed)
    prepared = prepare(data, model_settings, fit_settings.seed)
    _, history = fit(prepared.classifier, prepared.train_examples, fit_settings, prepared.validation_examples,
                     verbose, callbacks)
    return prepared, history


def training_metadata(train_path: str, data: TrainingData, prepared: PreparedTraining, model_settings: ModelSettings,
                      fit_settings: FitSettings, sources: DataSources, metrics: dict, restored: int = None) -> dict:
    examples = prepared.train_examples
    penalty_config = fit_settings.penalty
    return {
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "max_tokens": model_settings.max_tokens,
        "vocabulary_size": prepared.classifier.lookup.vocabulary_size(),
        "model": dataclasses.asdict(model_settings),
        "training": {**dataclasses.asdict(fit_settings), "penalty": dataclasses.asdict(penalty_config)},
        "penalty": {"name": penalty_config.name, **dataclasses.asdict(penalty_config)},
        # Kept at the top level for clients of contract version 1.
        "penalty_weight": penalty_config.input_gradient_weight,
        "target": penalty_config.target,
        "reduction": penalty_config.reduction,
        "mask_sources": {"lexicon": sources.forbidden_path and str(sources.forbidden_path),
                         "lexicon_sha256": data.lexicon.sha256 if data.lexicon else None,
                         "lexicon_notes": data.lexicon.notes if data.lexicon else [],
                         "substitutions": sources.substitutions_path and str(sources.substitutions_path),
                         "substitutions_sha256": data.substitutions.sha256 if data.substitutions else None,
                         "mask_column": sources.mask_column, "rationale_column": sources.rationale_column},
        "training_data": {"path": str(train_path), "sha256": data.train.sha256, "rows": len(data.train),
                          "examples": len(examples.labels),  # rows, or windows with --window-stride
                          "validation_rows": len(data.validation) if data.validation is not None else 0,
                          "forbidden_token_fraction": float(
                              examples.forbidden_mask.sum() / max((examples.ids > 0).sum(), 1)),
                          "substituted_fraction": float(examples.has_substitute.mean())
                          if examples.has_substitute is not None and len(examples.has_substitute) else 0.0},
        "metrics": metrics,
        "restore_best": {"monitor": fit_settings.restore_best, "epoch": restored + 1} if restored is not None else None,
        "vocabulary_coverage": prepared.vocabulary_coverage,
        # The audit checks its lexicon against this (terms outside it all share the unknown-word id).
        "vocabulary": list(prepared.classifier.lookup.get_vocabulary()),
    }


def train_from_files(train_path: str, sources: DataSources | None = None, model_settings: ModelSettings | None = None,
                     fit_settings: FitSettings | None = None, export_settings: ExportSettings | None = None,
                     verbose: int = 2, checkpoint_dir: str | None = None) -> TrainResult:
    """The library behind ``audit-train train``: load, prepare, fit, export.

    With ``checkpoint_dir``, the model and optimizer state are backed up at the end of every epoch;
    running the same command again after an interruption resumes from the last completed epoch.
    """
    sources = sources or DataSources()
    model_settings = model_settings or ModelSettings()
    fit_settings = fit_settings or FitSettings()
    export_settings = export_settings or ExportSettings()
    set_seed(fit_settings.seed)
    data = load_training_data(train_path, sources, fit_settings.seed)
    callbacks = [keras.callbacks.BackupAndRestore(checkpoint_dir)] if checkpoint_dir else []
    prepared, history = train_in_memory(data, model_settings, fit_settings, verbose, callbacks)
    epoch = getattr(history, "restored_epoch", -1)  # the metrics of the weights that are exported
    metrics = {name: float(values[epoch]) for name, values in history.history.items()}
    metadata = training_metadata(train_path, data, prepared, model_settings, fit_settings, sources, metrics,
                                 getattr(history, "restored_epoch", None))
    export_path = export_model(prepared.classifier, data.class_names, export_settings.export_dir,
                               export_settings.model_name, metadata, fit_settings.penalty.reduction,
                               export_settings.version, export_settings.integrated_gradients_steps)
    return TrainResult(prepared.classifier, data.class_names, metrics, export_path, metadata)
