"""Review scores from merged title facts: IMDb and TMDB figures with their source and date."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.models import Metric, Score, Scores
from bot.reviews import newest_per_metric
from bot.titles.facts import TitleFacts


def facts_scores(title: TitleFacts, extra: Mapping[str, Sequence[Score]] | None = None) -> Scores:
    """The title's scores from its facts, plus `extra` (e.g. the catalog's critics) by title id."""
    items = list((extra or {}).get(title.id, ()))
    if title.imdb_score is not None:
        votes = title.imdb_votes.value if title.imdb_votes is not None else None
        fact = title.imdb_score
        items.append(
            Score(Metric.IMDB, fact.value * 10, f"{fact.value:.1f}/10", fact.source, fact.as_of,
                  votes)
        )  # fmt: skip
    if title.tmdb_score is not None:
        votes = title.tmdb_votes.value if title.tmdb_votes is not None else None
        fact = title.tmdb_score
        items.append(
            Score(Metric.TMDB, fact.value * 10, f"{fact.value:.1f}/10", fact.source, fact.as_of,
                  votes)
        )  # fmt: skip
    return Scores(newest_per_metric(items))
