"""Web process start-up: seconds from launch until the first page answers.

Baseline, in the same run: a bare ``python -c pass`` (the interpreter's own start).

    .venv/bin/python bench/bench_startup.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def time_server(env: dict[str, str]) -> float:
    port = free_port()
    t = time.perf_counter()
    proc = subprocess.Popen(
        [str(BIN / "minzheng"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - t < 30:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - t
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("server did not answer within 30 s")
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    env = dict(os.environ, MINZHENG_DATA_DIR=tempfile.mkdtemp(prefix="mz-bench-start-"))
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [str(BIN / "minzheng"), "init", "--no-townships"], env=env, check=True, capture_output=True
    )
    server = min(time_server(env) for _ in range(args.runs))
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    base = time.perf_counter() - t
    print(
        json.dumps(
            {
                "bench": "web_startup",
                "seconds": round(server, 2),
                "baseline_seconds": round(base, 3),
                "ratio": round(server / base, 1),
                "target_s": 3,
                "ok": server < 3,
            }
        )
    )


if __name__ == "__main__":
    main()
