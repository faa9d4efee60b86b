"""audit-cli: a thin command line over the audit engine (audit_engine). Each command is a module of
audit_cli.commands, imported only when it runs or shows its help, so that ``audit-cli --help`` starts fast."""

import importlib

import click

from cli_common.console import set_verbosity
from cli_common.errors import stopped_by_ctrl_c

# name (its module under audit_cli.commands, '-' read as '_') -> the one-line help `audit-cli --help` shows without
# importing it
COMMANDS = {
    "score": "Audit every document of CORPUS (CSV or JSONL) and write records, summary and reports.",
    "explain": "Explain one TEXT: each token's share of the saliency, what removing each forbidden term does.",
    "status": "Model status, signatures and training metadata from the server (or the embedded model).",
    "compare": "Compare two audit folders, BASELINE and CANDIDATE, with change thresholds.",
    "verify": "Check an audit folder against its manifest.json and signature; name the first file that differs.",
    "history": "Audits of one model over its versions: each headline figure as a trend, regressions flagged.",
    "model-card": "A model card (Markdown, HTML, JSON) from the model's training metadata and its audits.",
    "candidates": "The words nearest to the lexicon's terms in word vectors: a candidates file for discovery.",
    "keygen": "A new Ed25519 key pair for signing audits (--sign-key) and verifying them (--public-key).",
}


class LazyGroup(click.Group):
    """A group whose commands load on first use (as pip's cli does with its command modules)."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module = name.replace("-", "_")
        return getattr(importlib.import_module(f"audit_cli.commands.{module}"), module)

    def format_commands(self, ctx, formatter):
        with formatter.section("Commands"):
            formatter.write_dl(list(COMMANDS.items()))

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # before the command's body (its options load TensorFlow)
            stopped_by_ctrl_c()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", is_flag=True, help="Show TensorFlow's start-up logging and warnings.")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error instead of one line.")
def main(verbose, debug):
    """Audit whether a text classifier relies on forbidden words: reliance (what removing them does to each
    prediction) first, saliency share second."""
    set_verbosity(verbose, debug)


if __name__ == "__main__":
    main()
