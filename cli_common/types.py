"""Option types shared by the command-line tools."""

import math

import click


class FiniteFloatRange(click.FloatRange):
    """click.FloatRange that also refuses nan and inf (nan passes every range comparison: a gate with limit
    nan would always fail, a threshold of nan would flag nothing)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


class Fraction(FiniteFloatRange):
    """A fraction in [0, 1], the unit of every rate, share and drop on the command line and in JSON; its error says
    so (--max-mean-drop 5 means 500 %, not 5 points)."""

    name = "fraction"

    def __init__(self):
        super().__init__(0.0, 1.0)

    def convert(self, value, param, ctx):
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            self.fail(
                f"{value!r} is not a fraction from 0 to 1: rates, shares and drops are given as fractions "
                "(0.05 = 5 % of documents, or 5 points of probability)",
                param,
                ctx,
            )
