"""Scores: cache → catalog → online providers; a missing, broken or over-quota provider makes the
answer smaller and says so — it never makes it fail."""

from __future__ import annotations

from datetime import date

from bot.errors import SourceError, SourceUnavailable
from bot.models import Metric, Score, Title
from bot.reviews import ScoreBook, newest_per_metric
from bot.store import Store
from tests.fakes import FakeClock

BACKTRACE = Title("tm414073", "Backtrace", "movie", 2018, "tt3588588")


class Provider:
    """A review source that answers, or fails, on cue."""

    def __init__(self, name: str, answer: tuple[Score, ...] | Exception) -> None:
        self.name = name
        self.answer = answer
        self.calls = 0

    async def scores(self, title: Title) -> tuple[Score, ...]:
        self.calls += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def score(metric: Metric, value: float, provider: str, fetched: date) -> Score:
    return Score(metric, value, f"{value}", provider, fetched)


async def test_newer_scores_win_and_are_cached(store: Store, clock: FakeClock) -> None:
    old = Provider("catalog", (score(Metric.RT_CRITICS, 11, "catalog", date(2020, 7, 1)),))
    omdb = Provider("omdb", (score(Metric.RT_CRITICS, 9, "omdb", clock().date()),))
    book = ScoreBook(store, [old], [omdb], clock)
    first = await book.scores(BACKTRACE, online=True)
    assert first.get(Metric.RT_CRITICS).value == 9 and first.unavailable == ()
    again = await book.scores(BACKTRACE, online=True)  # within a week: served from the cache
    assert omdb.calls == 1 and again.get(Metric.RT_CRITICS).value == 9
    offline = await book.scores(BACKTRACE)
    assert offline.get(Metric.RT_CRITICS).provider == "omdb"


async def test_failing_providers_degrade_the_answer(store: Store, clock: FakeClock) -> None:
    catalog = Provider("catalog", (score(Metric.IMDB, 38, "catalog", date(2022, 7, 1)),))
    quota = Provider("omdb", SourceUnavailable("Request limit reached!"))
    junk = Provider("tmdb", SourceError("not JSON"))
    book = ScoreBook(store, [catalog], [quota, junk], clock)
    result = await book.scores(BACKTRACE, online=True)
    assert [s.metric for s in result.items] == [Metric.IMDB]
    assert result.unavailable == ("omdb", "tmdb")
    # a failure is not remembered as a lookup: it is retried next time
    await book.scores(BACKTRACE, online=True)
    assert quota.calls == 2


def test_newest_per_metric_keeps_one_of_each_in_a_stable_order() -> None:
    items = newest_per_metric(
        [
            score(Metric.TMDB, 54, "catalog", date(2022, 7, 1)),
            score(Metric.IMDB, 38, "catalog", date(2022, 7, 1)),
            score(Metric.IMDB, 39, "omdb", date(2022, 8, 1)),
        ]
    )
    assert [(s.metric, s.value) for s in items] == [(Metric.IMDB, 39), (Metric.TMDB, 54)]
