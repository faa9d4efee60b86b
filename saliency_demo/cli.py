"""audit-demo: generated example data -> train (vanilla and penalised) -> export -> audit both."""

import click

from cli_common.errors import exit_on_input_error
from saliency_demo.demo import run_demo


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--out", "out_dir", default="demo-output", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the generated data and the exported models.")
@click.option("--input-gradient-weight", type=click.FloatRange(min=0.0, min_open=True), default=100.0,
              show_default=True, help="lambda of the input-gradient penalty (model decoy_input_gradient).")
@click.option("--counterfactual-weight", type=click.FloatRange(min=0.0, min_open=True), default=10.0,
              show_default=True, help="lambda of the counterfactual penalty (model decoy_counterfactual).")
@click.option("--epochs", type=click.IntRange(min=1), default=6, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@exit_on_input_error
def main(out_dir, input_gradient_weight, counterfactual_weight, epochs, seed):
    """Generate an example corpus with a decoy word; train without a penalty, with the input-gradient penalty
    and with the counterfactual penalty; export and audit all three (reliance first, then saliency)."""
    run_demo(out_dir, input_gradient_weight, counterfactual_weight, epochs, seed, echo=click.echo)


if __name__ == "__main__":
    main()
