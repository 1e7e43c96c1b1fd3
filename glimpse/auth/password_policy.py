"""Which new passwords are refused: very common ones, and the account's own e-mail.

The common passwords are zxcvbn's list of the 30,000 most frequent ones in leaked password dumps
(the `zxcvbn` package, maintained with the Dropbox estimator it comes from), loaded once.
"""

from __future__ import annotations

from functools import cache

from zxcvbn.frequency_lists import FREQUENCY_LISTS

from glimpse.errors import WeakPassword


@cache
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def check_new_password(password: str | None, email: str) -> None:
    """Raise WeakPassword (422) for a password found in the common list or equal to the e-mail
    or its local part, compared without case; None (no new password) passes."""
    if password is None:
        return
    folded = password.casefold()
    email = email.strip().casefold()
    if folded in (email, email.partition("@")[0]):
        raise WeakPassword("the password must not be your e-mail address; choose another one")
    if folded in _common_passwords():
        raise WeakPassword("this password is among the most common ones; choose another one")
