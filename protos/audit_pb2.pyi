from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RecordStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECORD_STATUS_UNSPECIFIED: _ClassVar[RecordStatus]
    RECORD_STATUS_SCORED: _ClassVar[RecordStatus]
    RECORD_STATUS_SKIPPED: _ClassVar[RecordStatus]
RECORD_STATUS_UNSPECIFIED: RecordStatus
RECORD_STATUS_SCORED: RecordStatus
RECORD_STATUS_SKIPPED: RecordStatus

class TokenSaliency(_message.Message):
    __slots__ = ("token", "position", "saliency", "forbidden")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    SALIENCY_FIELD_NUMBER: _ClassVar[int]
    FORBIDDEN_FIELD_NUMBER: _ClassVar[int]
    token: str
    position: int
    saliency: float
    forbidden: bool
    def __init__(self, token: _Optional[str] = ..., position: _Optional[int] = ..., saliency: _Optional[float] = ..., forbidden: bool = ...) -> None: ...

class ForbiddenTermHit(_message.Message):
    __slots__ = ("term", "start", "end", "saliency")
    TERM_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    SALIENCY_FIELD_NUMBER: _ClassVar[int]
    term: str
    start: int
    end: int
    saliency: float
    def __init__(self, term: _Optional[str] = ..., start: _Optional[int] = ..., end: _Optional[int] = ..., saliency: _Optional[float] = ...) -> None: ...

class TermReliance(_message.Message):
    __slots__ = ("term", "drop", "flips")
    TERM_FIELD_NUMBER: _ClassVar[int]
    DROP_FIELD_NUMBER: _ClassVar[int]
    FLIPS_FIELD_NUMBER: _ClassVar[int]
    term: str
    drop: float
    flips: bool
    def __init__(self, term: _Optional[str] = ..., drop: _Optional[float] = ..., flips: bool = ...) -> None: ...

