"""axe-core (web/node_modules, a devDependency of the client) run in a page by Playwright."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical violations axe finds in the page as it is now.

    Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
    govern (an injected <script> would be refused)."""
    if not page.evaluate("() => 'axe' in window"):
        page.evaluate(AXE.read_text())
    results: dict[str, Any] = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "nodes": [node["target"] for node in violation["nodes"]],
            "help": violation["help"],
        }
        for violation in results["violations"]
        if violation["impact"] in BLOCKING
    ]
