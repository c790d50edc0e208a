"""The Splink model: comparisons, blocking rules and how m and u are estimated.

Comparisons (each with a NULL level when either side is missing):

* ``name`` — same characters; same pinyin (homophones 同音字); one character
  different; pinyin Jaro-Winkler ≥ 0.9; else;
* ``birth_date`` — exact; day and month swapped; same year and month; one digit
  different; else;
* ``sex`` — same; else;
* ``division`` — any of each side's division columns sharing 12 / 9 / 6 / 4 digits;
  else (the registry has hukou and residence divisions, a feed usually one);
* ``address`` — Jaro-Winkler ≥ 0.9; ≥ 0.7; else;
* ``id_number`` — one character different (a corrupted digit); two; else. Its m cannot be
  learned from exact-ID matches (they agree by construction), so it is fixed.

m comes from the exact-ID matches, used as labelled pairs (a free training set: the
same feed, the same people), or from EM when there are too few; u from random
pairs; the prior from the share of valid-ID records that found their person.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from splink import Linker

    from minzheng.monitoring.linkage.config import LinkConfig

#: Fixed m for ``id_number`` unless the config gives its own: [≤ 1 digit, ≤ 2, else].
ID_NUMBER_M = [0.9, 0.06, 0.04]
MIN_LABELLED_PAIRS = 50
_DIV_SIZES = (12, 9, 6, 4)
# Hamming distance is ~5x cheaper than edit distance; padding makes the lengths equal.
_ID_HAMMING = "hamming(rpad(id_number_l, 18, '#'), rpad(id_number_r, 18, '#'))"


def _level(sql: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, **extra}


def _null(*cols: str) -> dict[str, Any]:
    sql = " OR ".join(f"{c}_l IS NULL OR {c}_r IS NULL" for c in cols)
    return _level(sql, "null", is_null_level=True)


def _name_levels() -> list[dict[str, Any]]:
    return [
        _null("name"),
        _level("name_l = name_r", "same characters"),
        _level("name_py_l = name_py_r", "same pinyin"),
        _level("damerau_levenshtein(name_l, name_r) <= 1", "one character"),
        _level("jaro_winkler_similarity(name_py_l, name_py_r) >= 0.9", "pinyin jw >= 0.9"),
        _level("ELSE", "else"),
    ]


def _birth_levels() -> list[dict[str, Any]]:
    swapped = (
        "birth_year_l = birth_year_r AND substr(birth_date_l, 6, 2) = substr(birth_date_r, 9, 2)"
        " AND substr(birth_date_l, 9, 2) = substr(birth_date_r, 6, 2)"
    )
    return [
        _null("birth_date"),
        _level("birth_date_l = birth_date_r", "exact"),
        _level(swapped, "day and month swapped"),
        _level("birth_month_l = birth_month_r", "same year and month"),
        _level("hamming(birth_date_l, birth_date_r) <= 1", "one digit"),
        _level("ELSE", "else"),
    ]


def _division_levels(left_cols: int, right_cols: int) -> list[dict[str, Any]]:
    lefts = ["division", "division2"][:left_cols]
    rights = ["division", "division2"][:right_cols]
    levels = [_level("division_l IS NULL OR division_r IS NULL", "null", is_null_level=True)]
    for n in _DIV_SIZES:
        pairs = [f"substr({a}_l, 1, {n}) = substr({b}_r, 1, {n})" for a in lefts for b in rights]
        levels.append(_level(" OR ".join(pairs), f"{n} digits"))
    return [*levels, _level("ELSE", "else")]


def comparisons(config: LinkConfig) -> list[dict[str, Any]]:
    """Splink comparison dicts for the fields both sides map, with any fixed m/u."""
    builders = {
        "name": _name_levels,
        "birth_date": _birth_levels,
        "sex": lambda: [_null("sex"), _level("sex_l = sex_r", "same"), _level("ELSE", "else")],
        "division": lambda: _division_levels(
            len(config.left.get("division", [])), len(config.right.get("division", []))
        ),
        "address": lambda: [
            _null("address"),
            _level("jaro_winkler_similarity(address_l, address_r) >= 0.9", "jw >= 0.9"),
            _level("jaro_winkler_similarity(address_l, address_r) >= 0.7", "jw >= 0.7"),
            _level("ELSE", "else"),
        ],
        "id_number": lambda: [
            _null("id_number"),
            _level(f"{_ID_HAMMING} <= 1", "one digit"),
            _level(f"{_ID_HAMMING} <= 2", "two digits"),
            _level("ELSE", "else"),
        ],
    }
    fixed = {"id_number": {"m": ID_NUMBER_M}} | config.fixed
    out = []
    for name in config.compared():
        levels = builders[name]()
        _apply_fixed(levels, fixed.get(name, {}))
        out.append({"output_column_name": name, "comparison_levels": levels})
    return out


def _apply_fixed(levels: list[dict[str, Any]], spec: dict[str, list[float]]) -> None:
    non_null = [lv for lv in levels if not lv.get("is_null_level")]
    for kind in ("m", "u"):
        for level, value in zip(non_null, spec.get(kind, []), strict=False):
            level[f"{kind}_probability"] = value
            level[f"fix_{kind}_probability"] = True


def blocking_sql(config: LinkConfig) -> list[str]:
    """Each rule as SQL; a rule on a division key is tried with every division column."""
    rules: list[str] = []
    nl = len(config.left.get("division", []))
    nr = len(config.right.get("division", []))
    for rule in config.blocking:
        variants = (
            [(a, b) for a in range(nl) for b in range(nr)] if _on_division(rule) else [(0, 0)]
        )
        for a, b in variants:
            sql = " AND ".join(_key_sql(key, a, b) for key in rule)
            if sql not in rules:
                rules.append(sql)
    return rules


def _on_division(rule: tuple[str, ...]) -> bool:
    return any(k.startswith("division") for k in rule)


def _key_sql(key: str, a: int, b: int) -> str:
    if key.startswith("division"):
        n = int(key.removeprefix("division"))
        ca, cb = ("division", "division2")[a], ("division", "division2")[b]
        return f"substr(l.{ca}, 1, {n}) = substr(r.{cb}, 1, {n})"
    column = {"name_initials": "name_init", "name_pinyin": "name_py"}.get(key, key)
    return f"l.{column} = r.{column}"


def settings(config: LinkConfig, prior: float) -> dict[str, Any]:
    """A Splink settings dict for linking ``left`` to ``right`` (link only)."""
    return {
        "link_type": "link_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": prior,
        "comparisons": comparisons(config),
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": sql} for sql in blocking_sql(config)
        ],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "em_convergence": 0.001,
        "max_iterations": 20,
    }


def m_from_labels(linker: Linker) -> None:
    """Estimate m from the training linker's ``label`` column (the exact-ID matches)."""
    linker.training.estimate_m_from_label_column("label")


