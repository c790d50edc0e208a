"""The input campaign: malformed files through every importer, crashes and lost rows counted.

For each import kind (registry, holiday calendar, assistance parameters, bank results,
price indices, department feeds) it generates ``--per-kind`` mutations of a valid
synthetic file (wrong encodings, cut files, formula injection, 1 MB cells, thousands of
columns, duplicate or missing headers, garbage under an .xlsx name, zip bombs, shared-
string tricks, Excel serials, merged cells, hidden sheets, formulas, IDs as floats …),
deterministic by ``--seed``, and runs each in a throwaway database (SQLite in a temporary
directory, or a fresh PostgreSQL database with ``--database-url``) inside a worker
process that is killed and restarted when an input hangs. Each input ends as:

* ``refused`` — the whole file, with a message (fine);
* ``report`` — rows accepted and rejected; rows lost = data rows − accepted − rejected
  (a rejection needs a row and a reason; one without a column is counted apart);
* ``crash`` — an exception the importer does not document; ``hang`` — past ``--timeout``;
  ``memory`` — resident memory grew past ``--memory-mb``; ``bomb`` — a zip bomb read.

Then formula-like names, addresses and notes are imported and exported (registry .xlsx,
import error report, bank roster .csv/.xlsx, parameters .csv/.xlsx) and every exported
cell is checked not to be a formula. Prints a table per kind, the failures, and one JSON
line per kind; exits 1 when anything crashed, hung, blew up or lost a row.

    .venv/bin/python bench/input_campaign.py                       # 200 per kind, SQLite
    .venv/bin/python bench/input_campaign.py --per-kind 20 --kinds registry,bank
    .venv/bin/python bench/input_campaign.py --database-url postgres://postgres@127.0.0.1:5432/x
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MARK = "@@ "


# --- worker (a child process: Django, the database, one input at a time) ----------------
def worker(memory_cap_mb: int) -> None:
    """Read tasks as JSON lines on stdin, answer each with one ``@@ {json}`` line."""
    from minzheng.cli import setup_django

    setup_django()
    from bench.inputs.classify import run_case
    from bench.inputs.kinds import KINDS
    from bench.inputs.mutations import Case
    from minzheng.core.setup import initialise

    list(initialise())
    for k in KINDS.values():
        k.setup()
    if memory_cap_mb:  # a bomb must fail with MemoryError, not take the machine down
        cap = _address_space() + memory_cap_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    _reply({"ready": True})
    for line in sys.stdin:
        task = json.loads(line)
        if task.get("exports"):
            from bench.inputs.exports import run_exports

            _reply({"exports": [c.as_dict() for c in run_exports()]})
            continue
        case = Case(
            task["family"], task["variant"], task["suffix"], b"", task["rows"], task["expect"]
        )
        res = run_case(
            task["kind"],
            task["name"],
            case,
            Path(task["path"]),
            timeout=task["timeout"],
            memory_mb=task["memory_mb"],
        )
        _reply(res.as_dict())


def _address_space() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * 4096


def _reply(obj: dict[str, Any]) -> None:
    sys.stdout.write(MARK + json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


class Worker:
    """The parent's handle on a worker: send a task, wait for its answer or kill it."""

    def __init__(self, env: dict[str, str], log: Path, memory_cap_mb: int) -> None:
        self.env, self.log, self.cap = env, log, memory_cap_mb
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", "--memory-cap-mb", str(self.cap)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log.open("a"),
            text=True,
            env=self.env,
            cwd=ROOT,
        )
        if not self._read(600).get("ready"):
            raise SystemExit(f"the worker did not start; see {self.log}")

    def ask(self, task: dict[str, Any], wait: float) -> dict[str, Any]:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(task, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()
        return self._read(wait)

    def _read(self, wait: float) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        end = time.monotonic() + wait
        while True:
            left = end - time.monotonic()
            ready, _, _ = select.select([self.proc.stdout], [], [], max(left, 0))
            if not ready:
                self.kill()
                return {"_dead": "hang", "_why": f"no answer after {wait:g} s (worker killed)"}
            line = self.proc.stdout.readline()
            if not line:
                code = self.proc.wait()
                self.proc = None
                return {"_dead": "crash", "_why": f"worker died (exit {code})"}
            if line.startswith(MARK):
                return json.loads(line[len(MARK) :])

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None


# --- parent -----------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    from bench.inputs.kinds import KINDS, kinds_available
    from bench.inputs.mutations import generate

    tmp = Path(tempfile.mkdtemp(prefix="mz-inputs-"))
    env = dict(os.environ, MINZHENG_DATA_DIR=str(tmp / "data"), PYTHONPATH=str(ROOT))
    env.pop("DATABASE_URL", None)
    pg = _pg_create(args.database_url) if args.database_url else None
    if pg:
        env["DATABASE_URL"] = pg
    kinds = [k for k in args.kinds.split(",") if k] if args.kinds else kinds_available()
    worker = Worker(env, tmp / "worker.log", args.memory_cap_mb)
    results: list[dict[str, Any]] = []
    exports: list[dict[str, Any]] = []
    started = time.monotonic()
    try:
        worker.start()
        print(f"worker ready ({'PostgreSQL' if pg else 'SQLite'}) in {tmp}", file=sys.stderr)
        for kind in kinds:
            families = [f for f in args.families.split(",") if f] or None
            cases = generate(
                kind,
                args.per_kind,
                seed=args.seed,
                bomb_size=args.bomb_mb << 20,
                table=KINDS[kind].table(),
                families=families,
            )
            for name, case in cases:
                path = tmp / f"{name}{case.suffix}"
                path.write_bytes(case.data)
                task = {
                    "kind": kind,
                    "name": name,
                    "family": case.family,
                    "variant": case.variant,
                    "suffix": case.suffix,
                    "rows": case.rows,
                    "expect": case.expect,
                    "path": str(path),
                    "timeout": args.timeout,
                    "memory_mb": args.memory_mb,
                }
                got = worker.ask(task, args.timeout + 30)
                path.unlink()
                results.append(_dead(task, got) if "_dead" in got else got)
                if args.verbose:
                    print(_line(results[-1]), file=sys.stderr)
            print(f"{kind}: done at {time.monotonic() - started:.0f} s", file=sys.stderr)
        if not args.no_exports:
            got = worker.ask({"exports": True}, 300)
            exports = got.get("exports", [])
    finally:
        worker.kill()
        if pg:
            _pg_drop(pg)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return report(results, exports, kinds, "postgresql" if pg else "sqlite", args)


def _dead(task: dict[str, Any], got: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": task["kind"],
        "name": task["name"],
        "family": task["family"],
        "variant": task["variant"],
        "outcome": got["_dead"],
        "seconds": task["timeout"],
        "rss_mb": 0.0,
        "grew_mb": 0.0,
        "rows": 0,
        "accepted": 0,
        "rejected": 0,
        "lost": 0,
        "no_column": 0,
        "misread": False,
        "detail": got["_why"],
    }


def _line(r: dict[str, Any]) -> str:
    return (
        f"{r['name']:<34} {r['variant'][:28]:<28} {r['outcome']:<8} rows={r['rows']} "
        f"ok={r['accepted']} rej={r['rejected']} lost={r['lost']} {r['seconds']:.2f}s "
        f"{r['rss_mb']:.0f}MB {r['detail'][:90]}"
    )


FAIL = ("crash", "hang", "memory", "bomb")


def report(
    results: list[dict[str, Any]],
    exports: list[dict[str, Any]],
    kinds: list[str],
    db: str,
    args: argparse.Namespace,
) -> int:
    head = (
        f"{'kind':<11}{'inputs':>7}{'refused':>8}{'reports':>8}{'crashes':>8}{'hangs':>6}"
        f"{'memory':>7}{'bombs':>6}{'lost':>6}{'no-col':>7}{'misread':>8}{'max s':>7}"
        f"{'max RSS MB':>11}"
    )
    print(
        f"\nInput campaign on {db}: {args.per_kind} inputs per kind, seed {args.seed}, "
        f"timeout {args.timeout:g} s, zip bombs {args.bomb_mb} MB inflated\n"
    )
    print(head)
    print("-" * len(head))
    bad = 0
    lines = []
    for kind in kinds:
        rs = [r for r in results if r["kind"] == kind]
        c = Counter(r["outcome"] for r in rs)
        lost = sum(abs(r["lost"]) for r in rs)
        row = {
            "bench": "input_campaign",
            "db": db,
            "kind": kind,
            "inputs": len(rs),
            "refused": c["refused"],
            "reports": c["report"],
            "crashes": c["crash"],
            "hangs": c["hang"],
            "memory": c["memory"],
            "bombs": c["bomb"],
            "rows_lost": lost,
            "no_column": sum(r["no_column"] for r in rs),
            "misread": sum(bool(r["misread"]) for r in rs),
            "max_seconds": max((r["seconds"] for r in rs), default=0),
            "max_rss_mb": max((r["rss_mb"] for r in rs), default=0),
        }
        bad += sum(c[o] for o in FAIL) + lost
        lines.append(row)
        print(
            f"{kind:<11}{row['inputs']:>7}{row['refused']:>8}{row['reports']:>8}"
            f"{row['crashes']:>8}{row['hangs']:>6}{row['memory']:>7}{row['bombs']:>6}"
            f"{lost:>6}{row['no_column']:>7}{row['misread']:>8}{row['max_seconds']:>7.1f}"
            f"{row['max_rss_mb']:>11.0f}"
        )
    _failures(results)
    _misreads(results)
    raw = _exports(exports)
    print()
    for row in lines:
        print(json.dumps(row, ensure_ascii=False))
    print(
        json.dumps(
            {"bench": "input_campaign_exports", "db": db, "exports": exports}, ensure_ascii=False
        )
    )
    return 1 if bad or raw else 0


def _failures(results: list[dict[str, Any]]) -> None:
    """Each distinct failure once: kind, outcome, where it broke, and how many inputs."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in results:
        if r["outcome"] in FAIL or r["lost"]:
            where = r["detail"].split(" @ ")[-1] if " @ " in r["detail"] else r["detail"][:80]
            groups.setdefault((r["kind"], r["outcome"], where), []).append(r)
    if not groups:
        print("\nno crashes, hangs, memory blow-ups or lost rows")
        return
    print("\nFailures (kind · outcome · where · inputs · families · first input · detail):")
    for (kind, outcome, where), rs in sorted(groups.items()):
        fams = ",".join(sorted({r["family"] for r in rs}))
        first = rs[0]
        print(
            f"  {kind} · {outcome} · {where} · {len(rs)} · {fams} · {first['name']} "
            f"[{first['variant']}] · {first['detail'][:220]}"
        )


def _misreads(results: list[dict[str, Any]]) -> None:
    rs = [r for r in results if r["misread"]]
    if rs:
        print("\nSupported files not read in full (not failures; worth a look):")
        for r in rs[:20]:
            print(f"  {r['name']} [{r['variant']}]: {r['detail'][:200]}")


def _exports(exports: list[dict[str, Any]]) -> int:
    if not exports:
        return 0
    print("\nFormula injection on export (cells carrying an injected value):")
    raw = 0
    for e in exports:
        raw += e["raw"]
        verdict = "ok" if not e["raw"] else "FORMULA LEFT RAW"
        print(
            f"  {e['export']:<50} cells {e['cells']:>3}  neutralised {e['neutralised']:>3}  "
            f"raw {e['raw']:>3}  {verdict} {'; '.join(e['examples'])[:160]}"
        )
    return raw


def _pg_create(url: str) -> str:
    import psycopg

    base = url.rsplit("/", 1)[0]
    name = f"mz_inputs_{os.getpid()}"
    with psycopg.connect(base + "/postgres", autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def _pg_drop(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--kinds", default="", help="comma-separated (default: every kind present)")
    ap.add_argument("--per-kind", type=int, default=200)
    ap.add_argument("--families", default="", help="comma-separated mutation families only")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--timeout", type=float, default=20, help="seconds per input")
    ap.add_argument("--memory-mb", type=float, default=512, help="RSS growth counted a blow-up")
    ap.add_argument("--memory-cap-mb", type=int, default=3072, help="address-space cap (worker)")
    ap.add_argument("--bomb-mb", type=int, default=2048, help="what a zip bomb inflates to")
    ap.add_argument("--database-url", default="", help="a PostgreSQL server to use instead")
    ap.add_argument("--no-exports", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per input")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.memory_cap_mb)
        return
    sys.exit(run(args))


if __name__ == "__main__":
    main()
