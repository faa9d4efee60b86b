"""audit-train: a thin command-line layer over trainer's library functions. TensorFlow loads only once a command
runs, so --help is instant and TensorFlow's start-up lines stay off the terminal unless --verbose."""

import dataclasses
import re

import click

from cli_common.console import quiet_tensorflow, set_verbosity
from cli_common.errors import exit_on_input_error
from cli_common.extras import require_extra
from cli_common.types import FiniteFloatRange
from saliency_core import contract
from trainer import penalties
from trainer.penalties import PENALTIES, PenaltyConfig
from trainer.settings import CLASS_WEIGHTS, POOLINGS, DataSources, ExportSettings, FitSettings, ModelSettings
from trainer.word_vectors import WORD_VECTORS


def _bad_model_name(value):
    raise click.BadParameter(f"{value!r} must be one folder name of letters, digits, '.', '_', '-' (it is the "
                             "model's folder under --export-dir)")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", is_flag=True, help="Show TensorFlow's start-up logging and warnings.")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error instead of one line.")
def main(verbose, debug):
    """Train right-for-the-right-reasons text classifiers and export them for TF Serving."""
    set_verbosity(verbose, debug)


@main.command()
@click.argument("train_path", metavar="TRAIN.csv", type=click.Path(dir_okay=False))
@click.option("--validation", "validation_path", type=click.Path(dir_okay=False), help="Validation CSV/JSONL.")
@click.option("--validation-fraction", type=FiniteFloatRange(0.0, 0.9), default=0.1, show_default=True,
              help="Held out from TRAIN when there is no --validation or --split-column.")
@click.option("--split-column", help="Column naming each row's split; see --train-split, --validation-split.")
@click.option("--train-split", default="train", show_default=True)
@click.option("--validation-split", default="val", show_default=True)
@click.option("--text-column", default="text", show_default=True)
@click.option("--label-column", default="label", show_default=True)
@click.option("--forbidden", "forbidden_path", type=click.Path(dir_okay=False),
              help="Forbidden lexicon: one word or phrase per line.")
@click.option("--mask-column", help="Per-word forbidden marks: 0/1 string or JSON [start, end) word spans.")
@click.option("--rationale-column", help="Per-word human rationale (1 = important); the rest is penalised.")
@click.option("--substitutions", "substitutions_path", type=click.Path(dir_okay=False),
              help="Substitution groups, one per line, comma-separated (e.g. 'gay, straight'): the counterfactual "
                   "penalty also pairs each term with its substitutes.")
@click.option("--penalty", "penalty_name", type=click.Choice(PENALTIES), default="counterfactual", show_default=True,
              help="counterfactual: divergence between p(x) and p(x without forbidden tokens) (and substitutes); "
                   "input-gradient: the squared input gradient on forbidden tokens (Ross et al. 2017); both; "
                   "subspace: see --subspace-weight.")
@click.option("--penalty-weight", "--lambda", "penalty_weight", type=FiniteFloatRange(min=0.0), default=0.0,
              show_default=True, help="lambda of --penalty (0 = vanilla training); with 'both', of input-gradient.")
@click.option("--counterfactual-weight", type=FiniteFloatRange(min=0.0),
              help="With --penalty both: lambda of the counterfactual term (default: --penalty-weight).")
@click.option("--subspace-weight", type=FiniteFloatRange(min=0.0),
              help="Also the subspace penalty at this lambda: p(x) must not change when every token loses its "
                   "component along the listed terms' embedding directions, which reaches unlisted words whose "
                   "embeddings share them (start embeddings with --word-vectors word2vec).")
@click.option("--subspace-rank", type=click.IntRange(min=1), default=8, show_default=True,
              help="Principal directions of the listed terms' embeddings the subspace penalty spans.")
