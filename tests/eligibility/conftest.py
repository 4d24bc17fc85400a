"""Builders for enterprise inputs used across the eligibility tests."""

from __future__ import annotations

from typing import Any

import pytest

from observatory.eligibility.packs import get_pack

M = 1_000_000  # one million yuan


def years(**series: list[float]) -> list[dict[str, Any]]:
    """Year records for FY 2022, 2023, 2024 from per-field lists (oldest first)."""
    n = max(len(v) for v in series.values())
    first = 2025 - n
    out = []
    for i in range(n):
        rec: dict[str, Any] = {"year": first + i}
        for name, values in series.items():
            offset = n - len(values)
            if i >= offset and values[i - offset] is not None:
                rec[name] = values[i - offset]
        out.append(rec)
    return out


@pytest.fixture(scope="session")
def hte():
    return get_pack("hte")


@pytest.fixture(scope="session")
def tsme():
    return get_pack("tsme")
