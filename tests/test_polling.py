"""The publication-aware polling rule (bot/polling.py), as a pure function of history and `now`:
the default and the learned windows, the fast pace until the week appears, the slow pace after,
a late week, and a simulated Tuesday checking that a publication is found within the fast pace."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.polling import (
    PollSettings,
    Publication,
    Window,
    learned_window,
    parse_window,
    plan,
    published_at,
)

S = PollSettings()  # 5 min / 1 h; Tuesday 14:00–22:00 UTC until learned; margin 1 h; late 4 h
WEEK = date(2022, 6, 26)  # a Sunday; its lists are published Tuesday 28 June
NEXT = date(2022, 7, 3)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in the week of 27 June 2022 (Monday = day 27, Tuesday = 28, ...)."""
    return datetime(2022, 6 if day <= 30 else 7, day if day <= 30 else day - 30, hour, minute,
                    tzinfo=UTC)  # fmt: skip


def seen(week: date, hour: int, minute: int = 0, days_after: int = 2) -> Publication:
    """A week published `days_after` its Sunday (2 = Tuesday) at hour:minute UTC."""
    when = datetime(week.year, week.month, week.day, hour, minute, tzinfo=UTC)
    when += timedelta(days=days_after)
    return Publication(week, when, when + timedelta(minutes=3))


def weeks_before(week: date, n: int) -> list[date]:
    return [week - timedelta(weeks=k) for k in range(1, n + 1)]


# ---- the window ---------------------------------------------------------------------------------


def test_without_history_the_default_tuesday_window_applies() -> None:
    window = learned_window([], S)
    assert window == parse_window("tue 14:00-22:00") and window.learned == 0
    assert window.expected == timedelta(days=2, hours=18)  # the middle of the window


def test_the_window_is_learned_from_recent_publications_with_a_margin() -> None:
    times = [(19, 0), (19, 5), (18, 50), (19, 20), (19, 0), (19, 10), (19, 0), (18, 55)]
    history = [seen(w, h, m) for w, (h, m) in zip(weeks_before(NEXT, 8), times, strict=True)]
    window = learned_window(history, S)
    assert window.learned == 8
    assert window.start == timedelta(days=2, hours=17, minutes=50)  # 18:50 less the margin
    assert window.end == timedelta(days=2, hours=20, minutes=20)  # 19:20 plus the margin
    assert window.expected == timedelta(days=2, hours=19)  # the median


def test_a_holiday_delay_and_a_late_first_download_do_not_move_the_window() -> None:
    weeks = weeks_before(NEXT, 6)
    history = [seen(w, 19) for w in weeks[:4]]
    history.append(seen(weeks[4], 19, days_after=4))  # published on the Thursday that week
    history.append(seen(weeks[5], 10, days_after=20))  # the first download, weeks later
    window = learned_window(history, S)
    assert window.learned == 4
    assert (window.start, window.end) == (timedelta(days=2, hours=18), timedelta(days=2, hours=20))


def test_only_the_latest_learn_weeks_count() -> None:
    weeks = weeks_before(NEXT, 12)
    history = [seen(w, 19) for w in weeks[:2]] + [seen(w, 15) for w in weeks[2:]]
    window = learned_window(history, PollSettings(learn_weeks=2))
    assert window.learned == 2 and window.expected == timedelta(days=2, hours=19)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("tue 14:00-22:00", timedelta(days=2, hours=14), timedelta(days=2, hours=22)),
        ("Monday 0:30 - 24:00", timedelta(days=1, minutes=30), timedelta(days=2)),
        ("sun 06:00-07:00", timedelta(days=7, hours=6), timedelta(days=7, hours=7)),
    ],
)
def test_parse_window(text: str, start: timedelta, end: timedelta) -> None:
    window = parse_window(text)
    assert (window.start, window.end) == (start, end)


@pytest.mark.parametrize("text", ["", "tue", "tue 14-22", "tue 14:00-14:00", "tue 23:00-24:30"])
def test_parse_window_refuses(text: str) -> None:
    with pytest.raises(ValueError, match=r"tue 14:00-22:00|impossible|end after"):
        parse_window(text)


# ---- the plan -----------------------------------------------------------------------------------


def test_inside_the_window_until_the_week_appears_poll_fast() -> None:
    history = [seen(w, 19) for w in weeks_before(WEEK, 4)]  # learned: 18:00–20:00
    p = plan(history, at(28, 18, 30), at(28, 18, 31), S)
    assert (p.mode, p.week, p.next_poll) == ("window", WEEK, at(28, 18, 35))
    assert p.expected == at(28, 19) and (p.window_start, p.window_end) == (at(28, 18), at(28, 20))
    assert p.poll_every == S.fast and p.learned == 4


def test_once_the_week_is_in_poll_slowly_until_the_next_window_opens() -> None:
    history = [seen(w, 19) for w in [WEEK, *weeks_before(WEEK, 3)]]
    p = plan(history, at(28, 19, 5), at(28, 19, 6), S)
    assert (p.mode, p.week, p.next_poll) == ("published", NEXT, at(28, 20, 5))
    assert p.expected == at(35, 19) and p.poll_every == S.slow
    # the hour before the next window: the slow poll waits for the window, not past it
    p = plan(history, at(35, 17, 30), at(35, 17, 31), S)
    assert p.next_poll == at(35, 18)


