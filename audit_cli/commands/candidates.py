"""audit-cli candidates: the words nearest to the lexicon's terms in word vectors, a candidates file for discovery."""

import click

from cli_common.errors import exit_on_input_error


@click.command()
@click.option(
    "--vectors",
    "vectors_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Word vectors, word2vec / GloVe / fastText text format (a word and its numbers per line), plain or gzip.",
)
@click.option(
    "--forbidden",
    "forbidden_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The lexicon whose terms' neighbours are wanted (the one the audit uses).",
)
@click.option(
    "--per-term", type=click.IntRange(min=1), default=10, show_default=True, help="Nearest words kept per term."
)
@click.option(
    "--corpus",
    "corpus_path",
    type=click.Path(dir_okay=False),
    help="Keep only words this corpus (CSV or JSONL) holds in at least --min-documents documents: a general "
    "vocabulary's nearest words are often words the audit would never meet.",
)
@click.option("--text-column", default="text", show_default=True, help="With --corpus: its text column.")
@click.option(
    "--min-documents",
    type=click.IntRange(min=1),
    help="With --corpus: at least this many documents (default: discovery's minimum support, 10: it ranks no word "
    "that fewer sampled documents hold).",
)
@exit_on_input_error
def candidates(vectors_path, forbidden_path, per_term, corpus_path, text_column, min_documents):
    """The words nearest to the lexicon's terms in word vectors: a candidates file for `score --discover
    --discover-candidates`, which measures each candidate in every sampled document that holds it. Printed to
    standard output, each term's nearest words (by cosine) under a comment with their cosines: strike what is not
    worth measuring before the audit. Why: a model trained on the audited task relies on slurs far more than on
    most group names, so a ranking of every word rarely shows an unlisted group name, while vectors learned on
    general text place it near the listed ones.

    \b
    Example:
      audit-cli candidates --vectors glove.6B.100d.txt --forbidden identity.txt --corpus corpus.csv \\
          > candidates.txt
      audit-cli score corpus.csv --model m --forbidden identity.txt --discover --discover-sample 1 \\
          --discover-candidates candidates.txt
    """
    from audit_engine.evaluations.discovery import MIN_DOCUMENTS
    from audit_engine.near_words import candidates_file, corpus_words, nearest_words
    from saliency_core.lexicon import load_lexicon

    lexicon = load_lexicon(forbidden_path)
    least = min_documents or MIN_DOCUMENTS
    within = corpus_words(corpus_path, text_column, min_documents=least) if corpus_path else None
    neighbourhood = nearest_words(vectors_path, lexicon, per_term, within)
    restriction = f"words that {least} or more documents of {corpus_path} hold" if corpus_path else None
    click.echo(candidates_file(neighbourhood, vectors_path, forbidden_path, restriction), nl=False)
    if neighbourhood.missing:
        click.echo(f"no vector for {len(neighbourhood.missing)} of {len(lexicon.phrases)} terms: "
                   + ", ".join(neighbourhood.missing[:10]), err=True)  # fmt: skip
