"""The API campaign: Schemathesis over every operation with many more examples than CI.

Runs ``tests/fuzz/api_campaign_cases.py`` (the CI test's setup from
``tests/api/test_schemathesis.py``: in-process WSGI, county1's token over the ``world``
registry, every built-in check) with ``--examples`` generated requests per operation and
its own seed, on SQLite or PostgreSQL (``DATABASE_URL``), then prints per operation the
requests sent, the statuses answered and the result (the first line of a failure).
The stateful phase needs links between operations; the schema declares none, so there is
nothing to chain (reported as such). Exits 1 when any operation failed.

    .venv/bin/python bench/api_campaign.py --examples 500
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--examples", type=int, default=500, help="generated requests per operation")
    ap.add_argument("--seed", type=int, default=2027)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mz-api-"))
    report, junit = tmp / "counts.json", tmp / "junit.xml"
    env = dict(
        os.environ,
        MZ_API_EXAMPLES=str(args.examples),
        MZ_API_SEED=str(args.seed),
        MZ_API_REPORT=str(report),
    )
    start = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/fuzz/api_campaign_cases.py",
            f"--junitxml={junit}",
            "-o",
            "junit_family=xunit2",
        ],
        cwd=ROOT,
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.monotonic() - start
    counts = json.loads(report.read_text()) if report.exists() else {"requests": {}, "statuses": {}}
    outcome = _junit(junit)  # one test: Schemathesis runs the operations as its sub-tests
    results = {label: _verdict(label, outcome) for label in counts["requests"]}
    failed = sum(1 for r in results.values() if r != "passed") + (outcome is None)
    print(
        f"\nAPI campaign: {args.examples} examples per operation, seed {args.seed}, "
        f"{'PostgreSQL' if os.environ.get('DATABASE_URL') else 'SQLite'}, {seconds:.0f} s\n"
    )
    print(f"{'operation':<48}{'requests':>9}  {'statuses':<34}result")
    for label in sorted(set(results) | set(counts["requests"])):
        statuses = " ".join(
            f"{k}×{v}" for k, v in sorted(counts["statuses"].get(label, {}).items())
        )
        print(
            f"{label:<48}{counts['requests'].get(label, 0):>9}  {statuses:<34}"
            f"{results.get(label, '?')[:100]}"
        )
    total = sum(counts["requests"].values())
    print("\nstateful phase: not run — the schema declares no OpenAPI links between operations")
    print(
        json.dumps(
            {
                "bench": "api_campaign",
                "examples": args.examples,
                "seed": args.seed,
                "operations": len(results),
                "requests": total,
                "failed": failed,
                "seconds": round(seconds, 1),
            }
        )
    )
    sys.exit(1 if failed or not results else 0)


def _junit(path: Path) -> str | None:
    """ "" when the test passed, else its failure text; ``None`` when it did not run."""
    if not path.exists():
        return None
    text = ""
    for tc in ET.parse(path).getroot().iter("testcase"):
        for bad in (*tc.iter("failure"), *tc.iter("error")):
            text += (bad.get("message") or "") + "\n" + (bad.text or "")
    return text


def _verdict(label: str, outcome: str | None) -> str:
    if outcome is None:
        return "did not run"
    lines = [line for line in outcome.splitlines() if label in line]
    return "passed" if not lines else "FAILED " + lines[0].strip()


if __name__ == "__main__":
    main()