class AuditRecord(_message.Message):
    __slots__ = ("row", "id", "status", "skip_reason", "text_sha256", "text", "predicted_label", "confidence", "probabilities", "forbidden_share", "saliency_mass", "flagged", "forbidden_terms", "top_tokens", "token_count", "explained_tokens", "truncated", "true_label", "has_rationale", "rationale_token_f1", "rationale_auprc", "reliance_measured", "reliance_drop", "reliance_flips", "term_reliance", "control_measured", "control_drop", "control_flips", "substituted", "substitution_variants", "substitution_gap_mean", "substitution_gap_max", "substitution_flips", "completeness_gap", "rationale_missing", "windows", "discovery_measured", "word_reliance")
    class ProbabilitiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    ROW_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SKIP_REASON_FIELD_NUMBER: _ClassVar[int]
    TEXT_SHA256_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    PREDICTED_LABEL_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    PROBABILITIES_FIELD_NUMBER: _ClassVar[int]
    FORBIDDEN_SHARE_FIELD_NUMBER: _ClassVar[int]
    SALIENCY_MASS_FIELD_NUMBER: _ClassVar[int]
    FLAGGED_FIELD_NUMBER: _ClassVar[int]
    FORBIDDEN_TERMS_FIELD_NUMBER: _ClassVar[int]
    TOP_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TOKEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    EXPLAINED_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    TRUE_LABEL_FIELD_NUMBER: _ClassVar[int]
    HAS_RATIONALE_FIELD_NUMBER: _ClassVar[int]
    RATIONALE_TOKEN_F1_FIELD_NUMBER: _ClassVar[int]
    RATIONALE_AUPRC_FIELD_NUMBER: _ClassVar[int]
    RELIANCE_MEASURED_FIELD_NUMBER: _ClassVar[int]
    RELIANCE_DROP_FIELD_NUMBER: _ClassVar[int]
    RELIANCE_FLIPS_FIELD_NUMBER: _ClassVar[int]
    TERM_RELIANCE_FIELD_NUMBER: _ClassVar[int]
    CONTROL_MEASURED_FIELD_NUMBER: _ClassVar[int]
    CONTROL_DROP_FIELD_NUMBER: _ClassVar[int]
    CONTROL_FLIPS_FIELD_NUMBER: _ClassVar[int]
    SUBSTITUTED_FIELD_NUMBER: _ClassVar[int]
    SUBSTITUTION_VARIANTS_FIELD_NUMBER: _ClassVar[int]
    SUBSTITUTION_GAP_MEAN_FIELD_NUMBER: _ClassVar[int]
    SUBSTITUTION_GAP_MAX_FIELD_NUMBER: _ClassVar[int]
    SUBSTITUTION_FLIPS_FIELD_NUMBER: _ClassVar[int]
    COMPLETENESS_GAP_FIELD_NUMBER: _ClassVar[int]
    RATIONALE_MISSING_FIELD_NUMBER: _ClassVar[int]
    WINDOWS_FIELD_NUMBER: _ClassVar[int]
    DISCOVERY_MEASURED_FIELD_NUMBER: _ClassVar[int]
    WORD_RELIANCE_FIELD_NUMBER: _ClassVar[int]
    row: int
    id: str
    status: RecordStatus
    skip_reason: str
    text_sha256: str
    text: str
    predicted_label: str
    confidence: float
    probabilities: _containers.ScalarMap[str, float]
    forbidden_share: float
    saliency_mass: float
    flagged: bool
    forbidden_terms: _containers.RepeatedCompositeFieldContainer[ForbiddenTermHit]
    top_tokens: _containers.RepeatedCompositeFieldContainer[TokenSaliency]
    token_count: int
    explained_tokens: int
    truncated: bool
    true_label: str
    has_rationale: bool
    rationale_token_f1: float
    rationale_auprc: float
    reliance_measured: bool
    reliance_drop: float
    reliance_flips: bool
    term_reliance: _containers.RepeatedCompositeFieldContainer[TermReliance]
    control_measured: bool
    control_drop: float
    control_flips: bool
    substituted: bool
    substitution_variants: int
    substitution_gap_mean: float
    substitution_gap_max: float
    substitution_flips: bool
    completeness_gap: float
    rationale_missing: bool
    windows: int
    discovery_measured: bool
    word_reliance: _containers.RepeatedCompositeFieldContainer[TermReliance]
    def __init__(self, row: _Optional[int] = ..., id: _Optional[str] = ..., status: _Optional[_Union[RecordStatus, str]] = ..., skip_reason: _Optional[str] = ..., text_sha256: _Optional[str] = ..., text: _Optional[str] = ..., predicted_label: _Optional[str] = ..., confidence: _Optional[float] = ..., probabilities: _Optional[_Mapping[str, float]] = ..., forbidden_share: _Optional[float] = ..., saliency_mass: _Optional[float] = ..., flagged: bool = ..., forbidden_terms: _Optional[_Iterable[_Union[ForbiddenTermHit, _Mapping]]] = ..., top_tokens: _Optional[_Iterable[_Union[TokenSaliency, _Mapping]]] = ..., token_count: _Optional[int] = ..., explained_tokens: _Optional[int] = ..., truncated: bool = ..., true_label: _Optional[str] = ..., has_rationale: bool = ..., rationale_token_f1: _Optional[float] = ..., rationale_auprc: _Optional[float] = ..., reliance_measured: bool = ..., reliance_drop: _Optional[float] = ..., reliance_flips: bool = ..., term_reliance: _Optional[_Iterable[_Union[TermReliance, _Mapping]]] = ..., control_measured: bool = ..., control_drop: _Optional[float] = ..., control_flips: bool = ..., substituted: bool = ..., substitution_variants: _Optional[int] = ..., substitution_gap_mean: _Optional[float] = ..., substitution_gap_max: _Optional[float] = ..., substitution_flips: bool = ..., completeness_gap: _Optional[float] = ..., rationale_missing: bool = ..., windows: _Optional[int] = ..., discovery_measured: bool = ..., word_reliance: _Optional[_Iterable[_Union[TermReliance, _Mapping]]] = ...) -> None: ...

