"""Prometheus metrics kept in-process (per worker): request latency, counts by status.

The exposition is the Prometheus text format; ``/metrics`` answers loopback callers
or a bearer token (``MINZHENG_METRICS_TOKEN``).
"""

from __future__ import annotations

import threading
from collections import defaultdict

BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_lock = threading.Lock()
_hist: dict[str, list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
_sum: dict[str, float] = defaultdict(float)
_status: dict[tuple[str, str], int] = defaultdict(int)


def observe(route: str, status: int, seconds: float) -> None:
    """Record one request to ``route`` (a URL pattern name, never a path with data in it)."""
    with _lock:
        counts = _hist[route]
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                counts[i] += 1
        counts[-1] += 1
        _sum[route] += seconds
        _status[(route, str(status))] += 1


def exposition(extra: dict[str, float] | None = None) -> str:
    """The metrics in Prometheus text format."""
    lines = [
        "# HELP minzheng_request_seconds Request latency by route",
        "# TYPE minzheng_request_seconds histogram",
    ]
    with _lock:
        for route, counts in sorted(_hist.items()):
            for bound, n in zip(BUCKETS, counts, strict=False):
                lines.append(f'minzheng_request_seconds_bucket{{route="{route}",le="{bound}"}} {n}')
            lines.append(
                f'minzheng_request_seconds_bucket{{route="{route}",le="+Inf"}} {counts[-1]}'
            )
            lines.append(f'minzheng_request_seconds_sum{{route="{route}"}} {_sum[route]:.6f}')
            lines.append(f'minzheng_request_seconds_count{{route="{route}"}} {counts[-1]}')
        lines += [
            "# HELP minzheng_requests_total Requests by route and status",
            "# TYPE minzheng_requests_total counter",
        ]
        for (route, status), n in sorted(_status.items()):
            lines.append(f'minzheng_requests_total{{route="{route}",status="{status}"}} {n}')
    for name, value in sorted((extra or {}).items()):
        lines += [f"# TYPE minzheng_{name} gauge", f"minzheng_{name} {value}"]
    return "\n".join(lines) + "\n"
