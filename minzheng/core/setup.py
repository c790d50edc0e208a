"""First-run setup shared by ``minzheng init``, ``minzheng demo`` and the tests."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

from django.core.management import call_command

DEMO_ACCOUNTS = (
    # username, division (6/9-digit; "" = nation), role, description
    ("admin", "", "sysadmin", "系统管理员 system administrator"),
    ("security", "", "secadmin", "安全管理员 security administrator"),
    ("auditor", "", "auditadmin", "审计管理员 audit administrator"),
    ("nation", "", "analyst", "全国分析员 national analyst"),
    ("province", "44", "analyst", "省级分析员 provincial analyst (广东)"),
    ("county1", "440106", "approver", "县级审批 approver, 天河区"),
    ("county2", "440104", "approver", "县级审批 approver, 越秀区"),
    ("reviewer1", "440106", "reviewer", "县级审核 reviewer, 天河区"),
    ("town1", "440106001", "caseworker", "乡镇经办 caseworker, 五山街道"),
)
DEMO_AS_OF = dt.date(2024, 6, 30)


def initialise(*, townships: bool = True) -> Iterator[str]:
    """Migrate, then load divisions (once): yields progress lines."""
    call_command("migrate", verbosity=0)
    from minzheng.accounts.services import ensure_role_groups

    ensure_role_groups()
    yield "数据库已就绪 database migrated"
    from minzheng.divisions import services
    from minzheng.divisions.models import Division

    if not Division.objects.filter(level=3).exists():
        r = services.divisions_load_official()
        yield f"行政区划 divisions: {r.created} loaded"
        if townships:
            r = services.divisions_load_subcounty(path=services.DATA_DIR / "townships.csv.gz")
            yield f"乡镇街道 townships: {r.created} loaded"
        r = services.divisions_load_history()
        yield f"区划沿革 retired codes: {r.created} loaded"
    from minzheng.workdays.models import CalendarYear

    if not CalendarYear.objects.exists():
        from minzheng.workdays.services import calendar_seed

        seeded = calendar_seed()
        yield f"法定节假日 holiday calendar: {len(seeded.years)} years"
    from minzheng.assistance.parameters import parameters_seed

    n = parameters_seed()
    if n:
        yield f"救助参数 assistance parameters: {n} national defaults"


def demo_password() -> str:
    return os.environ.get("MINZHENG_DEMO_PASSWORD", "minzheng-demo")


def demo_accounts() -> list[str]:
    """Create the demo accounts (and role groups) if missing; returns one line per account."""
    from minzheng.accounts.models import User
    from minzheng.accounts.services import ensure_role_groups
    from minzheng.divisions.models import Division

    groups = ensure_role_groups()
    lines = []
    for username, code, role, desc in DEMO_ACCOUNTS:
        division = Division.objects.current().get(code=code.ljust(12, "0") if code else "0" * 12)
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                division=division,
                first_name=desc.split()[0],
                is_staff=role in ("sysadmin", "secadmin", "auditadmin"),
            )
            user.set_password(demo_password())
            user.save()
            user.groups.add(groups[role])
        lines.append(f"  {username:<10} {desc}")
    return lines


def demo_setup(*, persons: int, counties: list[str]) -> Iterator[str]:
    """Everything ``make demo`` needs, reusing what a previous run left."""
    from minzheng.paths import data_dir
    from minzheng.registry.models import Person

    yield from initialise()
    if not Person.objects.exists():
        from minzheng.registry.bulk import population_load
        from minzheng.synth import generate, write

        out = data_dir() / "demo-population"
        pop = generate(
            persons=persons, province="44", counties=counties, seed=2026, as_of=DEMO_AS_OF
        )
        write(pop, out)
        counts = population_load(directory=out, on=DEMO_AS_OF)
        yield f"合成人口 synthetic population: {counts.persons} persons, {counts.households} households"
        yield from demo_monitoring(pop, out)
    else:
        yield f"已有人员 existing persons: {Person.objects.count()}"
    yield f"演示账号 demo accounts (password: {demo_password()}):"
    yield from demo_accounts()


def demo_monitoring(pop: object, out: object) -> Iterator[str]:
    """Department feeds of the synthetic population, its layers, and one monitoring pass on
    the demo date, so the warning inbox has something in it."""
    from pathlib import Path

    from minzheng.accounts.rls import EVERYTHING, acting
    from minzheng.monitoring.feeds.importing import feed_import
    from minzheng.monitoring.layers import layers_load_csv
    from minzheng.monitoring.passes import monitor_run
    from minzheng.synth.feeds import kinds, make_feeds, write_feeds

    directory = Path(str(out))
    written = write_feeds(make_feeds(pop), directory)  # type: ignore[arg-type]
    with acting(EVERYTHING):
        rows = sum(feed_import(kind=k, path=written[k], actor=None).created for k in kinds())
        layers_load_csv(directory / "layers.csv", valid_from=DEMO_AS_OF.replace(year=2023))
        summary = monitor_run(as_of=DEMO_AS_OF)
    yield f"部门数据 department feeds: {rows} records"
    yield f"监测预警 monitoring pass: {summary.new} warnings, {summary.discoveries} discoveries"
