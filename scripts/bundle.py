"""Build the air-gapped install bundle: ``dist/minzheng-<version>-<python>-<platform>.tar.gz``.

One archive holds everything a server with no package registry needs (issue #8):

* ``wheels/``         the project's wheel and one wheel per locked runtime dependency for the
                      target (CPython 3.11, manylinux x86_64 by default), plus gunicorn (the
                      web unit's server); each file's SHA-256 checked against ``uv.lock``
* ``requirements.txt`` every wheel pinned with its hash (``pip install --require-hashes``)
* ``static/``         collected static files (Django admin, Swagger UI, htmx from npm)
* ``deploy/``         the systemd units, nginx site, environment example, PostgreSQL roles
* ``install.sh``      creates a venv and installs with ``--no-index`` only
* ``README-INSTALL.md`` short bilingual instructions; ``SHA256SUMS`` of every file

The data files ``minzheng init`` loads (division list, history, township codes, rule and
feed definitions, translations) live inside the package, so they travel in its wheel.

Usage::

    .venv/bin/python scripts/bundle.py                       # manylinux_2_28_x86_64, CPython 3.11
    .venv/bin/python scripts/bundle.py --platform manylinux_2_28_aarch64
    .venv/bin/python scripts/bundle.py --spark               # + pyspark (built from its sdist, ~450 MB)

The archive is deterministic where that is cheap: sorted entries, one fixed mtime
(``SOURCE_DATE_EPOCH``, else the last commit's time), uid/gid 0, normalised modes, a gzip
header without name or time.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PLATFORM = "manylinux_2_28_x86_64"  # glibc ≥ 2.28: Debian 10+, Ubuntu 20.04+, RHEL/Kylin 8+
DEFAULT_PYTHON = "3.11"
# Not runtime dependencies of the package but needed on the server: the web unit runs gunicorn.
SERVER_PACKAGES = ("gunicorn",)
# Packages published only as a source archive that may be built into a wheel here (pure Python).
SDIST_BUILD_ALLOWED = frozenset({"pyspark"})
FALLBACK_EPOCH = 315532800  # 1980-01-01, the earliest time a zip (wheel) can hold


class BundleError(RuntimeError):
    """Something the operator must fix; the message says what."""


# --------------------------------------------------------------------------- requirements


@dataclasses.dataclass(frozen=True)
class Requirement:
    """One pinned distribution: ``name==version ; marker`` and the hashes the lock allows."""

    name: str
    version: str
    marker: str = ""
    hashes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return normalise(self.name)

    def line(self, hashes: Iterable[str] | None = None) -> str:
        """The requirements-file line, hashes on continuation lines."""
        head = f"{self.name}=={self.version}"
        if self.marker:
            head += f" ; {self.marker}"
        chosen = sorted(self.hashes if hashes is None else hashes)
        return " \\\n".join([head, *(f"    --hash={h}" for h in chosen)])


def normalise(name: str) -> str:
    """PEP 503 name: lower case, runs of ``-_.`` become one ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==(?P<version>[^\s;]+)\s*")


def parse_requirements(text: str) -> list[Requirement]:
    """Parse ``uv export`` output (pins, optional markers and ``--hash`` continuations).

    Comments and ``# via`` annotations are skipped; an editable or path line (the project
    itself) is refused, because the bundle ships the project as a built wheel.
    """
    logical: list[str] = []
    buf = ""
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line.strip():
            if buf:
                logical.append(buf)
                buf = ""
            continue
        if line.endswith("\\"):
            buf += line[:-1].strip() + " "
            continue
        buf += line.strip()
        logical.append(buf)
        buf = ""
    if buf:
        logical.append(buf)
    out = []
    for entry in logical:
        hashes = tuple(re.findall(r"--hash=(\S+)", entry))
        spec = re.sub(r"--hash=\S+", "", entry).strip()
        if spec.startswith(("-e", ".", "/", "file:")):
            raise BundleError(f"unexpected non-registry requirement in the export: {spec!r}")
        m = _PIN.match(spec)
        if not m:
            raise BundleError(f"not a pinned requirement: {spec!r}")
        marker = spec[m.end() :].lstrip()
        marker = marker[1:].strip() if marker.startswith(";") else marker
        out.append(Requirement(m["name"], m["version"], marker, hashes))
    return out