class TermBias(_message.Message):
    __slots__ = ("term", "documents", "subgroup_auc", "bpsn_auc", "bnsp_auc", "pinned_auc", "subgroup_auc_interval", "bpsn_auc_interval", "bnsp_auc_interval")
    TERM_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    SUBGROUP_AUC_FIELD_NUMBER: _ClassVar[int]
    BPSN_AUC_FIELD_NUMBER: _ClassVar[int]
    BNSP_AUC_FIELD_NUMBER: _ClassVar[int]
    PINNED_AUC_FIELD_NUMBER: _ClassVar[int]
    SUBGROUP_AUC_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    BPSN_AUC_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    BNSP_AUC_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    term: str
    documents: int
    subgroup_auc: float
    bpsn_auc: float
    bnsp_auc: float
    pinned_auc: float
    subgroup_auc_interval: Interval
    bpsn_auc_interval: Interval
    bnsp_auc_interval: Interval
    def __init__(self, term: _Optional[str] = ..., documents: _Optional[int] = ..., subgroup_auc: _Optional[float] = ..., bpsn_auc: _Optional[float] = ..., bnsp_auc: _Optional[float] = ..., pinned_auc: _Optional[float] = ..., subgroup_auc_interval: _Optional[_Union[Interval, _Mapping]] = ..., bpsn_auc_interval: _Optional[_Union[Interval, _Mapping]] = ..., bnsp_auc_interval: _Optional[_Union[Interval, _Mapping]] = ...) -> None: ...

class ShareDistribution(_message.Message):
    __slots__ = ("documents", "mean", "median", "p90", "p99", "histogram")
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_FIELD_NUMBER: _ClassVar[int]
    P90_FIELD_NUMBER: _ClassVar[int]
    P99_FIELD_NUMBER: _ClassVar[int]
    HISTOGRAM_FIELD_NUMBER: _ClassVar[int]
    documents: int
    mean: float
    median: float
    p90: float
    p99: float
    histogram: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, documents: _Optional[int] = ..., mean: _Optional[float] = ..., median: _Optional[float] = ..., p90: _Optional[float] = ..., p99: _Optional[float] = ..., histogram: _Optional[_Iterable[int]] = ...) -> None: ...

class TermSummary(_message.Message):
    __slots__ = ("term", "documents", "occurrences", "saliency_mass", "mean_share")
    TERM_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCES_FIELD_NUMBER: _ClassVar[int]
    SALIENCY_MASS_FIELD_NUMBER: _ClassVar[int]
    MEAN_SHARE_FIELD_NUMBER: _ClassVar[int]
    term: str
    documents: int
    occurrences: int
    saliency_mass: float
    mean_share: float
    def __init__(self, term: _Optional[str] = ..., documents: _Optional[int] = ..., occurrences: _Optional[int] = ..., saliency_mass: _Optional[float] = ..., mean_share: _Optional[float] = ...) -> None: ...

class ClassSummary(_message.Message):
    __slots__ = ("label", "documents", "with_forbidden_terms", "flagged", "mean_forbidden_share", "flagged_fraction_interval")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    WITH_FORBIDDEN_TERMS_FIELD_NUMBER: _ClassVar[int]
    FLAGGED_FIELD_NUMBER: _ClassVar[int]
    MEAN_FORBIDDEN_SHARE_FIELD_NUMBER: _ClassVar[int]
    FLAGGED_FRACTION_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    label: str
    documents: int
    with_forbidden_terms: int
    flagged: int
    mean_forbidden_share: float
    flagged_fraction_interval: Interval
    def __init__(self, label: _Optional[str] = ..., documents: _Optional[int] = ..., with_forbidden_terms: _Optional[int] = ..., flagged: _Optional[int] = ..., mean_forbidden_share: _Optional[float] = ..., flagged_fraction_interval: _Optional[_Union[Interval, _Mapping]] = ...) -> None: ...

