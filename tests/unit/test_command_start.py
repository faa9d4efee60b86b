"""Every command starts without TensorFlow: --help is instant, and TensorFlow loads only in a command's body."""

import subprocess
import sys

import click
import pytest

from conftest import ROOT

COMMAND_MODULES = [
    "audit_cli.main",
    "audit_cli.commands.score",
    "audit_cli.commands.explain",
    "audit_cli.commands.status",
    "audit_cli.commands.compare",
    "audit_cli.commands.verify",
    "audit_cli.commands.history",
    "audit_cli.commands.model_card",
    "audit_cli.commands.keygen",
    "audit_cli.commands.candidates",
    "trainer.cli",
    "serving.cli",
    "saliency_demo.cli",
]


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_command_modules_import_no_tensorflow(module):
    code = (
        f"import sys, {module}; bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('tensorflow', 'keras', 'tensorflow_serving')); assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_every_command_lists_its_short_help_from_the_command_itself():
    from audit_cli.main import COMMANDS, main

    context = click.Context(main)
    for name, short in COMMANDS.items():
        command = main.get_command(context, name)
        first_line = (command.help or "").strip().splitlines()[0]
        assert first_line.split(":")[0].split(" and ")[0].rstrip(".") in short, (name, first_line)
