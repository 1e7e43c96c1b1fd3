"""Settings refuse weak secrets."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from glimpse.settings import Settings


@pytest.mark.parametrize("name", ["secret_key", "turn_secret"])
def test_short_secrets_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(**{name: "too-short"})
    assert Settings(**{name: "x" * 32}) is not None
