"""The huey instance: SQLite file beside the database by default, Redis when REDIS_URL is set.

``MINZHENG_INLINE_JOBS`` (tests) makes huey run each task inside ``enqueue``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from django.conf import settings


@lru_cache(maxsize=1)
def huey_app() -> Any:
    """The process's huey instance (built on first use)."""
    from huey import RedisHuey, SqliteHuey

    immediate = bool(getattr(settings, "MINZHENG_INLINE_JOBS", False))
    url = os.environ.get("REDIS_URL")
    if url and not immediate:
        return RedisHuey("minzheng", url=url)
    from minzheng.paths import data_dir

    path = data_dir() / "jobs.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("minzheng", filename=str(path), immediate=immediate)


def run_job_task() -> Any:
    """The huey task that runs a :class:`Job` (registered on the huey instance once), with
    the stale-job recovery the worker runs at start and every minute."""
    return _registered()


@lru_cache(maxsize=1)
def _registered() -> Any:
    from minzheng.jobs import recovery
    from minzheng.jobs.runner import run_job

    huey = huey_app()
    recovery.register(huey)
    return huey.task(retries=0, name="minzheng.run_job")(run_job)