class GateResult(_message.Message):
    __slots__ = ("name", "limit", "observed", "passed", "description", "outcome", "interval", "documents_to_decide")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_TO_DECIDE_FIELD_NUMBER: _ClassVar[int]
    name: str
    limit: float
    observed: float
    passed: bool
    description: str
    outcome: str
    interval: Interval
    documents_to_decide: int
    def __init__(self, name: _Optional[str] = ..., limit: _Optional[float] = ..., observed: _Optional[float] = ..., passed: bool = ..., description: _Optional[str] = ..., outcome: _Optional[str] = ..., interval: _Optional[_Union[Interval, _Mapping]] = ..., documents_to_decide: _Optional[int] = ...) -> None: ...

class TermRelianceSummary(_message.Message):
    __slots__ = ("term", "documents", "mean_drop", "flipped", "flip_fraction", "flip_fraction_interval", "p_value", "adjusted_p_value", "finding")
    TERM_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    MEAN_DROP_FIELD_NUMBER: _ClassVar[int]
    FLIPPED_FIELD_NUMBER: _ClassVar[int]
    FLIP_FRACTION_FIELD_NUMBER: _ClassVar[int]
    FLIP_FRACTION_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    P_VALUE_FIELD_NUMBER: _ClassVar[int]
    ADJUSTED_P_VALUE_FIELD_NUMBER: _ClassVar[int]
    FINDING_FIELD_NUMBER: _ClassVar[int]
    term: str
    documents: int
    mean_drop: float
    flipped: int
    flip_fraction: float
    flip_fraction_interval: Interval
    p_value: float
    adjusted_p_value: float
    finding: str
    def __init__(self, term: _Optional[str] = ..., documents: _Optional[int] = ..., mean_drop: _Optional[float] = ..., flipped: _Optional[int] = ..., flip_fraction: _Optional[float] = ..., flip_fraction_interval: _Optional[_Union[Interval, _Mapping]] = ..., p_value: _Optional[float] = ..., adjusted_p_value: _Optional[float] = ..., finding: _Optional[str] = ...) -> None: ...

class WordRelianceSummary(_message.Message):
    __slots__ = ("word", "listed", "documents", "mean_drop", "mean_drop_interval", "flipped", "flip_fraction", "flip_fraction_interval", "finding")
    WORD_FIELD_NUMBER: _ClassVar[int]
    LISTED_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    MEAN_DROP_FIELD_NUMBER: _ClassVar[int]
    MEAN_DROP_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    FLIPPED_FIELD_NUMBER: _ClassVar[int]
    FLIP_FRACTION_FIELD_NUMBER: _ClassVar[int]
    FLIP_FRACTION_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    FINDING_FIELD_NUMBER: _ClassVar[int]
    word: str
    listed: bool
    documents: int
    mean_drop: float
    mean_drop_interval: Interval
    flipped: int
    flip_fraction: float
    flip_fraction_interval: Interval
    finding: str
    def __init__(self, word: _Optional[str] = ..., listed: bool = ..., documents: _Optional[int] = ..., mean_drop: _Optional[float] = ..., mean_drop_interval: _Optional[_Union[Interval, _Mapping]] = ..., flipped: _Optional[int] = ..., flip_fraction: _Optional[float] = ..., flip_fraction_interval: _Optional[_Union[Interval, _Mapping]] = ..., finding: _Optional[str] = ...) -> None: ...

class ClassDiscovery(_message.Message):
    __slots__ = ("label", "documents", "words")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    WORDS_FIELD_NUMBER: _ClassVar[int]
    label: str
    documents: int
    words: _containers.RepeatedCompositeFieldContainer[WordRelianceSummary]
    def __init__(self, label: _Optional[str] = ..., documents: _Optional[int] = ..., words: _Optional[_Iterable[_Union[WordRelianceSummary, _Mapping]]] = ...) -> None: ...

class Interval(_message.Message):
    __slots__ = ("low", "high")
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    low: float
    high: float
    def __init__(self, low: _Optional[float] = ..., high: _Optional[float] = ...) -> None: ...

class Estimate(_message.Message):
    __slots__ = ("value", "interval", "documents")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    value: float
    interval: Interval
    documents: int
    def __init__(self, value: _Optional[float] = ..., interval: _Optional[_Union[Interval, _Mapping]] = ..., documents: _Optional[int] = ...) -> None: ...