def m_by_em(linker: Linker, config: LinkConfig) -> None:
    """Estimate m by expectation maximisation, blocking on two independent keys
    (nothing to do when the config fixes every comparison's m)."""
    from splink import block_on

    fields = [c for c in config.compared() if "m" not in config.fixed.get(c, {})]
    if not fields:
        return
    if "birth_date" in config.compared():
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("birth_date"), fix_u_probabilities=True
        )
    if "name" in config.compared():
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("name_py"), fix_u_probabilities=True
        )


def copy_m(model: dict[str, Any], target: dict[str, Any]) -> None:
    """Copy trained m probabilities from ``model`` into the same comparisons of ``target``."""
    trained = {c["output_column_name"]: c["comparison_levels"] for c in model["comparisons"]}
    for comparison in target["comparisons"]:
        for mine, theirs in zip(
            comparison["comparison_levels"], trained[comparison["output_column_name"]], strict=True
        ):
            if theirs.get("m_probability") is not None and not mine.get("fix_m_probability"):
                mine["m_probability"] = theirs["m_probability"]


def floor(model: dict[str, Any], *, m_floor: float, u_floor: float) -> dict[str, Any]:
    """Give every level at least ``m_floor`` / ``u_floor`` and renormalise each comparison.

    A level the labelled pairs or the random sample never showed would otherwise get
    m = 0 (a veto) or u = 0 (certainty).
    """
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for kind, low in (("m", m_floor), ("u", u_floor)):
            values = [max(lv.get(f"{kind}_probability") or 0.0, low) for lv in levels]
            total = sum(values)
            for lv, v in zip(levels, values, strict=True):
                lv[f"{kind}_probability"] = v / total
    return model
