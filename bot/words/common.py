"""Pieces every kind of answer shares: list names, movement marks, scores, footers, links, tones.

Pure. The bigger answers (charts, verdicts, settings, about, errors) are built from these, in the
language in force (bot/words/i18n.py).
"""

from __future__ import annotations

from datetime import date

from bot.cards import Field, Link, Tone
from bot.models import Category, ChartKey, Metric, Move, Movement, Scores, Title
from bot.regions import region_name
from bot.words.i18n import N_, _, count, decimal, month, percent

SOURCE = "Netflix Top 10 (netflix.com/tudum/top10)"
METRIC_NAMES = {
    Metric.IMDB.value: N_("IMDb"),
    Metric.RT_CRITICS.value: N_("Rotten Tomatoes critics"),
    Metric.RT_AUDIENCE.value: N_("Rotten Tomatoes audience"),
    Metric.METACRITIC.value: N_("Metacritic"),
    Metric.TMDB.value: N_("TMDB users"),
}


def metric_name(metric: str) -> str:
    return _(METRIC_NAMES[metric]) if metric in METRIC_NAMES else metric


def votes_text(metric: Metric | None, n: int) -> str:
    """ "16 reviews" for critics, "1,234 ratings" for audiences, "3 votes" otherwise."""
    if metric is Metric.RT_CRITICS:
        return count("{n} review", "{n} reviews", n)
    if metric is Metric.RT_AUDIENCE:
        return count("{n} rating", "{n} ratings", n)
    return count("{n} vote", "{n} votes", n)


def category_name(category: Category) -> str:
    return _("Films") if category == "films" else _("TV")


def list_name(key: ChartKey) -> str:
    """ "United States · Films", "Global · TV (Non-English)"."""
    language = {"english": _("English"), "non-english": _("Non-English")}.get(key.language)
    if language:
        return _("{region} · {category} ({language})").format(
            region=region_name(key.region), category=category_name(key.category), language=language
        )
    return _("{region} · {category}").format(
        region=region_name(key.region), category=category_name(key.category)
    )


def movement_mark(movement: Movement) -> str:
    if movement.move is Move.NEW:
        # a chart mark, kept short: "NEW", "NUEVO", "NEU"
        return _("NEW")
    if movement.move is Move.REENTRY:
        return _("RE")
    if movement.change > 0:
        return f"▲{movement.change}"
    if movement.change < 0:
        return f"▼{-movement.change}"
    return "=" if movement.previous_rank is not None else "·"


def score_text(value: float, metric: str) -> str:
    if metric in (Metric.IMDB.value, Metric.TMDB.value):
        return f"{metric_name(metric)} {decimal(value / 10)}/10"
    if metric == Metric.METACRITIC.value:
        return f"{metric_name(metric)} {value:.0f}/100"
    return f"{metric_name(metric)} {percent(round(value))}"


def footer(week: date, scores_note: str = "") -> str:
    text = _("{source} · week ending {week}").format(source=SOURCE, week=week.isoformat())
    return f"{text} · {scores_note}" if scores_note else text


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
            metric_name(s.metric.value),
            s.raw + (f" ({votes_text(s.metric, s.votes)})" if s.votes else ""),
        )
        for s in scores.items
    )


def scores_note(scores: Scores) -> str:
    if not scores.items:
        note = _("no scores")
    else:
        newest = max(s.fetched for s in scores.items)
        providers = sorted({s.provider.split(":")[0] for s in scores.items})
        note = _("scores: {providers} (as of {month})").format(
            providers=", ".join(providers), month=month(newest)
        )
    if scores.unavailable:
        note += " · " + _("{sources} unavailable right now").format(
            sources=", ".join(scores.unavailable)
        )
    return note


def headline_score(scores: Scores) -> str:
    for metric in (Metric.IMDB, Metric.RT_CRITICS, Metric.TMDB):
        found = scores.get(metric)
        if found is not None:
            return score_text(found.value, metric.value)
    return ""


def kind_name(title: Title) -> str:
    return _("film") if title.kind == "movie" else _("series")


def title_with_year(title: Title) -> str:
    if title.year:
        return _("{name} ({year}, {kind})").format(
            name=title.name, year=title.year, kind=kind_name(title)
        )
    return _("{name} (year unknown, {kind})").format(name=title.name, kind=kind_name(title))


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
