"""Scraping a test server's /metrics and reading samples from it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import RunningServer

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


async def scrape(server: RunningServer, headers: dict[str, str] | None = None) -> Samples:
    response = await server.http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


async def scrape_until(
    server: RunningServer, check: Callable[[Samples], bool], timeout: float = 15
) -> Samples:
    """Scrape until `check` holds: some values are sampled on a timer, or follow a close."""
    async with asyncio.timeout(timeout):
        while not check(samples := await scrape(server)):  # noqa: ASYNC110 (polls over HTTP)
            await asyncio.sleep(0.1)
    return samples
