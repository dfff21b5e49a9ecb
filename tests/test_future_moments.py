"""`validation.future`: an expiry is a moment after now, given with its time zone, stored in
UTC, and within the years a date holds (each of these was a fault before: attack review)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from graphql import GraphQLError

from schema.protections.validation import future

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _refusal(value: datetime) -> str:
    with pytest.raises(GraphQLError) as refused:
        future("expiresAt", value, NOW)
    assert (refused.value.extensions or {})["code"] == "BAD_USER_INPUT"
    return refused.value.message


def test_a_moment_after_now_is_kept_as_the_same_instant_in_utc() -> None:
    ahead = timezone(timedelta(hours=23, minutes=59))
    kept = future("expiresAt", datetime(2030, 1, 1, tzinfo=ahead), NOW)
    assert kept == datetime(2029, 12, 31, 0, 1, tzinfo=UTC)
    assert kept.tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (datetime(2030, 1, 1), "`expiresAt` must give its time zone, e.g. `Z`."),
        (NOW, "`expiresAt` must be in the future."),
        (NOW.astimezone(timezone(timedelta(hours=-23, minutes=-59))), "must be in the future"),
        (
            datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-14))),
            "`expiresAt` must be in the years 1 to 9999 in UTC.",
        ),
        (
            datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
            "`expiresAt` must be in the years 1 to 9999 in UTC.",
        ),
    ],
)
def test_a_moment_without_a_zone_not_ahead_or_out_of_range_is_refused(
    value: datetime, message: str
) -> None:
    assert message in _refusal(value)
