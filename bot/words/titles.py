"""What the bot knows about a title, and where each fact came from (`trendbot titles show`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.cards import Card, Field
from bot.titles.facts import Fact, TitleFacts


def titles_card(query: str, titles: Sequence[TitleFacts]) -> Card:
    """Every title known by a name, each fact with its source and date."""
    if not titles:
        return Card(
            title=f"No title source knows “{query}”",
            text="Not in the bundled sources nor any loaded since; with a TMDB key, trendbot "
            "asks online when the title charts.",
        )
    fields = tuple(Field(_heading(t), _facts(t), False) for t in titles)
    return Card(
        title=f"What trendbot knows about “{query}”",
        text=f"{len(titles)} title{'s' if len(titles) != 1 else ''} by that name",
        fields=fields,
        footer="sources: Netflix engagement reports, catalogue snapshots, TMDB, IMDb (if enabled)",
    )


def titles_json(titles: Sequence[TitleFacts]) -> list[dict[str, Any]]:
    """The same facts as JSON: each a value, its source and the source's date."""
    out = []
    for t in titles:
        item: dict[str, Any] = {"id": t.id, "name": t.name, "kind": t.kind}
        for name in ("year", "netflix_release", "licensed", "runtime_minutes", "imdb_score",
                     "imdb_votes", "tmdb_score", "tmdb_votes", "views", "era"):  # fmt: skip
            fact = getattr(t, name)
            if fact is not None:
                item[name] = _fact_json(fact)
        item["seasons"] = [
            {"number": s.number,
             "netflix_release": _fact_json(s.netflix_release) if s.netflix_release else None}
            for s in t.seasons
        ]  # fmt: skip
        item["listed"] = [[source, as_of.isoformat()] for source, as_of in t.listed]
        out.append(item)
    return out


def _heading(t: TitleFacts) -> str:
    kind = {"movie": "film", "show": "series"}.get(t.kind or "", "title")
    year = f"{t.year.value}, " if t.year else ""
    return f"{t.name} ({year}{kind}) · {t.id}"


def _facts(t: TitleFacts) -> str:
    lines = []
    if t.year:
        lines.append(f"year {t.year.value} — {_from(t.year)}")
    elif t.era:
        lines.append(f"year unknown, probably {t.era.value} — {_from(t.era)}")
    if t.netflix_release:
        lines.append(
            f"Netflix release {_day(t.netflix_release.value)} — {_from(t.netflix_release)}"
        )
    if t.licensed:
        what = "licensed (not a Netflix title)" if t.licensed.value else "a Netflix title"
        lines.append(f"{what} — {_from(t.licensed)}")
    if t.runtime_minutes:
        minutes = t.runtime_minutes.value
        lines.append(
            f"runtime {minutes // 60} h {minutes % 60:02d} min — {_from(t.runtime_minutes)}"
        )
    for label, score, votes in (("IMDb", t.imdb_score, t.imdb_votes), ("TMDB", t.tmdb_score,
                                                                        t.tmdb_votes)):  # fmt: skip
        if score:
            counted = f", {votes.value:,} votes" if votes else ""
            lines.append(f"{label} {score.value:.1f}/10{counted} — {_from(score)}")
    for season in t.seasons:
        release = season.netflix_release
        if release:
            lines.append(
                f"season {season.number}: Netflix release {_day(release.value)} — {_from(release)}"
            )
    sources = sorted({source for source, _ in t.listed})
    lines.append("listed by " + ", ".join(sources))
    return "\n".join(lines)


def _from(fact: Fact[Any]) -> str:
    return f"{fact.source}, as of {fact.as_of.strftime('%b %Y')}"


def _day(day: date) -> str:
    return day.strftime("%-d %b %Y")


def _fact_json(fact: Fact[Any]) -> dict[str, Any]:
    value = fact.value.isoformat() if isinstance(fact.value, date) else fact.value
    return {"value": value, "source": fact.source, "as_of": fact.as_of.isoformat()}
