"""Pieces every kind of answer shares: list names, movement marks, scores, footers, links, tones.

Pure. The bigger answers (charts, verdicts, settings, about, errors) are built from these.
"""

from __future__ import annotations

from datetime import date

from bot.models import (
    Category,
    ChartKey,
    Field,
    Link,
    Metric,
    Move,
    Movement,
    Scores,
    Title,
    Tone,
)
from bot.regions import region_name

SOURCE = "Netflix Top 10 (netflix.com/tudum/top10)"
METRIC_NAMES = {
    Metric.IMDB.value: "IMDb",
    Metric.RT_CRITICS.value: "Rotten Tomatoes critics",
    Metric.RT_AUDIENCE.value: "Rotten Tomatoes audience",
    Metric.METACRITIC.value: "Metacritic",
    Metric.TMDB.value: "TMDB users",
}
COUNT_WORDS = {Metric.RT_CRITICS: "reviews", Metric.RT_AUDIENCE: "ratings"}


def list_name(key: ChartKey) -> str:
    """ "United States · Films", "Global · TV (Non-English)"."""
    category = "Films" if key.category == "films" else "TV"
    language = {"english": " (English)", "non-english": " (Non-English)"}.get(key.language, "")
    return f"{region_name(key.region)} · {category}{language}"


def movement_mark(movement: Movement) -> str:
    if movement.move is Move.NEW:
        return "NEW"
    if movement.move is Move.REENTRY:
        return "RE"
    if movement.change > 0:
        return f"▲{movement.change}"
    if movement.change < 0:
        return f"▼{-movement.change}"
    return "=" if movement.previous_rank is not None else "·"


def score_text(value: float, metric: str) -> str:
    if metric in (Metric.IMDB.value, Metric.TMDB.value):
        return f"{METRIC_NAMES[metric]} {value / 10:.1f}/10"
    if metric == Metric.METACRITIC.value:
        return f"Metacritic {value:.0f}/100"
    return f"{METRIC_NAMES.get(metric, metric)} {value:.0f}%"


def footer(week: date, scores_note: str = "") -> str:
    note = f" · {scores_note}" if scores_note else ""
    return f"{SOURCE} · week ending {week.isoformat()}{note}"


def config_command(platform: str) -> str:
    """Slack has no command namespaces, so its admin command is /trendbot-config."""
    return "/trendbot-config" if platform == "slack" else "/config"


def about_command(platform: str = "") -> str:
    """Slack has no command namespaces, so its /about is /trendbot-about."""
    return "/trendbot-about" if platform == "slack" else "/about"


def title_links(title: Title | None) -> tuple[Link, ...]:
    if title is None:
        return ()
    links = []
    if title.imdb_id:
        links.append(Link("IMDb", f"https://www.imdb.com/title/{title.imdb_id}/"))
    if title.tmdb_id:
        kind = "movie" if title.kind == "movie" else "tv"
        links.append(Link("TMDB", f"https://www.themoviedb.org/{kind}/{title.tmdb_id}"))
    return tuple(links)


def tone_for(surprise_score: int) -> Tone:
    return (
        Tone.SURPRISE if surprise_score >= 75 else Tone.MILD if surprise_score >= 50 else Tone.INFO
    )


def score_fields(scores: Scores) -> tuple[Field, ...]:
    return tuple(
        Field(
            METRIC_NAMES[s.metric.value],
            s.raw + (f" ({s.votes:,} {COUNT_WORDS.get(s.metric, 'votes')})" if s.votes else ""),
        )
        for s in scores.items
    )


def scores_note(scores: Scores) -> str:
    if not scores.items:
        note = "no scores"
    else:
        newest = max(s.fetched for s in scores.items)
        providers = sorted({s.provider.split(":")[0] for s in scores.items})
        note = f"scores: {', '.join(providers)} (as of {newest:%b %Y})"
    if scores.unavailable:
        note += f" · {', '.join(scores.unavailable)} unavailable right now"
    return note


def headline_score(scores: Scores) -> str:
    for metric in (Metric.IMDB, Metric.RT_CRITICS, Metric.TMDB):
        found = scores.get(metric)
        if found is not None:
            return score_text(found.value, metric.value)
    return ""


def title_with_year(title: Title) -> str:
    kind = "film" if title.kind == "movie" else "series"
    return f"{title.name} ({title.year or 'year unknown'}, {kind})"


def category_name(category: Category) -> str:
    return "Films" if category == "films" else "TV"


def plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def day(iso: str) -> str:
    try:
        return date.fromisoformat(iso).strftime("%-d %b %Y")
    except ValueError:
        return iso
