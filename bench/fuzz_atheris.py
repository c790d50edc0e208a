"""Coverage-guided fuzzing (atheris / libFuzzer) of the parsers and the spreadsheet readers.

Targets: ``id`` (resident ID parse/normalise/mask/upgrade), ``uscc``, ``division`` (code
normalisation and resolution over a small code map), ``name`` (normalisation and pinyin
keys), ``values`` (the importers' money/date/text cell parsers and parameter values),
``decode`` (CSV byte decoding), ``csv`` and ``xlsx`` (the readers on whole files, seeded
with the campaign's valid files). A target may raise only its documented error; anything
else is a crash, recorded (one per exception type and place) and fuzzing goes on. Prints
executions, seconds and the distinct crashes, then one JSON line per target.

    .venv/bin/python bench/fuzz_atheris.py --target id --runs 100000
    .venv/bin/python bench/fuzz_atheris.py --target all --seconds 60
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGETS = ("id", "uscc", "division", "name", "values", "decode", "csv", "xlsx")

STATE: dict[str, object] = {
    "execs": 0,
    "crashes": {},
    "start": time.monotonic(),
    "runs": 0,
    "seconds": 0,
    "name": "",
}


def record(exc: BaseException, data: bytes) -> None:
    """Remember one crash per (type, innermost application frame)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/minzheng/" in f.filename] or frames
    where = f"{ours[-1].filename.split('/minzheng/', 1)[-1]}:{ours[-1].lineno}" if ours else "?"
    key = f"{type(exc).__name__} @ {where}"
    crashes: dict[str, dict[str, object]] = STATE["crashes"]  # type: ignore[assignment]
    entry = crashes.setdefault(
        key, {"count": 0, "message": str(exc)[:160], "input": data[:80].hex()}
    )
    entry["count"] = int(entry["count"]) + 1  # type: ignore[call-overload]


def guarded(body: Callable[[bytes], None], allowed: tuple[type[BaseException], ...]):
    def one(data: bytes) -> None:
        STATE["execs"] = execs = int(STATE["execs"]) + 1  # type: ignore[call-overload]
        try:
            body(data)
        except allowed:
            pass
        except Exception as exc:  # the finding: recorded, and fuzzing continues
            record(exc, data)
        # libFuzzer ends the process without running Python's exit handlers: stop here.
        spent = time.monotonic() - float(STATE["start"])  # type: ignore[arg-type]
        if execs >= int(STATE["runs"]) or spent >= float(STATE["seconds"]):  # type: ignore[arg-type]
            summary(str(STATE["name"]))
            os._exit(0)

    return one


def _text(data: bytes) -> str:
    import atheris

    return atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))


def target(name: str) -> tuple[Callable[[bytes], None], list[bytes]]:
    """The one-input function for ``name`` and its seed inputs."""
    import atheris

    with atheris.instrument_imports(include=["minzheng"]):
        from minzheng.identity import names, resident_id, uscc
        from minzheng.registry.importing import readers, values
    if name == "id":

        def body(data: bytes) -> None:
            s = _text(data)
            resident_id.mask(s)
            resident_id.looks_like_excel_number(s)
            rid = resident_id.parse(s, today=__import__("datetime").date(2026, 6, 30))
            assert resident_id.parse(rid.number).number == rid.number

        return guarded(body, (resident_id.InvalidId,)), [b"44010619550101123X", b"440106550101123"]
    if name == "uscc":

        def body(data: bytes) -> None:
            code = uscc.parse(_text(data))
            assert uscc.parse(code.code) == code

        return guarded(body, (uscc.InvalidUscc,)), [uscc.make_uscc("5", "1", "440106", 1).encode()]
    if name == "division":
        _django()
        from minzheng.divisions.selectors import CodeMaps

        maps = CodeMaps({"440106000000": 1, "440106001000": 2}, {"440102000000": "440106000000"})

        def body(data: bytes) -> None:
            found = maps.resolve(_text(data))
            assert found is None or found[0] in (1, 2)

        return guarded(body, ()), [b"440106", b"440102001", b"44"]
    if name == "name":

        def body(data: bytes) -> None:
            s = _text(data)
            n = names.normalise_name(s)
            assert names.normalise_name(n) == n
            names.name_key(s), names.name_initials(s), names.name_pinyin(s)

        return guarded(body, ()), ["欧阳 娜娜".encode(), "阿卜杜拉·买买提".encode()]
    if name == "values":
        _django()
        from minzheng.assistance.catalogue import SPECS, ParameterError, from_display

        specs = list(SPECS.values())

        def body(data: bytes) -> None:
            s = _text(data)
            values.text(s), values.code_text(s)
            for parse in (values.money_fen, values.date_value):
                with contextlib.suppress(values.BadValue):
                    parse(s)
            from_display(specs[len(data) % len(specs)], s)

        return guarded(body, (ParameterError,)), [b"1,000.50", "2024年7月1日".encode(), b"NaN"]
    if name == "decode":
        return guarded(lambda d: readers.decode_text(d), (readers.UnreadableFile,)), [b"a,b"]
    return _file_target(name, readers)


