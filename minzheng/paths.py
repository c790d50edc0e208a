"""Where Minzheng keeps its files: one documented place shared by web, worker and CLI."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir() -> Path:
    """Return the data directory (``MINZHENG_DATA_DIR``, else ``var/`` of a checkout).

    In a source checkout (``pyproject.toml`` beside the package) the default is
    ``<checkout>/var``; an installed package defaults to ``~/.local/share/minzheng``.
    """
    env = os.environ.get("MINZHENG_DATA_DIR")
    if env:
        return Path(env).expanduser().resolve()
    checkout = PACKAGE_DIR.parent
    if (checkout / "pyproject.toml").exists():
        return checkout / "var"
    return Path.home() / ".local" / "share" / "minzheng"


def sqlite_path() -> Path:
    """The embedded SQLite database file used when ``DATABASE_URL`` is not set."""
    return data_dir() / "minzheng.sqlite3"