def lock_closure(lock_text: str, names: Iterable[str]) -> list[Requirement]:
    """The packages ``names`` and everything they depend on, pinned as in ``uv.lock``.

    Used for the server packages (gunicorn) that sit in a dependency group, not in the
    runtime set ``uv export --no-dev`` gives. Markers on the edges are kept.
    """
    lock = tomllib.loads(lock_text)
    packages = {normalise(p["name"]): p for p in lock.get("package", [])}
    out: dict[str, Requirement] = {}
    todo: list[tuple[str, str]] = [(normalise(n), "") for n in names]
    while todo:
        key, marker = todo.pop()
        if key in out:
            continue
        pkg = packages.get(key)
        if pkg is None:
            raise BundleError(f"{key} is not in uv.lock")
        artefacts = [pkg.get("sdist", {}), *pkg.get("wheels", [])]
        hashes = tuple(sorted(a["hash"] for a in artefacts if a.get("hash")))
        out[key] = Requirement(pkg["name"], pkg["version"], marker, hashes)
        for dep in pkg.get("dependencies", []):
            todo.append((normalise(dep["name"]), dep.get("marker", "")))
    return sorted(out.values(), key=lambda r: r.key)


# --------------------------------------------------------------------------- target platform


def split_platform(platform: str) -> tuple[str, int | None, str]:
    """``manylinux_2_28_x86_64`` → ("manylinux", 28, "x86_64"); legacy aliases understood."""
    legacy = {"manylinux1": 5, "manylinux2010": 12, "manylinux2014": 17}
    m = re.fullmatch(r"(manylinux|musllinux)_(\d+)_(\d+)_(\w+)", platform)
    if m:
        return m[1], int(m[3]), m[4]
    for alias, minor in legacy.items():
        if platform.startswith(alias + "_"):
            return "manylinux", minor, platform[len(alias) + 1 :]
    m = re.fullmatch(r"linux_(\w+)", platform)
    if m:
        return "linux", None, m[1]
    raise BundleError(f"unsupported platform tag {platform!r} (e.g. {DEFAULT_PLATFORM})")


def platform_tags(platform: str) -> list[str]:
    """Every tag a server of ``platform`` accepts, newest first.

    pip's ``--platform`` takes tags literally (``manylinux_2_28`` does not admit a
    ``manylinux2014`` wheel), so the older glibc levels are listed explicitly.
    """
    family, minor, arch = split_platform(platform)
    if family == "linux" or minor is None:
        return [platform]
    if family == "musllinux":
        return [f"musllinux_1_{m}_{arch}" for m in range(minor, -1, -1)]
    tags = [f"manylinux_2_{m}_{arch}" for m in range(minor, 4, -1)]
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    for glibc, alias in legacy.items():
        if glibc <= minor and (arch in ("x86_64", "i686") or glibc == 17):
            tags.append(f"{alias}_{arch}")
    return tags


def marker_environments(platform: str, python_version: str) -> list[dict[str, str]]:
    """Marker environments of the target: one per plausible patch release.

    Debian 12 ships 3.11.2 and ``redis`` wants ``async-timeout`` below 3.11.3, so a marker
    on ``python_full_version`` must be judged for every 3.11.x, not for the builder's.
    """
    _, _, arch = split_platform(platform)
    base = {
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "os_name": "posix",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": arch,
        "platform_release": "",
        "platform_version": "",
        "python_version": python_version,
        "implementation_version": "",
    }
    envs = []
    for patch in ("0", "2", "3", "99"):
        full = f"{python_version}.{patch}"
        envs.append({**base, "python_full_version": full, "implementation_version": full})
    return envs


def _marker_class() -> type:
    try:
        from packaging.markers import Marker
    except ImportError:  # the builder's venv lacks it: pip carries a copy
        from pip._vendor.packaging.markers import Marker  # type: ignore[no-redef]
    return Marker


