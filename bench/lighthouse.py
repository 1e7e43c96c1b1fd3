"""`make bench-lighthouse` (and the end of `make bench`): Lighthouse on the sign-in page and the
dashboard of a fresh `glimpse serve`, mobile preset, in Debian's Chromium.

.venv/bin/python -m bench.lighthouse — prints the scores and writes bench/results/lighthouse.json.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bench.glimpse_process import REPO_DIR, start_glimpse, wait_ready
from tests.conftest import free_port

PAGES = ("/signin", "signed-in:/")
"""The sign-in page, and the dashboard as a signed-in person opens it."""
RUN_TIMEOUT = 300.0
RESULTS = REPO_DIR / "bench" / "results" / "lighthouse.json"


async def _refresh_cookie(base_url: str) -> str:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        response = await client.post(
            "/api/auth/register",
            json={"email": "lighthouse@example.org", "display_name": "Lighthouse",
                  "password": "correct horse battery"},
        )  # fmt: skip
        response.raise_for_status()
        for name in ("Standup", "Design review"):  # a dashboard with rooms in it
            headers = {"authorization": f"Bearer {response.json()['access_token']}"}
            created = await client.post("/api/rooms", json={"name": name}, headers=headers)
            created.raise_for_status()
        cookie: str = response.cookies["glimpse_refresh"]
        return cookie


def run() -> dict[str, Any]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data:
        server = start_glimpse(REPO_DIR, Path(data), port)
        try:
            asyncio.run(wait_ready(base_url, server))
            cookie = asyncio.run(_refresh_cookie(base_url))
            output = subprocess.run(  # noqa: S603 (our own script)
                ["node", "lighthouse.mjs", base_url, cookie, *PAGES],  # noqa: S607
                cwd=REPO_DIR / "bench",
                capture_output=True,
                check=True,
                timeout=RUN_TIMEOUT,
            ).stdout
        finally:
            server.terminate()
            server.wait()
    results: dict[str, Any] = json.loads(output)
    return results


def main() -> None:
    results = run()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    for page, figures in results.items():
        failing = ", ".join(figures["failed_binary_audits"]) or "-"
        print(
            f"{page:<14} performance {figures['performance']:>3}  accessibility "
            f"{figures['accessibility']:>3}  best practices {figures['best-practices']:>3}  "
            f"FCP {figures['fcp_ms']} ms  LCP {figures['lcp_ms']} ms  TBT {figures['tbt_ms']} ms  "
            f"CLS {figures['cls']:.3f}  failing: {failing}"
        )


if __name__ == "__main__":
    main()
