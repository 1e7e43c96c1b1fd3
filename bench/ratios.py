"""Ratios between servers from paired runs: each pair is one run of each, taken minutes apart in
alternating order; a ratio is given as the median of the pairs with their range."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def spread(values: Sequence[float]) -> dict[str, float | int | None]:
    """Median and range of paired ratios, and how many pairs."""
    if not values:
        return {"median": None, "low": None, "high": None, "pairs": 0}
    return {
        "median": statistics.median(values),
        "low": min(values),
        "high": max(values),
        "pairs": len(values),
    }


def paired(mine: Sequence[float | None], theirs: Sequence[float | None]) -> list[float]:
    """Run by run, mine / theirs where both were measured (and theirs is not zero)."""
    return [
        value / reference
        for value, reference in zip(mine, theirs, strict=False)
        if value is not None and reference
    ]