@click.option("--divergence", type=click.Choice(penalties.DIVERGENCES), default="logit-pairing", show_default=True,
              help="Counterfactual divergence: logit-pairing = squared difference of centred logits; kl = "
                   "KL(p(x) || p(x')). Both removed decoy reliance; logit pairing did so at lower lambda (README).")
@click.option("--target", type=click.Choice(penalties.TARGETS), default="predicted", show_default=True,
              help="Input-gradient target: predicted = log p of each example's predicted class; all = sum_k log p_k.")
@click.option("--reduction", type=click.Choice(penalties.REDUCTIONS), default="l2", show_default=True,
              help="Input-gradient r(g): l2 = ||g|| over the embedding; sum = sum_d g (dimensions can cancel).")
@click.option("--class-weight", type=click.Choice(CLASS_WEIGHTS),
              help="balanced: weight each example's loss by n / (classes * n_class), for imbalanced data.")
@click.option("--epochs", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--learning-rate", type=FiniteFloatRange(min=0.0, min_open=True), default=1e-3, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--max-tokens", type=click.IntRange(min=1), default=60, show_default=True,
              help="T: tokens per model call; longer texts are truncated, or cut into windows with --window-stride.")
@click.option("--window-stride", type=click.IntRange(min=1), metavar="TOKENS",
              help="Train on every token of longer texts: windows of T tokens this far apart (at most T), each with "
                   "the text's label, mask and rationale slice, as the audit cuts them; the audit then uses this "
                   "stride by default.")
@click.option("--vocabulary-size", type=click.IntRange(min=3), default=20000, show_default=True)
@click.option("--embedding-dim", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--hidden-units", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--bidirectional", is_flag=True, help="Bidirectional LSTM.")
@click.option("--pooling", type=click.Choice(POOLINGS), default="last", show_default=True,
              help="What the classifier reads: the LSTM's last state, or the max / an attention-weighted mean over "
                   "every position's state (better for long documents).")
@click.option("--word-vectors", type=click.Choice(WORD_VECTORS), default="none", show_default=True,
              help="word2vec: start the embedding from skip-gram vectors learned without labels on the training texts "
                   "(gensim; trained further with the classifier and exported inside the model).")
@click.option("--lexicon-in-vocabulary", is_flag=True,
              help="Put every --forbidden / --substitutions token in the vocabulary, so that the model can tell "
                   "rare or unseen terms apart (otherwise they all share the unknown-word id).")
@click.option("--restore-best", metavar="METRIC",
              help="Export the weights of the epoch with the best validation METRIC (e.g. val_accuracy, val_loss).")
@click.option("--length-buckets", is_flag=True,
              help="Batch examples of similar length together (8 batches at a time, sorted by length): the LSTM steps "
                   "over each batch's longest text only, so short texts train faster; the same seed gives the same "
                   "model.")
@click.option("--unroll", is_flag=True,
              help="Unroll the LSTM over T: about 2x faster penalised steps at T = 60 (benchmarks/train_step.py), "
                   "a larger graph for large T.")
@click.option("--export-dir", default="models", show_default=True, type=click.Path(file_okay=False))
@click.option("--model-name", default="saliency_classifier", show_default=True, callback=lambda ctx, param, value:
              value if re.fullmatch(contract.MODEL_NAME, value) else _bad_model_name(value),
              help="The model's name on the server and its folder under --export-dir.")
@click.option("--version", type=click.IntRange(min=1), help="Export version (default: next integer).")
@click.option("--ig-steps", type=click.IntRange(1, 512), default=ExportSettings.integrated_gradients_steps,
              show_default=True, help="Steps of the exported integrated_gradients signature.")
@click.option("--encoding", default="utf-8", show_default=True)
@click.option("--checkpoint-dir", type=click.Path(file_okay=False),
              help="Back up model and optimizer each epoch; rerunning after an interruption resumes there.")
@click.option("--verbose", type=click.IntRange(0, 2), default=2, show_default=True,
              help="Keras progress output (TensorFlow's own logging: audit-train --verbose train ...).")
