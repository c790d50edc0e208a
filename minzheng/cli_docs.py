"""Render every command's ``--help`` into Markdown (docs/cli.md is generated from this)."""

from __future__ import annotations

import click
from click.testing import CliRunner

from minzheng.cli import main


def _walk(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name in sorted(group.commands):
        cmd = group.commands[name]
        out.append((*path, name))
        if isinstance(cmd, click.Group):
            out += _walk(cmd, (*path, name))
    return out


def render() -> str:
    """The Markdown reference of the ``minzheng`` command line."""
    runner = CliRunner()
    parts = [
        "# `minzheng` command line\n",
        "Generated from `--help` by `python -m minzheng.cli_docs > docs/cli.md`; "
        "a test checks it is current.\n",
    ]
    for path in [(), *_walk(main)]:
        result = runner.invoke(main, [*path, "--help"], prog_name="minzheng", terminal_width=100)
        title = " ".join(("minzheng", *path))
        parts.append(f"## `{title}`\n\n```\n{result.output.rstrip()}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
