"""What a training run is asked to do, as typed settings (no TensorFlow: the command line declares its options from
here and starts fast)."""

import dataclasses

from trainer.penalties import PenaltyConfig

# What the classifier reads of the LSTM's states (TextClassifier's pooling).
POOLINGS = ("last", "max", "attention")
DEFAULT_INTEGRATED_GRADIENTS_STEPS = 16  # midpoint steps of the exported integrated_gradients signature


@dataclasses.dataclass
class ModelSettings:
    max_tokens: int = 60
    vocabulary_size: int = 20000
    embedding_dim: int = 64
    hidden_units: int = 64
    bidirectional: bool = False
    unroll: bool = False
    pooling: str = "last"  # POOLINGS: the last state, or max / attention over every state
    lexicon_in_vocabulary: bool = False  # put every lexicon / substitution token in the vocabulary
    window_stride: int = None  # train on windows of T tokens this far apart over longer texts (None: the first T)
    word_vectors: str = "none"  # trainer.word_vectors.WORD_VECTORS: "word2vec" starts the embedding from word2vec


CLASS_WEIGHTS = ("balanced",)


@dataclasses.dataclass
class FitSettings:
    penalty: PenaltyConfig = dataclasses.field(default_factory=PenaltyConfig)
    epochs: int = 5
    batch_size: int = 64
    learning_rate: float = 1e-3
    seed: int = 0
    class_weight: str = None  # None, or "balanced": weight n / (C * n_class) on each example's loss
    restore_best: str = None  # a validation metric (e.g. "val_accuracy"): keep the weights of its best epoch
    # Batches of examples of similar length (encoding.make_dataset): the LSTM steps over each batch's longest text
    # only, so short texts train faster. Off by default: it changes which examples share a batch, and the
    # published evidence was measured without it.
    length_buckets: bool = False


@dataclasses.dataclass
class DataSources:
    """Where ``audit-train`` reads its data: columns, splits and the sources of the forbidden mask."""
    text_column: str = "text"
    label_column: str = "label"
    mask_column: str = None
    rationale_column: str = None
    split_column: str = None
    train_split: str = "train"
    validation_split: str = "val"
    validation_path: str = None
    validation_fraction: float = 0.1
    forbidden_path: str = None
    substitutions_path: str = None
    encoding: str = "utf-8"


@dataclasses.dataclass
class ExportSettings:
    export_dir: str = "models"
    model_name: str = "saliency_classifier"
    version: int = None
    integrated_gradients_steps: int = DEFAULT_INTEGRATED_GRADIENTS_STEPS
