"""The API campaign's test body (not collected by default: ``bench/api_campaign.py`` runs it).

The CI test's setup (``tests/api/test_schemathesis.py``: the world, county1's token, fixed
uids, the hook sending valid cases to real objects, every built-in check) with many more
examples per operation (``MZ_API_EXAMPLES``, default 500) and another seed
(``MZ_API_SEED``); requests and statuses per operation are written to ``MZ_API_REPORT``.
"""

from __future__ import annotations

import copy
import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from minzheng.wsgi import application
from tests.api.test_schemathesis import CONFIG, _keep_test_connection, county1, flatmap_case

__all__ = ["_keep_test_connection", "county1"]  # fixtures, used by name

EXAMPLES = int(os.environ.get("MZ_API_EXAMPLES", "500"))
config = copy.deepcopy(CONFIG)
config["seed"] = int(os.environ.get("MZ_API_SEED", "2027"))
config["generation"]["max-examples"] = EXAMPLES
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/", application, config=schemathesis.Config.from_dict(config)
)
schema.hook(flatmap_case)

REQUESTS: Counter[str] = Counter()
STATUSES: dict[str, Counter[str]] = defaultdict(Counter)


@schemathesis.check
def count_requests(ctx: Any, response: Any, case: Any) -> None:
    """Not a check: counts each request and its status per operation."""
    REQUESTS[case.operation.label] += 1
    STATUSES[case.operation.label][str(response.status_code)] += 1


@pytest.fixture(scope="session", autouse=True)
def _write_counts() -> Iterator[None]:
    yield
    out = os.environ.get("MZ_API_REPORT")
    if out:
        Path(out).write_text(
            json.dumps({"requests": REQUESTS, "statuses": STATUSES}, ensure_ascii=False)
        )


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck))
def test_api_campaign(case: Any, county1: dict[str, str]) -> None:
    case.call_and_validate(headers=county1)