def applies(marker: str, envs: Sequence[dict[str, str]]) -> bool:
    """True when ``marker`` holds in any of the target environments (no marker: always)."""
    if not marker:
        return True
    m = _marker_class()(marker)
    return any(m.evaluate({**env, "extra": ""}) for env in envs)


def select(reqs: Iterable[Requirement], envs: Sequence[dict[str, str]]) -> list[Requirement]:
    """The requirements the target needs; one version per package, or an error."""
    chosen: dict[str, Requirement] = {}
    for r in reqs:
        if not applies(r.marker, envs):
            continue
        if r.key in chosen and chosen[r.key].version != r.version:
            raise BundleError(
                f"{r.name}: both {chosen[r.key].version} and {r.version} apply to the target"
            )
        chosen.setdefault(r.key, r)
    return sorted(chosen.values(), key=lambda r: r.key)


# --------------------------------------------------------------------------- wheel files


def wheel_name_version(filename: str) -> tuple[str, str]:
    """``Django-5.2.19-py3-none-any.whl`` → ("django", "5.2.19")."""
    if not filename.endswith(".whl"):
        raise BundleError(f"not a wheel: {filename}")
    parts = filename[:-4].split("-")
    if len(parts) not in (5, 6):
        raise BundleError(f"not a wheel file name: {filename}")
    return normalise(parts[0]), parts[1]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def match_wheels(reqs: Sequence[Requirement], wheel_dir: Path) -> dict[str, Path]:
    """Map each requirement to its wheel; refuse missing files and hashes the lock lacks."""
    found: dict[tuple[str, str], list[Path]] = {}
    for f in sorted(wheel_dir.glob("*.whl")):
        found.setdefault(wheel_name_version(f.name), []).append(f)
    out: dict[str, Path] = {}
    problems = []
    for r in reqs:
        files = found.get((r.key, r.version), [])
        if not files:
            problems.append(f"{r.name}=={r.version}: no wheel in {wheel_dir}")
            continue
        if len(files) > 1:
            problems.append(f"{r.name}=={r.version}: several wheels {[f.name for f in files]}")
            continue
        if r.hashes and f"sha256:{sha256_file(files[0])}" not in r.hashes:
            problems.append(f"{files[0].name}: SHA-256 is not one uv.lock records")
            continue
        out[r.key] = files[0]
    if problems:
        raise BundleError("wheels do not match the lock:\n  " + "\n  ".join(problems))
    return out


def requirements_text(pinned: Sequence[tuple[Requirement, Path]], header: str) -> str:
    """``requirements.txt`` for the bundle: each wheel's own hash, markers kept."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    for req, wheel in sorted(pinned, key=lambda p: p[0].key):
        lines.append(req.line([f"sha256:{sha256_file(wheel)}"]))
    return "\n".join(lines) + "\n"


def sha256sums(root: Path, skip: Iterable[str] = ("SHA256SUMS",)) -> str:
    """``sha256sum -c`` format for every file under ``root``, sorted by path."""
    skipped = set(skip)
    lines = []
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = f.relative_to(root).as_posix()
        if rel not in skipped:
            lines.append(f"{sha256_file(f)}  {rel}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- archive


def _normalised(info: tarfile.TarInfo, mtime: int) -> tarfile.TarInfo:
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    if info.isdir() or info.mode & 0o111:
        info.mode = 0o755
    else:
        info.mode = 0o644
    return info


def make_archive(src: Path, out: Path, arcroot: str, mtime: int) -> Path:
    """A deterministic ``.tar.gz`` of ``src`` under the top directory ``arcroot``.

    Entries sorted by path, every mtime ``mtime``, owner root, modes 755/644, symlinks
    refused, gzip header without file name or time: the same tree gives the same bytes.
    """
    paths = sorted(src.rglob("*"), key=lambda p: p.relative_to(src).as_posix())
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        top = tarfile.TarInfo(arcroot)
        top.type = tarfile.DIRTYPE
        tar.addfile(_normalised(top, mtime))
        for p in paths:
            if p.is_symlink():
                raise BundleError(f"symlink in the bundle tree: {p}")
            name = f"{arcroot}/{p.relative_to(src).as_posix()}"
            info = tar.gettarinfo(str(p), arcname=name)
            info = _normalised(info, mtime)
            if p.is_file():
                with p.open("rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with tmp.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(buf.getvalue())
    tmp.replace(out)
    return out


def source_epoch(root: Path = ROOT) -> int:
    """``SOURCE_DATE_EPOCH``, else the last commit's time, else 1980-01-01."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return int(os.environ["SOURCE_DATE_EPOCH"])
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "log", "-1", "--format=%ct"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return max(int(out), FALLBACK_EPOCH)
    except (OSError, subprocess.CalledProcessError, ValueError):
        return FALLBACK_EPOCH


