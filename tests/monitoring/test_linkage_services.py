"""Linking feed records to registry persons, and deciding clerical pairs (database)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from minzheng.accounts.models import AuditEvent
from minzheng.monitoring.linkage.config import load_config, parse_config
from minzheng.monitoring.linkage.services import clerical_decide, link_feed_records
from minzheng.monitoring.models import ClericalPair, FeedBatch, FeedRecord, LinkMethod

# A handful of registry persons cannot train a model: fix m and u (and the prior).
FIXED = {
    "name": {"m": [0.9, 0.04, 0.03, 0.02, 0.01], "u": [0.001, 0.0005, 0.002, 0.01, 0.9865]},
    "birth_date": {"m": [0.95, 0.01, 0.02, 0.01, 0.01], "u": [3e-5, 3e-5, 1e-3, 5e-3, 0.99394]},
    "sex": {"m": [0.99, 0.01], "u": [0.5, 0.5]},
    "division": {"m": [0.7, 0.05, 0.2, 0.04, 0.01], "u": [0.01, 0.01, 0.1, 0.2, 0.68]},
    "id_number": {"m": [0.9, 0.06, 0.04], "u": [1e-6, 1e-5, 0.999989]},
}


def config(review: float = 0.5) -> Any:
    doc = {
        "fields": {
            "left": {"id": "id", "id_number": "id_number", "name": "name", "sex": "sex",
                     "birth_date": "birth_date", "division": "division_code"},
            "right": {"id": "id", "id_number": "id_number", "name": "name", "sex": "sex",
                      "birth_date": "birth_date", "division": ["hukou_division", "residence_division"],
                      "address": "address"},
        },
        "thresholds": {"accept": 0.95, "review": review},
        "training": {"prior": 0.01, "u_max_pairs": 1000},
        "fixed": FIXED | {"address": {"m": [0.8, 0.1, 0.1], "u": [0.01, 0.1, 0.89]}},
    }  # fmt: skip
    return parse_config(doc)


def record(batch: FeedBatch, key: str, **fields: Any) -> FeedRecord:
    return FeedRecord.objects.create(kind="medical", source_key=key, batch=batch, row_hash=key,
                                     event_date=dt.date(2024, 7, 1), **fields)  # fmt: skip


@pytest.fixture
def feed(world: Any) -> dict[str, FeedRecord]:
    batch = FeedBatch.objects.create(kind="medical", file_name="m.csv")
    t1, y1, t2 = world.persons["t1"][0], world.persons["y1"][1], world.persons["t2"][0]
    return {
        "exact": record(batch, "k1", id_number=t1.id_number, id_valid=True, name=t1.name,
                        sex=t1.sex, birth_date=t1.birth_date, division_code="440106001000"),
        "no_id": record(batch, "k2", name=y1.name, sex=y1.sex, birth_date=y1.birth_date,
                        division_code="440104003000"),
        "weak": record(batch, "k3", name=t2.name, sex=t2.sex,
                       birth_date=t2.birth_date.replace(month=11, day=27),
                       division_code="440104003000"),
        "stranger": record(batch, "k4", name="司马光", sex="1", birth_date=dt.date(1990, 5, 5),
                           division_code="440106002000"),
    }  # fmt: skip


def test_link_writes_links_and_queues_doubtful_pairs(world: Any, feed: dict[str, Any]) -> None:
    summary = link_feed_records(config=config(review=1e-6))
    assert summary["linked"] == 2 and summary["queued"] >= 1
    exact, no_id = (FeedRecord.objects.get(pk=feed[k].pk) for k in ("exact", "no_id"))
    assert (exact.person, exact.link_method, exact.match_probability) == (
        world.persons["t1"][0], LinkMethod.EXACT, 1.0)  # fmt: skip
    assert no_id.person == world.persons["y1"][1] and no_id.link_method == LinkMethod.PROBABILISTIC
    assert no_id.match_probability >= 0.95 and no_id.linked_at is not None
    pair = ClericalPair.objects.get(feed_record=feed["weak"])
    assert pair.person == world.persons["t2"][0] and pair.status == ClericalPair.Status.PENDING
    assert FeedRecord.objects.get(pk=feed["weak"].pk).person is None
    assert not ClericalPair.objects.filter(feed_record=feed["stranger"], match_probability__gte=0.5)
    assert AuditEvent.objects.filter(action="link", object_type="feedrecord").count() == 1
    # a second run leaves linked records alone and queues nothing twice
    again = link_feed_records(config=config(review=1e-6))
    assert again["linked"] == 0 and again["queued"] == 0


def test_clerical_accept_links_the_record(world: Any, feed: dict[str, Any]) -> None:
    link_feed_records(config=config(review=1e-6))
    pair = ClericalPair.objects.get(feed_record=feed["weak"])
    actor = world.users["county1"]
    clerical_decide(pair, actor=actor, accept=True)
    pair.refresh_from_db()
    rec = FeedRecord.objects.get(pk=feed["weak"].pk)
    assert (pair.status, pair.decided_by) == (ClericalPair.Status.ACCEPTED, actor)
    assert (rec.person, rec.link_method) == (world.persons["t2"][0], LinkMethod.CLERICAL)
    event = AuditEvent.objects.get(action="clerical_accept")
    assert event.actor == actor and event.object_id == str(rec.pk)
    with pytest.raises(ValidationError):
        clerical_decide(pair, actor=actor, accept=False)


def test_clerical_reject_leaves_the_record_unlinked(world: Any, feed: dict[str, Any]) -> None:
    link_feed_records(config=config(review=1e-6))
    pair = ClericalPair.objects.get(feed_record=feed["weak"])
    clerical_decide(pair, actor=world.users["county1"], accept=False)
    pair.refresh_from_db()
    assert pair.status == ClericalPair.Status.REJECTED
    assert FeedRecord.objects.get(pk=feed["weak"].pk).link_method == LinkMethod.NONE
    assert AuditEvent.objects.filter(action="clerical_reject").count() == 1


def test_default_config_maps_the_service_tables() -> None:
    cfg = load_config()
    assert cfg.column("left", "division") == "division_code"
    assert cfg.right["division"] == ["hukou_division", "residence_division"]


def test_links_are_written_as_the_orm_reads_them(world):
    import datetime as dt

    from django.utils import timezone

    from minzheng.monitoring.linkage.services import _write_links
    from minzheng.monitoring.models import FeedRecord
    from tests.monitoring.test_pass import record

    rec = record("death", None, dt.date(2024, 5, 1))
    person = world.persons["t1"][0]
    pair = {"left_id": rec.pk, "right_id": person.pk, "match_probability": 0.97,
            "method": "probabilistic"}  # fmt: skip
    assert _write_links([pair]) == 1
    got = FeedRecord.objects.get(pk=rec.pk)
    assert (got.person_id, got.match_probability, got.link_method) == (person.pk, 0.97,
                                                                       "probabilistic")  # fmt: skip
    assert got.linked_at is not None and abs((timezone.now() - got.linked_at).total_seconds()) < 60
