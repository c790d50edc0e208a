"""Synthetic data and template databases shared by the kinds (made once per campaign)."""

from __future__ import annotations

import csv
from pathlib import Path

from bench.faults.sandbox import MINZHENG, ROOT, Backend, Sandbox, run
from bench.faults.web import MAKE_USER

COUNTIES = ("440106", "440104")
AS_OF = "2024-06-30"  # the synthetic population's date (its facts start then)


def base(backend: Backend) -> str:
    """Template "base": migrated, divisions and their history loaded (``minzheng init``)."""
    backend.template("base", _init)
    return "base"


def _init(sb: Sandbox) -> None:
    """``minzheng init`` with Guangdong's townships only (all the synthetic data uses)."""
    sb.cli("init", "--no-townships", timeout=900)
    townships = sb.runtime.source or ROOT
    sb.cli(
        "divisions",
        "load",
        f"--file={townships / 'minzheng/divisions/data/townships.csv.gz'}",
        "--prefix=44",
        timeout=900,
    )


def with_user(backend: Backend) -> str:
    """Template "user": the base and the campaign's web user, no registry data."""
    backend.template("user", lambda sb: sb.django(MAKE_USER), base=base(backend))
    return "user"


def population(backend: Backend, persons: int, seed: int = 11) -> str:
    """Template with ``persons`` synthetic persons loaded and the campaign's web user."""
    name = f"population{persons}"

    def build(sb: Sandbox) -> None:
        out = sb.home / "synth"
        sb.cli(
            "synth",
            f"--persons={persons}",
            f"--counties={','.join(COUNTIES)}",
            f"--seed={seed}",
            f"--as-of={AS_OF}",
            f"--out={out}",
            "--load",
            timeout=900,
        )
        sb.django(MAKE_USER)

    backend.template(name, build, base=base(backend))
    return name


def import_csv(
    backend: Backend, rows: int, counties: tuple[str, ...] = COUNTIES, seed: int = 7
) -> Path:
    """A registry import CSV of ``rows`` synthetic persons (``minzheng synth --import-csv``).

    Written beside the backend's directory, so every backend of a campaign shares it.
    """
    work = backend.workdir.parent
    path = work / f"registry-{rows}-{'-'.join(counties)}-{seed}.csv"
    if not path.exists():
        sb = Sandbox(work, runtime=backend.runtime)
        run(
            [
                *MINZHENG,
                "synth",
                f"--persons={rows}",
                f"--counties={','.join(counties)}",
                f"--seed={seed}",
                f"--as-of={AS_OF}",
                f"--out={work / 'synth-tmp'}",
                f"--import-csv={path}",
            ],
            env=sb.env(),
            timeout=600,
            cwd=sb.runtime.cwd,
        )
    return path


def split_by_county(path: Path, out_dir: Path) -> dict[str, Path]:
    """One CSV per county of ``path`` (refs are ``H<county>-n``), header repeated."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    parts: dict[str, list[list[str]]] = {}
    for row in body:
        parts.setdefault(row[0][1:7], []).append(row)
    files = {}
    for county, part in parts.items():
        files[county] = out_dir / f"{path.stem}-{county}.csv"
        with files[county].open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerows([header, *part])
    return files
