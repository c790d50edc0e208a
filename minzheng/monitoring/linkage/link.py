"""Linking two tables of people: exact on valid ID numbers, Splink for the rest.

:func:`link_tables` is pure (no Django): Arrow tables or ``.csv`` / ``.parquet``
paths in, an Arrow table of pairs out (``left_id, right_id, match_probability,
method``), at most one per left record — its best candidate at or above the review
threshold. Steps, all in one in-memory DuckDB:

1. both tables are mapped to canonical columns and normalised (:mod:`.prepare`);
2. left records whose valid ID number is in the right table link exactly (p = 1);
3. the others — no ID, an invalid one, or one the right table lacks — go to Splink
   (:mod:`.model`): m from the exact matches as labelled pairs, u from random pairs
   (sampled by a seeded hash, so the result repeats), the prior from the exact-join
   rate; best candidate per left record.

Cost grows with the ~6% of records without an exact match, not the whole feed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from minzheng.monitoring.linkage import model as mdl
from minzheng.monitoring.linkage.config import LinkConfig
from minzheng.monitoring.linkage.prepare import canonical, read_table

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    from splink import Linker

__all__ = ["LinkResult", "link_tables"]

#: Share of left records assumed to have a match when too few carry a valid ID to tell.
DEFAULT_MATCH_RATE = 0.9
_SPLINK_COLUMNS = (
    "unique_id, id_number, name, name_py, name_init, sex, birth_date, birth_year,"
    " birth_month, division, division2, address"
)


@dataclass
class LinkResult:
    """Pairs and what it took to find them."""

    pairs: pa.Table
    left_rows: int
    right_rows: int
    accept: float
    review: float
    to_splink: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    model: dict[str, Any] | None = None

    def counts(self) -> dict[str, int]:
        """Pairs by method, and probabilistic ones by threshold band."""
        import pyarrow.compute as pc

        method = self.pairs.column("method")
        p = self.pairs.column("match_probability")
        prob = pc.equal(method, "probabilistic")
        accepted = pc.and_(prob, pc.greater_equal(p, self.accept))
        return {
            "pairs": self.pairs.num_rows,
            "exact": pc.sum(pc.equal(method, "exact")).as_py() or 0,
            "probabilistic": pc.sum(accepted).as_py() or 0,
            "review": pc.sum(pc.and_(prob, pc.less(p, self.accept))).as_py() or 0,
        }

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (the CLI prints it)."""
        return {
            **self.counts(),
            "left_rows": self.left_rows,
            "right_rows": self.right_rows,
            "to_splink": self.to_splink,
            "unlinked": self.left_rows - self.pairs.num_rows,
            "thresholds": {"accept": self.accept, "review": self.review},
            "seconds": round(self.seconds, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def link_tables(
    left: Any, right: Any, config: LinkConfig, *, today: dt.date | None = None
) -> LinkResult:
    """Link ``left`` records to ``right`` ones (Arrow tables or .csv/.parquet paths)."""
    import duckdb

    start = time.perf_counter()
    timings: dict[str, float] = {}
    con = duckdb.connect()
    try:
        tick = time.perf_counter()
        day = today or dt.date.today()
        n_left = canonical(con, "left", read_table(left), config, today=day)
        n_right = canonical(con, "right", read_table(right), config, today=day)
        timings["prepare"] = time.perf_counter() - tick
        tick = time.perf_counter()
        rate = _exact(con)
        timings["exact"] = time.perf_counter() - tick
        residual = _scalar(con, "SELECT count(*) FROM residual")
        model = None
        if residual and n_right:
            model = _probabilistic(con, config, rate / n_right, timings)
        else:
            con.execute("CREATE TABLE best (l_uid BIGINT, r_uid BIGINT, p DOUBLE)")
        pairs = _pairs(con)
    finally:
        con.close()
    return LinkResult(
        pairs,
        n_left,
        n_right,
        config.accept,
        config.review,
        residual,
        time.perf_counter() - start,
        timings,
        model,
    )


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.sql(sql).fetchall()
    row = rows[0] if rows else None
    return int(row[0]) if row and row[0] is not None else 0


def _exact(con: duckdb.DuckDBPyConnection) -> float:
    """Join on valid ID numbers; leave the rest in ``residual``; return the match rate."""
    con.execute("""
        CREATE TABLE exact AS
        SELECT l.unique_id AS l_uid, min(r.unique_id) AS r_uid
        FROM left_c l JOIN right_c r ON l.id_number = r.id_number
        WHERE l.id_valid AND r.id_valid
        GROUP BY l.unique_id
    """)
    con.execute(f"""
        CREATE TABLE residual AS
        SELECT {_SPLINK_COLUMNS} FROM left_c l ANTI JOIN exact e ON e.l_uid = l.unique_id
    """)
    valid = _scalar(con, "SELECT count(*) FROM left_c WHERE id_valid")
    exact = _scalar(con, "SELECT count(*) FROM exact")
    return exact / valid if valid >= 100 else DEFAULT_MATCH_RATE


def _probabilistic(
    con: duckdb.DuckDBPyConnection, config: LinkConfig, prior: float, timings: dict[str, float]
) -> dict[str, Any]:
    """Train and run Splink on ``residual`` × ``right``; leave the best pairs in ``best``."""
    from splink import DuckDBAPI, Linker

    tick = time.perf_counter()
    training = config.training
    settings = mdl.settings(config, min(config.training.prior or prior, 0.5))
    db = DuckDBAPI(con)
    con.execute(f"CREATE TABLE right_s AS SELECT {_SPLINK_COLUMNS} FROM right_c")
    labelled = _labelled(con, training.labelled_pairs, training.seed)
    if training.m_method == "labels" and labelled >= mdl.MIN_LABELLED_PAIRS:
        tables = [db.register("train_l", dataset_display_name="a_train_left"),
                  db.register("train_r", dataset_display_name="b_train_right")]  # fmt: skip
        trainer = Linker(tables, settings, log_level=None)
        mdl.m_from_labels(trainer)
        mdl.copy_m(trainer.misc.save_model_to_json(), settings)
        timings["train_m"] = time.perf_counter() - tick
    inputs = [db.register("residual", dataset_display_name="a_left"),
              db.register("right_s", dataset_display_name="b_right")]  # fmt: skip
    linker = _trained(Linker(inputs, settings, log_level=None), config, labelled)
    timings["train"] = time.perf_counter() - tick
    tick = time.perf_counter()
    model = mdl.floor(
        linker.misc.save_model_to_json(),
        m_floor=training.m_floor,
        u_floor=1 / max(training.u_max_pairs, 1),
    )
    model.pop("linker_uid", None)  # random per linker: the model itself repeats
    predicted = Linker(inputs, model, log_level=None).inference.predict(
        threshold_match_probability=config.review
    )
    con.execute(f"""
        CREATE TABLE best AS
        SELECT CASE WHEN source_dataset_l = 'a_left' THEN unique_id_l ELSE unique_id_r END AS l_uid,
               CASE WHEN source_dataset_l = 'a_left' THEN unique_id_r ELSE unique_id_l END AS r_uid,
               round(match_probability, 6) AS p
        FROM {predicted.physical_name}
        QUALIFY row_number() OVER (PARTITION BY l_uid ORDER BY match_probability DESC, r_uid) = 1
    """)
    timings["predict"] = time.perf_counter() - tick
    return model


def _labelled(con: duckdb.DuckDBPyConnection, limit: int, seed: int) -> int:
    """``train_l`` / ``train_r``: a seeded sample of exact matches, labelled by person.

    The ID number is blanked: the pairs agree on it by construction, which says
    nothing about how often a true match's number is corrupted.
    """
    columns = _SPLINK_COLUMNS.replace("id_number", "CAST(NULL AS VARCHAR) AS id_number")
    con.execute(f"""
        CREATE TABLE train_l AS
        SELECT {columns}, e.r_uid AS label
        FROM left_c l JOIN exact e ON e.l_uid = l.unique_id
        ORDER BY hash(l.unique_id + {int(seed)}), l.unique_id
        LIMIT {int(limit)}
    """)
    con.execute(f"""
        CREATE TABLE train_r AS
        SELECT {columns}, r.unique_id AS label
        FROM right_c r SEMI JOIN train_l t ON t.label = r.unique_id
    """)
    return _scalar(con, "SELECT count(*) FROM train_l")


def _trained(linker: Linker, config: LinkConfig, labelled: int) -> Linker:
    """Estimate u from random pairs (Splink samples by a seeded hash of the key, so the
    sample repeats); then m by EM when there were too few labelled pairs or when asked."""
    training = config.training
    # one pass per comparison: Splink's default re-chunks until every level is seen
    # 100 times, which rare levels (a 9-digit match, two edits) never are
    linker.training.estimate_u_using_random_sampling(
        max_pairs=training.u_max_pairs, seed=training.seed, min_count_per_level=None, num_chunks=1
    )
    if training.m_method == "em" or labelled < mdl.MIN_LABELLED_PAIRS:
        from splink.internals.exceptions import EMTrainingException

        # Too few records to train on (a handful of new records, no labelled pairs): the
        # comparisons keep their default m; the thresholds still send doubtful pairs to
        # clerical review rather than linking them.
        with contextlib.suppress(EMTrainingException):
            mdl.m_by_em(linker, config)
    return linker


def _pairs(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Exact and best probabilistic pairs with the callers' keys, in left-row order."""
    return con.sql("""
        SELECT l.rid AS left_id, r.rid AS right_id, x.p AS match_probability, x.method
        FROM (
          SELECT l_uid, r_uid, 1.0::DOUBLE AS p, 'exact' AS method FROM exact
          UNION ALL SELECT l_uid, r_uid, p, 'probabilistic' AS method FROM best
        ) x
        JOIN left_c l ON l.unique_id = x.l_uid
        JOIN right_c r ON r.unique_id = x.r_uid
        ORDER BY x.l_uid
    """).to_arrow_table()