def project_version(root: Path = ROOT) -> str:
    return tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]


def bundle_name(version: str, python_version: str, platform: str) -> str:
    """``minzheng-0.1.0-cp311-manylinux_2_28_x86_64``."""
    return f"minzheng-{version}-cp{python_version.replace('.', '')}-{platform}"


# --------------------------------------------------------------------------- steps that run tools


def _run(cmd: Sequence[str], **kw: object) -> subprocess.CompletedProcess[str]:
    print("+ " + " ".join(str(c) for c in cmd), file=sys.stderr)
    return subprocess.run([str(c) for c in cmd], text=True, **kw)  # type: ignore[call-overload]


def _clean_env(**extra: str) -> dict[str, str]:
    """The builder's environment without the settings of a running installation."""
    drop = {
        "DATABASE_URL",
        "MIGRATE_DATABASE_URL",
        "BATCH_DATABASE_URL",
        "REDIS_URL",
        "DJANGO_SETTINGS_MODULE",
        "MINZHENG_DATA_DIR",
        "PIP_REQUIRE_VIRTUALENV",
    }
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(extra)
    return env


def uv_binary() -> str:
    found = shutil.which("uv")
    local = ROOT / ".tools" / "bin" / "uv"
    if found:
        return found
    if local.exists():
        return str(local)
    raise BundleError("uv not found: run `make install` once (it bootstraps .tools/bin/uv)")


def pip_command() -> list[str]:
    local = ROOT / ".tools" / "bin" / "pip"
    if local.exists():
        return [str(local)]
    for py in (sys.executable, "python3"):
        if subprocess.run([py, "-m", "pip", "--version"], capture_output=True).returncode == 0:
            return [py, "-m", "pip"]
    raise BundleError("no pip found (.tools/bin/pip or python3 -m pip)")


def export_requirements(uv: str, extras: Sequence[str]) -> list[Requirement]:
    cmd = [
        uv,
        "export",
        "--frozen",
        "--no-dev",
        "--no-emit-project",
        "--format",
        "requirements-txt",
    ]
    for e in extras:
        cmd += ["--extra", e]
    res = _run(cmd, cwd=ROOT, capture_output=True, env=_clean_env())
    if res.returncode:
        raise BundleError(f"uv export failed:\n{res.stderr}")
    return parse_requirements(res.stdout)


def _pip_download_args(platform: str, python_version: str) -> list[str]:
    args = ["--only-binary=:all:", "--no-deps", "--python-version", python_version]
    args += ["--implementation", "cp", "--abi", f"cp{python_version.replace('.', '')}"]
    args += ["--abi", "abi3", "--abi", "none"]
    for tag in platform_tags(platform):
        args += ["--platform", tag]
    return args


