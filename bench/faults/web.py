"""The web side of the campaign: the server as a process group, a browser-like client, edits.

The server is gunicorn (production's server, in the bench dependency group) with a
``minzheng worker`` beside it, both in one process group so one SIGKILL takes the whole
installation down; without gunicorn it is ``minzheng serve``. Every edit changes one
household's address and residence division, which also moves every member — several
rows in one transaction, so a crash in the middle would show as a half-written household.
"""

from __future__ import annotations

import http.cookiejar
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

from bench.faults.registry import Damage
from bench.faults.sandbox import (
    GUNICORN,
    MINZHENG,
    Sandbox,
    free_port,
    kill_group,
    wait_for,
)

USER, PASSWORD = "faults", "fault-campaign-pw"
MAKE_USER = f"""
from minzheng.accounts.models import User
from minzheng.accounts.services import ensure_role_groups
from minzheng.divisions.models import Division
groups = ensure_role_groups()
user = User(username="{USER}", division=Division.objects.current().get(code="440000000000"))
user.set_password("{PASSWORD}")
user.save()
user.groups.add(groups["caseworker"])
"""


class Server:
    """The web application (and its background worker) as one killable process group."""

    def __init__(self, sb: Sandbox, *, worker: bool = True, workers: int = 1) -> None:
        self.sb, self.worker, self.workers = sb, worker, workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: Any = None

    def argv(self) -> list[str]:
        if GUNICORN.exists():
            web = [
                str(GUNICORN),
                "minzheng.wsgi:application",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={self.workers}",
                "--worker-class=gthread",
                "--threads=8",
                "--timeout=60",
                "--no-control-socket",  # else a socket under ~/.gunicorn, shared by all
            ]
            if not self.worker:
                return web
            quoted = " ".join(f"'{a}'" for a in web)
            worker = " ".join(f"'{a}'" for a in [*MINZHENG, "worker", "--workers", "1"])
            return ["sh", "-c", f"{worker} & exec {quoted}"]
        return [
            *MINZHENG,
            "serve",
            "--port",
            str(self.port),
            *([] if self.worker else ["--no-worker"]),
        ]

    def start(self, timeout: float = 60) -> float:
        """Start and wait for the first 200 from the login page; returns the seconds it took."""
        t = time.perf_counter()
        self.proc = self.sb.spawn(self.argv(), log="server")
        ok, _ = wait_for(lambda: status(self.base + "/accounts/login/") == 200, timeout=timeout)
        if not ok:
            raise RuntimeError(f"server did not answer within {timeout:.0f}s ({self.sb.home})")
        return time.perf_counter() - t

    def kill(self) -> None:
        if self.proc is not None:
            kill_group(self.proc)
            self.proc = None

    def pids(self) -> set[int]:
        """The server's processes (to show it was not restarted)."""
        import subprocess

        out = subprocess.run(
            ["pgrep", "-g", str(self.proc.pid)], capture_output=True, text=True, check=False
        )
        return {int(p) for p in out.stdout.split()}


def status(url: str, timeout: float = 5) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Response:
    status: int  # 0: no response (connection refused or reset, timeout)
    body: str
    seconds: float
    error: str = ""


class Client:
    """A browser-like session: cookies, the CSRF token, redirects not followed."""

    def __init__(self, base: str, timeout: float = 15) -> None:
        self.base, self.timeout = base, timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def _send(self, req: urllib.request.Request) -> Response:
        t = time.perf_counter()
        try:
            with self.opener.open(req, timeout=self.timeout) as resp:
                body = resp.read().decode(errors="replace")
                return Response(int(resp.status), body, time.perf_counter() - t)
        except urllib.error.HTTPError as exc:
            body = exc.read().decode(errors="replace")
            return Response(int(exc.code), body, time.perf_counter() - t)
        except Exception as exc:  # refused, reset, timed out: the server is gone or hangs
            return Response(0, "", time.perf_counter() - t, type(exc).__name__)

    def get(self, path: str) -> Response:
        return self._send(urllib.request.Request(self.base + path))

    def post(
        self, path: str, data: dict[str, str], file: tuple[str, bytes] | None = None
    ) -> Response:
        data = {"csrfmiddlewaretoken": self.csrf(), **data}
        if file is None:
            body = urllib.parse.urlencode(data).encode()
            ctype = "application/x-www-form-urlencoded"
        else:
            body, ctype = multipart(data, file)
        req = urllib.request.Request(self.base + path, data=body, method="POST")
        req.add_header("Content-Type", ctype)
        return self._send(req)

    def csrf(self) -> str:
        token = next((c.value for c in self.jar if c.name == "csrftoken"), None)
        if token is None:
            self.get("/accounts/login/")
            token = next((c.value for c in self.jar if c.name == "csrftoken"), "")
        return token or ""

    def login(self, username: str = USER, password: str = PASSWORD) -> bool:
        self.get("/accounts/login/")
        r = self.post("/accounts/login/", {"username": username, "password": password})
        return r.status == 302