@exit_on_input_error
def train(train_path, validation_path, validation_fraction, split_column, train_split, validation_split,
          text_column, label_column, forbidden_path, mask_column, rationale_column, substitutions_path, penalty_name,
          penalty_weight, counterfactual_weight, subspace_weight, subspace_rank, divergence, target, reduction,
          class_weight, epochs, batch_size, learning_rate, seed, max_tokens, window_stride, vocabulary_size,
          embedding_dim, hidden_units, bidirectional, pooling, word_vectors, lexicon_in_vocabulary, restore_best,
          length_buckets, unroll, export_dir, model_name, version, ig_steps, encoding, checkpoint_dir, verbose):
    """Train on TRAIN.csv (or .jsonl) with cross-entropy + lambda * penalty on forbidden tokens, then export.

    \b
    Examples:
      audit-train train train.csv --forbidden forbidden.txt --penalty-weight 10
      audit-train train tweets.csv --forbidden identity.txt --substitutions identity_groups.txt \\
        --penalty-weight 10 --class-weight balanced
      audit-train train eraser.csv --split-column split --rationale-column rationale_mask --penalty-weight 1
    """
    if counterfactual_weight is not None and penalty_name != "both":
        raise click.BadParameter("only with --penalty both", param_hint="--counterfactual-weight")
    sources = DataSources(text_column, label_column, mask_column, rationale_column, split_column, train_split,
                          validation_split, validation_path, validation_fraction, forbidden_path, substitutions_path,
                          encoding)
    if subspace_weight is not None and penalty_name == "subspace":
        raise click.BadParameter("with --penalty subspace, --penalty-weight is its lambda",
                                 param_hint="--subspace-weight")
    penalty_config = PenaltyConfig.named(penalty_name, penalty_weight, counterfactual_weight, target=target,
                                         reduction=reduction, divergence=divergence, subspace_rank=subspace_rank)
    if subspace_weight is not None:
        penalty_config = dataclasses.replace(penalty_config, subspace_weight=subspace_weight)
    quiet_tensorflow()
    from trainer.train import TrainingDiverged, train_from_files

    try:
        result = train_from_files(
            train_path, sources,
            ModelSettings(max_tokens, vocabulary_size, embedding_dim, hidden_units, bidirectional, unroll,
                          pooling=pooling, lexicon_in_vocabulary=lexicon_in_vocabulary, window_stride=window_stride,
                          word_vectors=word_vectors),
            FitSettings(penalty_config, epochs, batch_size, learning_rate, seed, class_weight, restore_best,
                        length_buckets),
            ExportSettings(export_dir, model_name, version, ig_steps), verbose=verbose, checkpoint_dir=checkpoint_dir)
    except TrainingDiverged as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(1) from None
    for note in result.metadata["mask_sources"]["lexicon_notes"][:5]:
        click.echo(f"warning: lexicon: {note}", err=True)
    coverage = result.metadata["vocabulary_coverage"]
    if coverage["out_of_vocabulary_terms"]:
        terms = coverage["out_of_vocabulary_terms"]
        click.echo(f"warning: {len(terms)} lexicon terms are outside the vocabulary ({', '.join(terms[:12])}"
                   f"{', …' if len(terms) > 12 else ''}; {coverage['training_texts_with_them']} training texts hold "
                   "them): the model cannot tell them apart; --lexicon-in-vocabulary adds them", err=True)
    restored = result.metadata.get("restore_best")
    label = f"metrics of epoch {restored['epoch']} (best {restored['monitor']})" if restored else "final metrics"
    click.echo(f"{label}: " + ", ".join(f"{k}={v:.4f}" for k, v in sorted(result.metrics.items())))
    click.echo(f"exported: {result.export_path}")


def run():
    """The audit-train script: in an install without TensorFlow, one line naming the extra, for --help too."""
    require_extra("audit-train", "tensorflow", "model")
    main()


if __name__ == "__main__":
    run()