def download_wheels(
    reqs: Sequence[Requirement], dest: Path, scratch: Path, platform: str, python_version: str
) -> None:
    """``pip download`` one wheel per requirement (hash-checked); name every one that has none."""
    pip = pip_command()
    dest.mkdir(parents=True, exist_ok=True)
    req_file = scratch / "download-requirements.txt"
    unmarked = [dataclasses.replace(r, marker="") for r in reqs]
    req_file.write_text("\n".join(r.line() for r in unmarked) + "\n")
    base = [*pip, "download", "--disable-pip-version-check", "--require-hashes", "-d", str(dest)]
    base += _pip_download_args(platform, python_version)
    res = _run([*base, "-r", str(req_file)], capture_output=True, env=_clean_env())
    if res.returncode == 0:
        return
    missing = []
    for r in unmarked:  # find out which ones, so the message names them
        one = scratch / "one.txt"
        one.write_text(r.line() + "\n")
        if _run([*base, "-r", str(one)], capture_output=True, env=_clean_env()).returncode:
            missing.append(f"{r.name}=={r.version}")
    if not missing:
        raise BundleError(f"pip download failed:\n{res.stderr[-3000:]}")
    raise BundleError(
        f"no wheel for CPython {python_version} on {platform} (only a source archive, or "
        f"none for this platform): {', '.join(missing)}.\n"
        f"Pick another --platform, or build and vet those wheels and add them by hand."
    )


def build_sdist_wheels(reqs: Sequence[Requirement], dest: Path, scratch: Path) -> None:
    """Pure-Python packages published as sdist only (pyspark): build them here, hash-checked."""
    pip = pip_command()
    req_file = scratch / "sdist-requirements.txt"
    req_file.write_text("\n".join(dataclasses.replace(r, marker="").line() for r in reqs) + "\n")
    cmd = [*pip, "wheel", "--disable-pip-version-check", "--no-deps", "--require-hashes"]
    cmd += ["--no-binary", ",".join(r.name for r in reqs), "-w", str(dest), "-r", str(req_file)]
    if _run(cmd, env=_clean_env()).returncode:
        raise BundleError(f"could not build {', '.join(r.name for r in reqs)} from source")
    for r in reqs:
        built = [f for f in dest.glob("*.whl") if wheel_name_version(f.name) == (r.key, r.version)]
        if not built or not built[0].name.endswith("-py3-none-any.whl"):
            raise BundleError(f"{r.name}: the built wheel is not pure Python: {built}")


def build_project_wheel(uv: str, dest: Path, epoch: int) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    env = _clean_env(SOURCE_DATE_EPOCH=str(epoch))
    res = _run([uv, "build", "--wheel", "--out-dir", str(dest), str(ROOT)], env=env, cwd=ROOT)
    if res.returncode:
        raise BundleError("uv build --wheel failed")
    wheels = sorted(dest.glob("minzheng-*.whl"))
    if len(wheels) != 1:
        raise BundleError(f"expected one minzheng wheel, found {wheels}")
    return wheels[0]