def multipart(fields: dict[str, str], file: tuple[str, bytes]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    name, content = file
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass
class Edit:
    """One household edit: new address and residence township; what the client saw."""

    household: int
    uid: str
    old_address: str
    address: str
    division: int  # primary key of the new residence division
    code: str  # its 9-digit code, as typed into the form
    urban: str
    sent: bool = False
    acked: bool = False  # the server answered 302: the edit is committed
    seconds: float = 0.0

    def form(self) -> dict[str, str]:
        return {"address": self.address, "residence_division": self.code, "urban": self.urban}


def plan_edits(sb: Sandbox, n: int, offset: int, tag: str) -> list[Edit]:
    """``n`` edits of distinct households (with 2+ members), each to another township."""
    rows = sb.rows(
        "SELECT h.id, h.uid, h.address, h.residence_division_id, h.urban, d.code "
        "FROM registry_household h JOIN divisions_division d ON d.id = h.residence_division_id "
        "WHERE (SELECT count(*) FROM registry_person p WHERE p.household_id = h.id) >= 2 "
        "ORDER BY h.id LIMIT ? OFFSET ?",
        (n, offset),
    )
    towns = {
        code: pk
        for pk, code in sb.rows(
            "SELECT id, code FROM divisions_division WHERE level = 4 AND valid_to IS NULL "
            "AND code LIKE ?",
            ("44%",),
        )
    }
    edits = []
    for i, (pk, uid, address, _div, urban, code) in enumerate(rows):
        county = code[:6]
        options = sorted(c for c in towns if c.startswith(county) and c != code)
        target = options[i % len(options)]
        edits.append(
            Edit(
                household=pk,
                uid=str(uuid.UUID(str(uid))),
                old_address=address,
                address=f"故障演练 {tag} 第{i}户 {uuid.uuid4().hex[:6]}",
                division=towns[target],
                code=target[:9],
                urban="unknown" if urban is None else ("true" if urban else "false"),
            )
        )
    return edits


def send_edit(client: Client, edit: Edit) -> Response:
    """GET the household page, POST the edit; acknowledged when redirected back (302)."""
    client.get(f"/registry/households/{edit.uid}/")
    edit.sent = True
    r = client.post(f"/registry/households/{edit.uid}/edit/", edit.form())
    edit.acked, edit.seconds = r.status == 302, r.seconds
    return r


def edit_state(sb: Sandbox, edit: Edit) -> str:
    """ "full", "none" or "half": whether household, members and locations all moved."""
    ((address, division),) = sb.rows(
        "SELECT address, residence_division_id FROM registry_household WHERE id = ?",
        (edit.household,),
    )
    members = sb.rows(
        "SELECT p.residence_division_id, l.residence_division_id, l.address "
        "FROM registry_person p LEFT JOIN registry_location l "
        "ON l.person_id = p.id AND l.valid_to IS NULL WHERE p.household_id = ?",
        (edit.household,),
    )
    audits = sb.value(
        "SELECT count(*) FROM accounts_auditevent WHERE action = 'update' "
        "AND object_type = 'household' AND object_id = ?",
        (str(edit.household),),
    )
    moved = [m[0] == m[1] == edit.division and m[2] == edit.address for m in members]
    if address == edit.address and division == edit.division and all(moved) and audits == 1:
        return "full"
    if address == edit.old_address and not any(moved) and audits == 0:
        return "none"
    return "half" if audits <= 1 else "twice"


def check_edits(sb: Sandbox, edits: list[Edit]) -> Damage:
    """Acknowledged edits fully there; every other one fully there or not at all."""
    d = Damage()
    for e in edits:
        if not e.sent:
            continue
        state = edit_state(sb, e)
        if state == "twice":
            d.duplicates += 1
            d.note("a household edit recorded twice")
        elif state == "half":
            d.half_written += 1
            d.note(f"household {e.household}: edit half-written")
        elif e.acked and state != "full":
            d.lost += 1
            d.note(f"household {e.household}: acknowledged edit missing")
    return d
