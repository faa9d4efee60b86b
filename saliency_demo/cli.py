"""audit-demo: generated example data -> train (vanilla and penalised) -> export -> audit both."""

import click

from cli_common.console import quiet_tensorflow, set_verbosity
from cli_common.errors import exit_on_input_error
from cli_common.extras import require_extra


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--out", "out_dir", default="demo-output", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the generated data and the exported models.")
@click.option("--input-gradient-weight", type=click.FloatRange(min=0.0, min_open=True), default=100.0,
              show_default=True, help="lambda of the input-gradient penalty (model decoy_input_gradient).")
@click.option("--counterfactual-weight", type=click.FloatRange(min=0.0, min_open=True), default=10.0,
              show_default=True, help="lambda of the counterfactual penalty (model decoy_counterfactual).")
@click.option("--epochs", type=click.IntRange(min=1), default=6, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--verbose", is_flag=True, help="Show TensorFlow's start-up logging and warnings.")
@exit_on_input_error
def main(out_dir, input_gradient_weight, counterfactual_weight, epochs, seed, verbose):
    """Generate an example corpus with a decoy word; train without a penalty, with the input-gradient penalty
    and with the counterfactual penalty; export and audit all three (reliance first, then saliency)."""
    set_verbosity(verbose, False)
    quiet_tensorflow()
    from saliency_demo.demo import run_demo

    run_demo(out_dir, input_gradient_weight, counterfactual_weight, epochs, seed, echo=click.echo)


def run():
    """The audit-demo script: in an install without TensorFlow, one line naming the extra, for --help too."""
    require_extra("audit-demo", "tensorflow", "model")
    main()


if __name__ == "__main__":
    run()
