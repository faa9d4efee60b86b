"""audit-train: a thin command-line layer over trainer's library functions."""

import click

from trainer import penalty
from trainer.errors import exit_on_input_error
from trainer.train import FitSettings, ModelSettings, TrainingDiverged, train_from_files


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """Train right-for-the-right-reasons text classifiers and export them for TF Serving."""


@main.command()
@click.argument("train_path", metavar="TRAIN.csv", type=click.Path(dir_okay=False))
@click.option("--validation", "validation_path", type=click.Path(dir_okay=False), help="Validation CSV/JSONL.")
@click.option("--validation-fraction", type=click.FloatRange(0.0, 0.9), default=0.1, show_default=True,
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
@click.option("--penalty-weight", "--lambda", "penalty_weight", type=click.FloatRange(min=0.0), default=0.0,
              show_default=True, help="lambda: weight of the saliency penalty (0 = vanilla training).")
@click.option("--target", type=click.Choice(penalty.TARGETS), default="predicted", show_default=True,
              help="predicted: log p of each example's predicted class; all: sum_k log p_k.")
@click.option("--reduction", type=click.Choice(penalty.REDUCTIONS), default="l2", show_default=True,
              help="l2: ||g|| over the embedding; sum: sum_d g (dimensions can cancel).")
@click.option("--epochs", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--learning-rate", type=click.FloatRange(min=0.0, min_open=True), default=1e-3, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--max-tokens", type=click.IntRange(min=1), default=60, show_default=True,
              help="T: tokens per text; longer texts are truncated (and reported as such by the audit).")
@click.option("--vocabulary-size", type=click.IntRange(min=3), default=20000, show_default=True)
@click.option("--embedding-dim", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--hidden-units", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--bidirectional", is_flag=True, help="Bidirectional LSTM.")
@click.option("--unroll", is_flag=True,
              help="Unroll the LSTM over T: about 2x faster penalised steps at T = 60 (benchmarks/train_step.py), "
                   "a larger graph for large T.")
@click.option("--export-dir", default="models", show_default=True, type=click.Path(file_okay=False))
@click.option("--model-name", default="saliency_classifier", show_default=True)
@click.option("--version", type=click.IntRange(min=1), help="Export version (default: next integer).")
@click.option("--encoding", default="utf-8", show_default=True)
@click.option("--checkpoint-dir", type=click.Path(file_okay=False),
              help="Back up model and optimizer each epoch; rerunning after an interruption resumes there.")
@click.option("--verbose", type=click.IntRange(0, 2), default=2, show_default=True, help="Keras progress output.")
@exit_on_input_error
def train(train_path, validation_path, validation_fraction, split_column, train_split, validation_split,
          text_column, label_column, forbidden_path, mask_column, rationale_column, penalty_weight, target,
          reduction, epochs, batch_size, learning_rate, seed, max_tokens, vocabulary_size, embedding_dim,
          hidden_units, bidirectional, unroll, export_dir, model_name, version, encoding, checkpoint_dir, verbose):
    """Train on TRAIN.csv (or .jsonl) with cross-entropy + lambda * saliency penalty, then export."""
    try:
        result = train_from_files(
            train_path, validation_path=validation_path, validation_fraction=validation_fraction,
            split_column=split_column, train_split=train_split, validation_split=validation_split,
            text_column=text_column, label_column=label_column, forbidden_path=forbidden_path,
            mask_column=mask_column, rationale_column=rationale_column,
            model_settings=ModelSettings(max_tokens, vocabulary_size, embedding_dim, hidden_units, bidirectional,
                                         unroll),
            fit_settings=FitSettings(penalty_weight, target, reduction, epochs, batch_size, learning_rate, seed),
            export_dir=export_dir, model_name=model_name, version=version, encoding=encoding, verbose=verbose,
            checkpoint_dir=checkpoint_dir)
    except TrainingDiverged as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(1) from None
    click.echo("final metrics: " + ", ".join(f"{k}={v:.4f}" for k, v in sorted(result.metrics.items())))
    click.echo(f"exported: {result.export_path}")


@main.command()
@click.option("--out", "out_dir", default="demo-output", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the generated data and the exported models.")
@click.option("--penalty-weight", type=click.FloatRange(min=0.0, min_open=True), default=100.0, show_default=True)
@click.option("--epochs", type=click.IntRange(min=1), default=6, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@exit_on_input_error
def demo(out_dir, penalty_weight, epochs, seed):
    """Generate an example corpus with a decoy word, train with and without the penalty, export both,
    and print accuracy and decoy saliency of each."""
    from trainer.demo import run_demo
    run_demo(out_dir, penalty_weight, epochs, seed, echo=click.echo)


if __name__ == "__main__":
    main()
