"""End-to-end: a real `minzheng serve` process on a demo database, driven by headless Chromium.

Skipped when Playwright or Debian's chromium is missing (`make test` on a bare machine);
`.ci/run` installs both, so CI runs them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BIN = Path(sys.executable).parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SERVER_ENV: dict[str, str] = {}  # the environment the server runs with (for CLI set-up steps)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a server over a fresh demo database (3,000 synthetic persons)."""
    pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    data = tmp_path_factory.mktemp("e2e")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(MINZHENG_DATA_DIR=str(data), MINZHENG_DEBUG="1", MINZHENG_2FA="off")
    SERVER_ENV.update(env)
    subprocess.run(
        [str(BIN / "minzheng"), "demo", "--no-serve", "--persons", "3000"],
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN / "minzheng"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/accounts/login/", timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    yield base
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="session")
def browser(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class OriginGuard:
    """Records every request a page makes; the app must never reach past its own origin."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.urls: list[str] = []

    def __call__(self, request: object) -> None:
        self.urls.append(request.url)  # type: ignore[attr-defined]

    def foreign(self) -> list[str]:
        return [u for u in self.urls if not (u.startswith(self.base) or u.startswith("data:"))]


@pytest.fixture
def page(browser: object, server: str) -> Iterator[object]:
    ctx = browser.new_context(accept_downloads=True, locale="zh-CN")  # type: ignore[attr-defined]
    pg = ctx.new_page()
    guard = OriginGuard(server)
    pg.on("request", guard)
    pg.guard = guard
    yield pg
    assert guard.urls, "the page made no requests at all"
    assert guard.foreign() == [], f"requests left the app's origin: {guard.foreign()}"
    ctx.close()


def sign_in(page: object, server: str, username: str, password: str = "minzheng-demo") -> None:
    page.goto(server + "/accounts/login/")  # type: ignore[attr-defined]
    page.fill("input[name=username]", username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", password)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