class AuditSummary(_message.Message):
    __slots__ = ("complete", "model_name", "model_version", "signature_name", "backend", "input_path", "input_sha256", "lexicon_path", "lexicon_sha256", "lexicon_terms", "threshold", "documents", "scored", "skipped", "with_forbidden_terms", "flagged", "flagged_fraction", "truncated", "share_distribution", "terms", "classes", "gates", "started_at", "finished_at", "seconds", "documents_per_second", "model_metadata_json", "redacted", "max_tokens", "labelled", "accuracy", "rationale_documents", "mean_rationale_token_f1", "mean_rationale_auprc", "toxic_auc", "term_bias", "pinned_auc_equality_difference", "toxic_classes", "reliance_documents", "mean_reliance_drop", "reliance_flipped", "reliance_flip_fraction", "term_reliance", "substitution_documents", "mean_substitution_gap", "mean_max_substitution_gap", "substitution_flipped", "attribution", "saliency_underreports_reliance", "verdict", "verdict_reason", "mean_abs_completeness_gap", "pinned_auc_equality_difference_sd", "pinned_auc_draws", "rationale_missing_documents", "labels_outside_model_classes", "out_of_vocabulary_terms", "label_space", "windowed", "window_stride", "max_document_tokens", "record_schema_version", "evaluations", "confidence", "reliance_flip_fraction_interval", "mean_reliance_drop_interval", "flip_margin", "reliance_decisive_flipped", "reliance_decisive_flip_fraction", "reliance_decisive_flip_fraction_interval", "control_documents", "control_flipped", "control_flip_fraction", "mean_control_drop", "excess_flip_fraction", "excess_mean_drop", "excess_flip_p_value", "flagged_fraction_interval", "accuracy_interval", "mean_share_interval", "substitution_flip_fraction_interval", "inconclusive_gates", "mean_substitution_gap_interval", "toxic_auc_interval", "discovery_sample", "discovery_max_words", "discovery_documents", "discovery_words", "discovery_supported_words", "discovery_min_documents", "discovery_reference_drop", "discovery_reference_terms", "discovered_words", "discovery_classes", "discovery_candidates")
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_NAME_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    INPUT_PATH_FIELD_NUMBER: _ClassVar[int]
    INPUT_SHA256_FIELD_NUMBER: _ClassVar[int]
    LEXICON_PATH_FIELD_NUMBER: _ClassVar[int]
    LEXICON_SHA256_FIELD_NUMBER: _ClassVar[int]
    LEXICON_TERMS_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    SCORED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    WITH_FORBIDDEN_TERMS_FIELD_NUMBER: _ClassVar[int]
    FLAGGED_FIELD_NUMBER: _ClassVar[int]
    FLAGGED_FRACTION_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    SHARE_DISTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    TERMS_FIELD_NUMBER: _ClassVar[int]
    CLASSES_FIELD_NUMBER: _ClassVar[int]
    GATES_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    MODEL_METADATA_JSON_FIELD_NUMBER: _ClassVar[int]
    REDACTED_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    LABELLED_FIELD_NUMBER: _ClassVar[int]
    ACCURACY_FIELD_NUMBER: _ClassVar[int]
    RATIONALE_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    MEAN_RATIONALE_TOKEN_F1_FIELD_NUMBER: _ClassVar[int]
    MEAN_RATIONALE_AUPRC_FIELD_NUMBER: _ClassVar[int]
    TOXIC_AUC_FIELD_NUMBER: _ClassVar[int]
    TERM_BIAS_FIELD_NUMBER: _ClassVar[int]
    PINNED_AUC_EQUALITY_DIFFERENCE_FIELD_NUMBER: _ClassVar[int]
    TOXIC_CLASSES_FIELD_NUMBER: _ClassVar[int]
    RELIANCE_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    MEAN_RELIANCE_DROP_FIELD_NUMBER: _ClassVar[int]
    RELIANCE_FLIPPED_FIELD_NUMBER: _ClassVar[int]
    RELIANCE_FLIP_FRACTION_FIELD_NUMBER: _ClassVar[int]
    TERM_RELIANCE_FIELD_NUMBER: _ClassVar[int]
    SUBSTITUTION_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    MEAN_SUBSTITUTION_GAP_FIELD_NUMBER: _ClassVar[int]
    MEAN_MAX_SUBSTITUTION_GAP_FIELD_NUMBER: _ClassVar[int]
    SUBSTITUTION_FLIPPED_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    SALIENCY_UNDERREPORTS_RELIANCE_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    VERDICT_REASON_FIELD_NUMBER: _ClassVar[int]
    MEAN_ABS_COMPLETENESS_GAP_FIELD_NUMBER: _ClassVar[int]
    PINNED_AUC_EQUALITY_DIFFERENCE_SD_FIELD_NUMBER: _ClassVar[int]
    PINNED_AUC_DRAWS_FIELD_NUMBER: _ClassVar[int]
    RATIONALE_MISSING_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    LABELS_OUTSIDE_MODEL_CLASSES_FIELD_NUMBER: _ClassVar[int]
    OUT_OF_VOCABULARY_TERMS_FIELD_NUMBER: _ClassVar[int]
    LABEL_SPACE_FIELD_NUMBER: _ClassVar[int]
    WINDOWED_FIELD_NUMBER: _ClassVar[int]
    WINDOW_STRIDE_FIELD_NUMBER: _ClassVar[int]
    MAX_DOCUMENT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    RECORD_SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    EVALUATIONS_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    RELIANCE_FLIP_FRACTION_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    MEAN_RELIANCE_DROP_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    FLIP_MARGIN_FIELD_NUMBER: _ClassVar[int]
    RELIANCE_DECISIVE_FLIPPED_FIELD_NUMBER: _ClassVar[int]
    RELIANCE_DECISIVE_FLIP_FRACTION_FIELD_NUMBER: _ClassVar[int]
    RELIANCE_DECISIVE_FLIP_FRACTION_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    CONTROL_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    CONTROL_FLIPPED_FIELD_NUMBER: _ClassVar[int]
    CONTROL_FLIP_FRACTION_FIELD_NUMBER: _ClassVar[int]
    MEAN_CONTROL_DROP_FIELD_NUMBER: _ClassVar[int]
    EXCESS_FLIP_FRACTION_FIELD_NUMBER: _ClassVar[int]
    EXCESS_MEAN_DROP_FIELD_NUMBER: _ClassVar[int]
    EXCESS_FLIP_P_VALUE_FIELD_NUMBER: _ClassVar[int]
    FLAGGED_FRACTION_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    ACCURACY_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    MEAN_SHARE_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    SUBSTITUTION_FLIP_FRACTION_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    INCONCLUSIVE_GATES_FIELD_NUMBER: _ClassVar[int]
    MEAN_SUBSTITUTION_GAP_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    TOXIC_AUC_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    DISCOVERY_SAMPLE_FIELD_NUMBER: _ClassVar[int]
    DISCOVERY_MAX_WORDS_FIELD_NUMBER: _ClassVar[int]
    DISCOVERY_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    DISCOVERY_WORDS_FIELD_NUMBER: _ClassVar[int]
    DISCOVERY_SUPPORTED_WORDS_FIELD_NUMBER: _ClassVar[int]
    DISCOVERY_MIN_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    DISCOVERY_REFERENCE_DROP_FIELD_NUMBER: _ClassVar[int]
    DISCOVERY_REFERENCE_TERMS_FIELD_NUMBER: _ClassVar[int]
    DISCOVERED_WORDS_FIELD_NUMBER: _ClassVar[int]
    DISCOVERY_CLASSES_FIELD_NUMBER: _ClassVar[int]
    DISCOVERY_CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    complete: bool
    model_name: str
    model_version: int
    signature_name: str
    backend: str
    input_path: str
    input_sha256: str
    lexicon_path: str
    lexicon_sha256: str
    lexicon_terms: int
    threshold: float
    documents: int
    scored: int
    skipped: int
    with_forbidden_terms: int
    flagged: int
    flagged_fraction: float
    truncated: int
    share_distribution: ShareDistribution
    terms: _containers.RepeatedCompositeFieldContainer[TermSummary]
    classes: _containers.RepeatedCompositeFieldContainer[ClassSummary]
    gates: _containers.RepeatedCompositeFieldContainer[GateResult]
    started_at: str
    finished_at: str
    seconds: float
    documents_per_second: float
    model_metadata_json: str
    redacted: bool
    max_tokens: int
    labelled: int
    accuracy: float
    rationale_documents: int
    mean_rationale_token_f1: float
    mean_rationale_auprc: float
    toxic_auc: float
    term_bias: _containers.RepeatedCompositeFieldContainer[TermBias]
    pinned_auc_equality_difference: float
    toxic_classes: _containers.RepeatedScalarFieldContainer[str]
    reliance_documents: int
    mean_reliance_drop: float
    reliance_flipped: int
    reliance_flip_fraction: float
    term_reliance: _containers.RepeatedCompositeFieldContainer[TermRelianceSummary]
    substitution_documents: int
    mean_substitution_gap: float
    mean_max_substitution_gap: float
    substitution_flipped: int
    attribution: str
    saliency_underreports_reliance: bool
    verdict: str
    verdict_reason: str
    mean_abs_completeness_gap: float
    pinned_auc_equality_difference_sd: float
    pinned_auc_draws: int
    rationale_missing_documents: int
    labels_outside_model_classes: int
    out_of_vocabulary_terms: _containers.RepeatedScalarFieldContainer[str]
    label_space: str
    windowed: int
    window_stride: int
    max_document_tokens: int
    record_schema_version: int
    evaluations: _containers.RepeatedScalarFieldContainer[str]
    confidence: float
    reliance_flip_fraction_interval: Interval
    mean_reliance_drop_interval: Interval
    flip_margin: float
    reliance_decisive_flipped: int
    reliance_decisive_flip_fraction: float
    reliance_decisive_flip_fraction_interval: Interval
    control_documents: int
    control_flipped: int
    control_flip_fraction: Estimate
    mean_control_drop: Estimate
    excess_flip_fraction: Estimate
    excess_mean_drop: Estimate
    excess_flip_p_value: float
    flagged_fraction_interval: Interval
    accuracy_interval: Interval
    mean_share_interval: Interval
    substitution_flip_fraction_interval: Interval
    inconclusive_gates: int
    mean_substitution_gap_interval: Interval
    toxic_auc_interval: Interval
    discovery_sample: float
    discovery_max_words: int
    discovery_documents: int
    discovery_words: int
    discovery_supported_words: int
    discovery_min_documents: int
    discovery_reference_drop: float
    discovery_reference_terms: int
    discovered_words: _containers.RepeatedCompositeFieldContainer[WordRelianceSummary]
    discovery_classes: _containers.RepeatedCompositeFieldContainer[ClassDiscovery]
    discovery_candidates: int
    def __init__(self, complete: bool = ..., model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., signature_name: _Optional[str] = ..., backend: _Optional[str] = ..., input_path: _Optional[str] = ..., input_sha256: _Optional[str] = ..., lexicon_path: _Optional[str] = ..., lexicon_sha256: _Optional[str] = ..., lexicon_terms: _Optional[int] = ..., threshold: _Optional[float] = ..., documents: _Optional[int] = ..., scored: _Optional[int] = ..., skipped: _Optional[int] = ..., with_forbidden_terms: _Optional[int] = ..., flagged: _Optional[int] = ..., flagged_fraction: _Optional[float] = ..., truncated: _Optional[int] = ..., share_distribution: _Optional[_Union[ShareDistribution, _Mapping]] = ..., terms: _Optional[_Iterable[_Union[TermSummary, _Mapping]]] = ..., classes: _Optional[_Iterable[_Union[ClassSummary, _Mapping]]] = ..., gates: _Optional[_Iterable[_Union[GateResult, _Mapping]]] = ..., started_at: _Optional[str] = ..., finished_at: _Optional[str] = ..., seconds: _Optional[float] = ..., documents_per_second: _Optional[float] = ..., model_metadata_json: _Optional[str] = ..., redacted: bool = ..., max_tokens: _Optional[int] = ..., labelled: _Optional[int] = ..., accuracy: _Optional[float] = ..., rationale_documents: _Optional[int] = ..., mean_rationale_token_f1: _Optional[float] = ..., mean_rationale_auprc: _Optional[float] = ..., toxic_auc: _Optional[float] = ..., term_bias: _Optional[_Iterable[_Union[TermBias, _Mapping]]] = ..., pinned_auc_equality_difference: _Optional[float] = ..., toxic_classes: _Optional[_Iterable[str]] = ..., reliance_documents: _Optional[int] = ..., mean_reliance_drop: _Optional[float] = ..., reliance_flipped: _Optional[int] = ..., reliance_flip_fraction: _Optional[float] = ..., term_reliance: _Optional[_Iterable[_Union[TermRelianceSummary, _Mapping]]] = ..., substitution_documents: _Optional[int] = ..., mean_substitution_gap: _Optional[float] = ..., mean_max_substitution_gap: _Optional[float] = ..., substitution_flipped: _Optional[int] = ..., attribution: _Optional[str] = ..., saliency_underreports_reliance: bool = ..., verdict: _Optional[str] = ..., verdict_reason: _Optional[str] = ..., mean_abs_completeness_gap: _Optional[float] = ..., pinned_auc_equality_difference_sd: _Optional[float] = ..., pinned_auc_draws: _Optional[int] = ..., rationale_missing_documents: _Optional[int] = ..., labels_outside_model_classes: _Optional[int] = ..., out_of_vocabulary_terms: _Optional[_Iterable[str]] = ..., label_space: _Optional[str] = ..., windowed: _Optional[int] = ..., window_stride: _Optional[int] = ..., max_document_tokens: _Optional[int] = ..., record_schema_version: _Optional[int] = ..., evaluations: _Optional[_Iterable[str]] = ..., confidence: _Optional[float] = ..., reliance_flip_fraction_interval: _Optional[_Union[Interval, _Mapping]] = ..., mean_reliance_drop_interval: _Optional[_Union[Interval, _Mapping]] = ..., flip_margin: _Optional[float] = ..., reliance_decisive_flipped: _Optional[int] = ..., reliance_decisive_flip_fraction: _Optional[float] = ..., reliance_decisive_flip_fraction_interval: _Optional[_Union[Interval, _Mapping]] = ..., control_documents: _Optional[int] = ..., control_flipped: _Optional[int] = ..., control_flip_fraction: _Optional[_Union[Estimate, _Mapping]] = ..., mean_control_drop: _Optional[_Union[Estimate, _Mapping]] = ..., excess_flip_fraction: _Optional[_Union[Estimate, _Mapping]] = ..., excess_mean_drop: _Optional[_Union[Estimate, _Mapping]] = ..., excess_flip_p_value: _Optional[float] = ..., flagged_fraction_interval: _Optional[_Union[Interval, _Mapping]] = ..., accuracy_interval: _Optional[_Union[Interval, _Mapping]] = ..., mean_share_interval: _Optional[_Union[Interval, _Mapping]] = ..., substitution_flip_fraction_interval: _Optional[_Union[Interval, _Mapping]] = ..., inconclusive_gates: _Optional[int] = ..., mean_substitution_gap_interval: _Optional[_Union[Interval, _Mapping]] = ..., toxic_auc_interval: _Optional[_Union[Interval, _Mapping]] = ..., discovery_sample: _Optional[float] = ..., discovery_max_words: _Optional[int] = ..., discovery_documents: _Optional[int] = ..., discovery_words: _Optional[int] = ..., discovery_supported_words: _Optional[int] = ..., discovery_min_documents: _Optional[int] = ..., discovery_reference_drop: _Optional[float] = ..., discovery_reference_terms: _Optional[int] = ..., discovered_words: _Optional[_Iterable[_Union[WordRelianceSummary, _Mapping]]] = ..., discovery_classes: _Optional[_Iterable[_Union[ClassDiscovery, _Mapping]]] = ..., discovery_candidates: _Optional[int] = ...) -> None: ...
