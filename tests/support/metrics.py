"""Reading ``/metrics`` the way Prometheus does: with prometheus_client's own parser.

The registry is process-wide (several servers run in one pytest process): tests read
the values before and after what they do, and compare the deltas.
"""

from __future__ import annotations

from collections import Counter

from prometheus_client.parser import text_string_to_metric_families

from tests.support.server import Server

Sample = tuple[str, frozenset[tuple[str, str]]]


async def scrape(server: Server) -> Counter[Sample]:
    response = await server.get("metrics", headers=server.auth)
    assert response.status_code == 200, response.text
    values: Counter[Sample] = Counter()
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name.startswith("jupyter_sse_"):
                values[sample.name, frozenset(sample.labels.items())] = sample.value
    return values


def delta(before: Counter[Sample], after: Counter[Sample], name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    return after[key] - before[key]
