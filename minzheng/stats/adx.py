"""ADX export (IHE QRPH ADX, as DHIS2 reads it) of the entered data sets.

One ``<group>`` per county × data set with values, ``orgUnit`` the county's 6-digit code,
``dataElement`` the catalogue code and ``value`` in the indicator's **base unit** (张, 人,
元 — what a DHIS2 data element counts; the CSV uses report units such as 万张 instead).
Periods are ISO 8601 intervals: ``2024Q3`` → ``2024-07-01/P3M``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from xml.etree import ElementTree as ET

from minzheng.stats.datasets import dataset_of, fmt, period_label
from minzheng.stats.models import DataValue
from minzheng.stats.periods import parse_period

NS = "urn:ihe:qrph:adx:2015"


def adx_period(label: str) -> str:
    """``2024Q3`` → ``2024-07-01/P3M``; ``2024-07`` → ``2024-07-01/P1M``; ``2024`` → ``/P1Y``."""
    p = parse_period(label)
    length = "P3M" if "Q" in p.label else "P1M" if "-" in p.label else "P1Y"
    return f"{p.start.isoformat()}/{length}"


def values_adx(*, period: str, prefix: str = "", dataset: str = "") -> str:
    """The counties' entered values of ``period`` under ``prefix`` as an ADX document."""
    label = period_label(period)
    qs = DataValue.objects.filter(period=label, division_code__startswith=prefix)
    groups: dict[tuple[str, str], list[DataValue]] = defaultdict(list)
    for row in qs.order_by("division_code", "indicator"):
        ds = dataset_of(row.indicator)
        if ds is not None and (not dataset or ds.code == dataset):
            groups[(row.division_code[:6], ds.code)].append(row)
    ET.register_namespace("", NS)
    root = ET.Element(
        f"{{{NS}}}adx", exported=dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )
    for (org, ds_code), rows in sorted(groups.items()):
        group = ET.SubElement(
            root, f"{{{NS}}}group", orgUnit=org, period=adx_period(label), dataSet=ds_code
        )
        for r in rows:
            ET.SubElement(group, f"{{{NS}}}dataValue", dataElement=r.indicator, value=fmt(r.value))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