def _file_target(name: str, readers: object) -> tuple[Callable[[bytes], None], list[bytes]]:
    from bench.inputs.mutations import csv_text, xlsx_of
    from bench.inputs.tables import BUILDERS

    tmp = Path(tempfile.mkdtemp(prefix="mz-atheris-"))
    path = tmp / f"f.{name}"
    seeds = [csv_text(t.headers, t.rows[:4]).encode() for t in (b() for b in BUILDERS.values())]
    if name == "xlsx":
        seeds = [xlsx_of(b()) for b in BUILDERS.values()]

    def body(data: bytes) -> None:
        path.write_bytes(data)
        for sheet in readers.sheets(path):  # type: ignore[attr-defined]
            list(sheet.rows)

    return guarded(body, (readers.UnreadableFile,)), seeds  # type: ignore[attr-defined]


def _django() -> None:
    os.environ.setdefault("MINZHENG_DATA_DIR", tempfile.mkdtemp(prefix="mz-atheris-data-"))
    os.environ.pop("DATABASE_URL", None)
    from minzheng.cli import setup_django

    setup_django()


def summary(name: str) -> None:
    crashes: dict[str, dict[str, object]] = STATE["crashes"]  # type: ignore[assignment]
    seconds = time.monotonic() - float(STATE["start"])  # type: ignore[arg-type]
    print(
        f"\n{name}: {STATE['execs']} executions in {seconds:.0f} s, "
        f"{len(crashes)} distinct crashes",
        file=sys.stderr,
    )
    for key, c in crashes.items():
        print(f"  {key} ×{c['count']}: {c['message']} (input {c['input']})", file=sys.stderr)
    print(
        json.dumps(
            {
                "bench": "fuzz_atheris",
                "target": name,
                "executions": STATE["execs"],
                "seconds": round(seconds, 1),
                "crashes": len(crashes),
                "findings": crashes,
            },
            ensure_ascii=False,
        ),
        flush=True,
    )


def fuzz_one(name: str, runs: int, seconds: int) -> None:
    import atheris

    one, seeds = target(name)
    corpus = Path(tempfile.mkdtemp(prefix=f"mz-atheris-{name}-"))
    for i, s in enumerate(seeds):
        (corpus / f"seed{i}").write_bytes(s)
    STATE.update(start=time.monotonic(), runs=runs, seconds=seconds, name=name)
    argv = [
        sys.argv[0],
        str(corpus),
        f"-runs={runs * 2}",
        f"-max_total_time={seconds * 2}",
        "-print_final_stats=0",
        "-max_len=65536" if name in ("csv", "xlsx") else "-max_len=256",
        "-rss_limit_mb=4096",
        "-timeout=30",
    ]
    atheris.Setup(argv, one)
    atheris.Fuzz()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--target", default="all", help=f"one of {', '.join(TARGETS)}, or all")
    ap.add_argument("--runs", type=int, default=100_000, help="executions per target at most")
    ap.add_argument("--seconds", type=int, default=60, help="time per target at most")
    args = ap.parse_args()
    if args.target != "all":
        fuzz_one(args.target, args.runs, args.seconds)
        return
    for name in TARGETS:  # libFuzzer runs once per process
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--target",
                name,
                "--runs",
                str(args.runs),
                "--seconds",
                str(args.seconds),
            ],
            check=False,
        )


if __name__ == "__main__":
    main()
