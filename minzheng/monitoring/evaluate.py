"""Grade linkage and warnings against the generator's ground truth (``DIR/truth.json``).

The truth names people as ``<household ref>#<n>`` (n: the person's rank by primary key
within the household, 0 = the first loaded, the head) and households by their ref; see
:mod:`minzheng.synth.feeds`. Precision, recall and F1 are fractions between 0 and 1:

* linkage — over every feed record the truth knows: a predicted link to the true person is
  a true positive, a link to anyone else a false positive (and, when the record has a true
  person, also a false negative), no link where there is a true person a false negative;
* warnings — over (rule, subject) pairs: subject is the household for household rules and
  the person for person rules, as the rule set declares.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any


def prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    """Precision, recall and F1 (1.0 when there was nothing to find and nothing was found)."""
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "tp": tp, "fp": fp, "fn": fn}  # fmt: skip


def person_keys() -> dict[int, str]:
    """Person pk → ``<household ref>#<rank>`` as the truth names people."""
    from minzheng.registry.models import Person

    out: dict[int, str] = {}
    ranks: dict[int, int] = defaultdict(int)
    rows = Person.objects.filter(household__isnull=False).order_by("household_id", "pk")
    for pk, hh, ref in rows.values_list("pk", "household_id", "household__ref"):
        out[pk] = f"{ref}#{ranks[hh]}"
        ranks[hh] += 1
    return out


def grade_links(truth: dict[str, dict[str, str | None]], keys: dict[int, str]) -> dict[str, Any]:
    from minzheng.monitoring.models import FeedRecord

    tp = fp = fn = 0
    for kind, links in truth.items():
        got = dict(FeedRecord.objects.filter(kind=kind).values_list("source_key", "person_id"))
        for key, true in links.items():
            pk = got.get(key)
            guess = keys.get(pk) if pk is not None else None
            if guess is not None and guess == true:
                tp += 1
            else:
                fp += int(guess is not None)
                fn += int(true is not None)
    return prf(tp, fp, fn)


def grade_warnings(truth: list[dict[str, Any]], keys: dict[int, str]) -> dict[str, Any]:
    from minzheng.monitoring.alerts import Alert
    from minzheng.monitoring.rules import default_rules

    rules = default_rules()
    subject = {name: r.ruleset.subject for name, r in rules.items()}
    expected = {
        (w["rule"], w["household"] if subject.get(w["rule"]) == "household" else w["person"])
        for w in truth
    }
    got = set()
    for rule, kind, hh_ref, person in Alert.objects.values_list(
        "rule", "subject", "household__ref", "person_id"
    ):
        got.add((rule, hh_ref if kind == "household" else keys.get(person)))
    per_rule = {}
    for name in sorted({r for r, _ in expected | got}):
        e = {x for x in expected if x[0] == name}
        g = {x for x in got if x[0] == name}
        per_rule[name] = prf(len(e & g), len(g - e), len(e - g))
    overall = prf(len(expected & got), len(got - expected), len(expected - got))
    return {"overall": overall, "per_rule": per_rule,
            "missed": sorted(expected - got)[:20], "wrong": sorted(got - expected)[:20]}  # fmt: skip


def grade_discoveries(truth: list[dict[str, Any]]) -> dict[str, Any]:
    from minzheng.monitoring.alerts import Discovery

    expected = {d["id_number"] or f"{d['name']}" for d in truth}
    got = set(Discovery.objects.values_list("id_number", flat=True)) - {""}
    return prf(len(expected & got), len(got - expected), len(expected - got))


def evaluate(directory: Path) -> dict[str, Any]:
    """The grades of what the database holds against ``directory/truth.json``."""
    truth = json.loads((Path(directory) / "truth.json").read_text(encoding="utf-8"))
    keys = person_keys()
    warnings = grade_warnings(truth["warnings"], keys)
    return {
        "as_of": truth["as_of"],
        "linkage": grade_links(truth["links"], keys),
        "warnings": warnings["overall"],
        "per_rule": warnings["per_rule"],
        "discoveries": grade_discoveries(truth.get("discoveries", [])),
        "missed": [list(x) for x in warnings["missed"]],
        "wrong": [list(x) for x in warnings["wrong"]],
    }