def collect_static(dest: Path) -> int:
    """``collectstatic`` into ``dest`` (STATIC_ROOT is ``$MINZHENG_DATA_DIR/static``)."""
    with tempfile.TemporaryDirectory(prefix="minzheng-static-") as tmp:
        env = _clean_env(MINZHENG_DATA_DIR=tmp, DJANGO_SETTINGS_MODULE="minzheng.settings")
        cmd = [sys.executable, "-m", "minzheng.cli", "manage", "collectstatic", "--noinput", "-v0"]
        if _run(cmd, env=env, cwd=ROOT).returncode:
            raise BundleError("collectstatic failed")
        collected = Path(tmp) / "static"
        for lib, main in (("htmx", "htmx.min.js"), ("echarts", "echarts.min.js")):
            if not (collected / "vendor" / lib / main).exists():
                raise BundleError(
                    f"{lib} is missing from the collected static files: run `npm ci` "
                    "(make install) first"
                )
        # ECharts' npm package ships 46 MB of builds; the pages load only echarts.min.js.
        for extra in (collected / "vendor" / "echarts").iterdir():
            if extra.name != "echarts.min.js":
                shutil.rmtree(extra) if extra.is_dir() else extra.unlink()
        shutil.copytree(collected, dest)
    return sum(1 for p in dest.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- texts in the bundle

INSTALL_SH = r"""#!/bin/sh
# Install Minzheng from this bundle, with no network: a venv in PREFIX, every package from
# wheels/ (pip --no-index, hashes checked). Usage: ./install.sh [PREFIX]   (default
# /opt/minzheng-__VERSION__). PYTHON=/usr/bin/python3.11 picks the interpreter.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
VERSION=__VERSION__
PREFIX=${1:-/opt/minzheng-$VERSION}
PYTHON=${PYTHON:-python3}

cd "$HERE"
sha256sum --quiet -c SHA256SUMS || { echo "bundle damaged: SHA256SUMS does not match" >&2; exit 1; }
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (__PYMAJOR__, __PYMINOR__))' || {
    echo "need CPython __PYVERSION__ (the wheels are built for it); got: $("$PYTHON" --version 2>&1)" >&2
    exit 1
}
"$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || {
    echo "python3-venv is missing: apt install python3-venv (from the Debian media/mirror)" >&2
    exit 1
}
if [ -e "$PREFIX/.venv" ]; then
    echo "$PREFIX/.venv exists; install each version into its own directory" >&2
    exit 1
fi
mkdir -p "$PREFIX"
"$PYTHON" -m venv "$PREFIX/.venv"
PIP_NO_INDEX=1 PIP_CONFIG_FILE=/dev/null "$PREFIX/.venv/bin/python" -m pip install \
    --no-index --find-links "$HERE/wheels" --require-hashes --no-cache-dir \
    --disable-pip-version-check -q -r "$HERE/requirements.txt"
cp -R "$HERE/static" "$HERE/deploy" "$HERE/README-INSTALL.md" "$PREFIX/"
"$PREFIX/.venv/bin/minzheng" --version

cat <<EOF

Installed into $PREFIX. Next / 下一步 (docs/operations.md):
  1. /etc/minzheng/env from $PREFIX/deploy/env.example (SECRET_KEY, three database URLs, REDIS_URL)
  2. static files / 静态文件:  mkdir -p /var/lib/minzheng/static && cp -R $PREFIX/static/. /var/lib/minzheng/static/
  3. switch / 切换版本:        ln -sfn $PREFIX /opt/minzheng
  4. set -a; . /etc/minzheng/env; set +a; alias mz='runuser -u minzheng -- /opt/minzheng/.venv/bin/minzheng'
  5. database roles / 数据库角色 (then \\password each role):
        mz db roles --sql | sudo -u postgres psql -v ON_ERROR_STOP=1 -d minzheng
  6. mz init, the roles command of step 5 again, mz doctor
  7. systemctl enable --now minzheng-web minzheng-worker   (units in $PREFIX/deploy/)
EOF
"""

README_INSTALL = """# Minzheng __VERSION__ 离线安装包 / air-gapped bundle

目标 / target: CPython __PYVERSION__ on `__PLATFORM__` (Debian 12: `apt install python3-venv`).

## 中文

本安装包不需要访问任何软件仓库：`wheels/` 含全部 Python 依赖（已按 `uv.lock` 校验 SHA-256），
`static/` 为已收集的静态文件（含 htmx），`deploy/` 为 systemd、nginx 与 PostgreSQL 角色示例。

```bash
sha256sum -c SHA256SUMS                 # 校验安装包
sudo ./install.sh /opt/minzheng-__VERSION__   # 创建虚拟环境并离线安装（pip --no-index）
```

随后按屏幕提示配置 `/etc/minzheng/env`、复制静态文件、切换 `/opt/minzheng` 链接、
创建数据库角色、`minzheng init`、`minzheng doctor`。完整步骤（升级、备份恢复、密钥轮换、
监控指标）见源码中的 `docs/operations.md`。

## English

Nothing here reaches a package registry: `wheels/` holds every Python dependency (each
SHA-256 checked against `uv.lock`), `static/` the collected static files (htmx included),
`deploy/` the systemd units, nginx site and PostgreSQL roles.

```bash
sha256sum -c SHA256SUMS                 # check the bundle
sudo ./install.sh /opt/minzheng-__VERSION__   # venv + offline install (pip --no-index)
```

Then follow the printed steps: `/etc/minzheng/env`, copy the static files, point
`/opt/minzheng` at the new directory, database roles, `minzheng init`, `minzheng doctor`.
The full procedure (upgrade, backup and restore, rotating secrets, metrics) is
`docs/operations.md` in the source tree.

Contents: __CONTENTS__
"""


def _fill(template: str, **values: str) -> str:
    for k, v in values.items():
        template = template.replace(f"__{k}__", v)
    return template


# --------------------------------------------------------------------------- main


def build(args: argparse.Namespace) -> Path:
    version = project_version()
    epoch = source_epoch()
    name = bundle_name(version, args.python_version, args.platform)
    envs = marker_environments(args.platform, args.python_version)
    uv = uv_binary()
    extras = ["spark"] if args.spark else []

    runtime = select(export_requirements(uv, extras), envs)
    server = (
        []
        if args.no_gunicorn
        else select(lock_closure((ROOT / "uv.lock").read_text(), SERVER_PACKAGES), envs)
    )
    reqs = select([*runtime, *(s for s in server if s.key not in {r.key for r in runtime})], envs)
    from_source = [r for r in reqs if r.key in SDIST_BUILD_ALLOWED]
    binary = [r for r in reqs if r.key not in SDIST_BUILD_ALLOWED]

    with tempfile.TemporaryDirectory(prefix="minzheng-bundle-", dir=args.work_dir) as tmp:
        work = Path(tmp)
        tree = work / name
        wheels = tree / "wheels"
        download_wheels(binary, wheels, work, args.platform, args.python_version)
        if from_source:
            build_sdist_wheels(from_source, wheels, work)
        matched = match_wheels(binary, wheels)
        matched.update(
            match_wheels([dataclasses.replace(r, hashes=()) for r in from_source], wheels)
        )
        project_wheel = build_project_wheel(uv, work / "project", epoch)
        shutil.copy2(project_wheel, wheels / project_wheel.name)
        project = Requirement("minzheng", version)
        pinned = [(r, matched[r.key]) for r in reqs] + [(project, wheels / project_wheel.name)]
        header = (
            f"Minzheng {version}: every wheel in wheels/, pinned by hash (uv.lock).\n"
            f"pip install --no-index --find-links wheels --require-hashes -r requirements.txt"
        )
        (tree / "requirements.txt").write_text(requirements_text(pinned, header))
        n_static = collect_static(tree / "static")
        shutil.copytree(ROOT / "deploy", tree / "deploy")
        py = args.python_version.split(".")
        install = _fill(
            INSTALL_SH, VERSION=version, PYMAJOR=py[0], PYMINOR=py[1], PYVERSION=args.python_version
        )
        (tree / "install.sh").write_text(install)
        (tree / "install.sh").chmod(0o755)
        contents = (
            f"{len(pinned)} wheels, {n_static} static files"
            + (", pyspark" if args.spark else "")
            + (", gunicorn" if server else "")
            + "."
        )
        readme = _fill(
            README_INSTALL,
            VERSION=version,
            PYVERSION=args.python_version,
            PLATFORM=args.platform,
            CONTENTS=contents,
        )
        (tree / "README-INSTALL.md").write_text(readme)
        (tree / "SHA256SUMS").write_text(sha256sums(tree))
        out = make_archive(tree, Path(args.out) / f"{name}.tar.gz", name, epoch)
    size = out.stat().st_size
    print(
        f"{out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}: {size / 1e6:.1f} MB, {contents}"
    )
    return out


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    p.add_argument(
        "--platform",
        default=DEFAULT_PLATFORM,
        help=f"wheel platform tag (default {DEFAULT_PLATFORM}; older glibc levels are accepted too)",
    )
    p.add_argument(
        "--python-version", default=DEFAULT_PYTHON, help="target CPython X.Y (default 3.11)"
    )
    p.add_argument(
        "--spark",
        action="store_true",
        help="include the spark extra (pyspark, built from its ~450 MB sdist)",
    )
    p.add_argument(
        "--no-gunicorn", action="store_true", help="leave out gunicorn (the web unit's server)"
    )
    p.add_argument("--out", default=str(ROOT / "dist"), help="output directory (default dist/)")
    p.add_argument("--work-dir", default=None, help="scratch directory (default: system temp)")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        build(parse_args(argv))
    except BundleError as exc:
        print(f"bundle: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