def test_a_late_week_keeps_the_fast_pace_for_a_while_then_slows_down() -> None:
    history = [seen(w, 19) for w in weeks_before(WEEK, 4)]  # window 18:00–20:00; WEEK not out
    late = plan(history, at(28, 21), at(28, 21, 1), S)
    assert (late.mode, late.week, late.next_poll) == ("late", WEEK, at(28, 21, 5))
    last_fast = plan(history, at(28, 23, 55), at(28, 23, 59), S)
    assert last_fast.mode == "late" and last_fast.poll_every == S.fast
    overdue = plan(history, at(29, 0), at(29, 0, 1), S)  # 20:00 + 4 h has passed
    assert (overdue.mode, overdue.week, overdue.next_poll) == ("overdue", WEEK, at(29, 1))
    # overdue all week: still polled slowly, and fast again when the next window opens
    assert plan(history, at(35, 17, 30), at(35, 17, 31), S).next_poll == at(35, 18)
    assert plan(history, at(35, 18), at(35, 18), S).mode == "window"


def test_an_early_publication_is_not_awaited_again() -> None:
    # the week ending 3 July is out on Monday 4 July, before its window opens
    history = [seen(NEXT, 9, days_after=1), *(seen(w, 19) for w in weeks_before(NEXT, 4))]
    p = plan(history, at(35, 9, 30), at(35, 9, 31), S)
    assert (p.mode, p.week) == ("published", date(2022, 7, 10))
    # its window opens: nothing to wait for, so no fast polling
    p = plan(history, at(35, 18, 30), at(35, 18, 31), S)
    assert (p.mode, p.next_poll) == ("published", at(35, 19, 30))


def test_never_polled_means_poll_now() -> None:
    for now in (at(27, 3), at(28, 15), at(29, 12)):
        assert plan([], None, now, S).next_poll == now


def test_the_window_week_is_found_across_a_year_boundary() -> None:
    # Sunday 1 January 2023 ends the week published Tuesday 3 January
    now = datetime(2023, 1, 3, 15, tzinfo=UTC)
    p = plan([], now - timedelta(minutes=1), now, S)
    assert (p.mode, p.week, p.expected) == ("window", date(2023, 1, 1), now + timedelta(hours=3))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tue, 28 Jun 2022 19:02:03 GMT", datetime(2022, 6, 28, 19, 2, 3, tzinfo=UTC)),
        ("Tue, 28 Jun 2022 21:02:03 +0200", datetime(2022, 6, 28, 19, 2, 3, tzinfo=UTC)),
        ("Tue, 28 Jun 2022 19:02:03 -0000", datetime(2022, 6, 28, 19, 2, 3, tzinfo=UTC)),
        ("Wed, 29 Jun 2022 19:00:00 GMT", at(28, 19, 30)),  # in the future: when we saw it
        ("yesterday", at(28, 19, 30)),
        (None, at(28, 19, 30)),
    ],
)
def test_published_at_reads_last_modified(value: str | None, expected: datetime) -> None:
    assert published_at(value, at(28, 19, 30)) == expected


# ---- a simulated Tuesday ------------------------------------------------------------------------


def simulate(history: list[Publication], start: datetime, published: datetime,
             rule: PollSettings) -> tuple[datetime, int]:  # fmt: skip
    """Poll as the plan says from `start` until the week ending 26 June is seen; the file has it
    from `published` on. Returns when it was found and how many polls that took."""
    last: datetime | None = None
    now = start
    polls = 0
    while True:
        p = plan(history, last, now, rule)
        now = max(now, p.next_poll)
        last, polls = now, polls + 1
        if now >= published:
            return now, polls
        assert polls < 1000


WINDOWS = [
    ("default", []),
    ("learned", [seen(w, 19) for w in weeks_before(WEEK, 8)]),
]


@pytest.mark.parametrize(("name", "history"), WINDOWS)
@given(minutes=st.integers(0, 7 * 24 * 60 - 1))
@settings(max_examples=150, deadline=None)
def test_a_publication_is_found_fast_inside_the_window_and_within_the_slow_pace_outside(
    name: str, history: list[Publication], minutes: int
) -> None:
    monday = at(27, 0)  # polling starts on the Monday after the week
    published = monday + timedelta(minutes=minutes)
    found, _polls = simulate(history, monday, published, S)
    window = learned_window(history, S)
    sunday = datetime(2022, 6, 26, tzinfo=UTC)
    fast_from, fast_until = sunday + window.start, sunday + window.end + S.late
    lag = found - published
    if fast_from <= published < fast_until:
        assert lag <= S.fast
    else:
        assert lag <= S.slow


def test_a_quiet_week_costs_few_polls() -> None:
    history = [seen(w, 19) for w in weeks_before(WEEK, 8)]  # learned: 18:00–20:00
    monday = at(27, 0)
    found, polls = simulate(history, monday, at(28, 19, 2), S)
    assert found == at(28, 19, 5)
    # hourly from Monday 00:00 until the window opens at Tuesday 18:00 (43 polls, the last one
    # at 18:00), then every 5 min until 19:05 (13): 56 conditional GETs in two days
    assert polls == 43 + 13
    # the rest of the week after that: hourly until the next window opens
    rest = plan([seen(WEEK, 19, 2), *history], found, found, S)
    assert rest.mode == "published" and rest.next_poll == found + S.slow


def test_a_window_with_nothing_learned_yet_is_the_configured_one() -> None:
    rule = PollSettings(default=Window(timedelta(days=3, hours=9), timedelta(days=3, hours=10),
                                       timedelta(days=3, hours=11)))  # fmt: skip
    p = plan([], at(29, 9, 30), at(29, 9, 31), rule)
    assert (p.mode, p.week, p.next_poll) == ("window", WEEK, at(29, 9, 35))
