"""The ``minzheng`` command line (placeholder replaced below)."""

import click


@click.group()
def main() -> None:
    """Minzheng command line."""
