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
# The registry's facts hold from here, so that past quarters' statistics have households.
DEMO_REGISTRY_FROM = dt.date(2023, 1, 1)


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
        counts = population_load(directory=out, on=DEMO_REGISTRY_FROM)
        yield f"合成人口 synthetic population: {counts.persons} persons, {counts.households} households"
        yield from demo_monitoring(pop, out)
    else:
        yield f"已有人员 existing persons: {Person.objects.count()}"
    yield from demo_statistics(counties)
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


DEMO_STATS_PERIODS = ("2023Q3", "2023Q4", "2024Q1", "2024Q2")


def demo_statistics(counties: list[str] | None = None) -> Iterator[str]:
    """Programme enrolments for the demo's dibao and tekun layers (their starts spread over
    the year so that the dashboards' trends move), a few temporary grants, and a statistics
    snapshot for each quarter up to the demo date; for ``counties``, entered figures of two
    data sets (township-level divisions counted from the division table, institutions and
    beds) for the last two quarters, left open for the demo users to submit and approve."""
    import random

    from django.db.models import Count

    from minzheng.accounts.rls import EVERYTHING, acting
    from minzheng.assistance.models import Enrolment, Programme
    from minzheng.monitoring.models import LayerMembership
    from minzheng.registry.models import Household, Membership
    from minzheng.stats.services import stats_snapshot

    rng = random.Random(2026)
    start, end = dt.date(2023, 7, 1), DEMO_AS_OF

    def day() -> dt.date:
        return start + dt.timedelta(days=rng.randrange((end - start).days))

    with acting(EVERYTHING):
        if not Enrolment.objects.exists():
            rows = []
            layered = LayerMembership.objects.filter(layer__in=["dibao", "tekun"])
            wanted: dict[tuple[int, str], int] = {}
            for person_id, household_id, layer in layered.values_list(
                "person_id", "person__memberships__household_id", "layer"
            ).distinct():
                if household_id is not None:
                    wanted.setdefault((household_id, layer), person_id)
            households = Household.objects.in_bulk({h for h, _ in wanted})
            sizes = dict(  # members now, per household (one query, not one per household)
                Membership.objects.filter(valid_to__isnull=True)
                .values("household_id")
                .annotate(n=Count("pk"))
                .values_list("household_id", "n")
            )
            for (household_id, layer), payee in sorted(wanted.items()):
                h = households[household_id]
                covered = (sizes.get(household_id) or 1) if layer == "dibao" else 1
                rows.append(
                    Enrolment(
                        programme=layer,
                        household=h,
                        payee_id=payee,
                        division_id=h.hukou_division_id,
                        amount_fen=covered * rng.randrange(30_000, 90_000, 100),
                        covered_persons=covered,
                        valid_from=day(),
                    )
                )
            for h in Household.objects.order_by("pk")[::40]:
                granted = day()
                rows.append(
                    Enrolment(
                        programme=Programme.TEMPORARY,
                        household=h,
                        payee_id=h.head_id,
                        division_id=h.hukou_division_id,
                        amount_fen=rng.randrange(50_000, 300_000, 1_000),
                        covered_persons=1,
                        valid_from=granted,
                        valid_to=granted + dt.timedelta(days=1),
                        state="terminated",
                    )
                )
            Enrolment.objects.bulk_create([r for r in rows if r.payee_id], batch_size=2000)
            yield f"救助对象 enrolments: {len(rows)}"
        from minzheng.stats.models import Snapshot

        for period in DEMO_STATS_PERIODS:
            if not Snapshot.objects.filter(period=period).exists():
                snap = stats_snapshot(period, as_of=DEMO_AS_OF + dt.timedelta(days=1))
                yield f"统计快照 statistics snapshot {snap}: {snap.rows} figures, {snap.seconds:.1f} s"
        yield from _demo_entered(counties or [])


def _demo_entered(counties: list[str]) -> Iterator[str]:
    from decimal import Decimal

    from minzheng.accounts.services import system_actor
    from minzheng.divisions.models import Division
    from minzheng.stats import datasets
    from minzheng.stats.models import DataValue

    if DataValue.objects.exists():
        return
    actor, n = system_actor(), 0
    for code in counties:
        county = Division.objects.current().get(code=code.ljust(12, "0"))
        towns = list(
            Division.objects.current()
            .filter(level=4, code__startswith=code)
            .values_list("name", flat=True)
        )
        kinds = [sum(t.endswith(k) for t in towns) for k in ("镇", "乡", "街道")]
        values = {"TD01": len(towns), "TD02": kinds[0], "TD03": kinds[1], "TD04": kinds[2]}
        values |= {"IN11": 6, "IN21": 1, "IN31": 1, "IN41": 2, "IN01": 10}
        values |= {"IN12": 1200, "IN22": 150, "IN32": 80, "IN42": 70, "IN02": 1500}
        for period in DEMO_STATS_PERIODS[-2:]:
            entries = {c: datasets.Entry(Decimal(v)) for c, v in values.items()}
            datasets.values_save(actor=actor, division=county, period=period, entries=entries)
            n += len(entries)
    yield f"填报指标 entered statistics: {n} values"
