"""Title matching, pure: chart title (+ the year it first charted) → catalog title and confidence.

Normalisation (case, accents, punctuation, "Season 4", "Limited Series"), exact lookup, then a
loose lookup (spacing, articles, "(Hindi)"), then rapidfuzz; remakes that share a name are told
apart by year. Names merely spelled alike are often different films ("The Watcher" is not "The
Witcher"), so a rapidfuzz-only match stays uncertain and callers never alert on it. Admin
overrides win over everything.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from bot.models import Match, MatchMethod, Title

Kind = Literal["movie", "show"]
FUZZY_CUTOFF = 88.0  # below this two names are different titles, not spellings of one
FUZZY_CAP = 80.0  # what a spelling-only match can be worth: shown as a hint, never alerted on
LOOSE_CONFIDENCE = 95.0
# A lone catalog title this much older than its first chart week may be a remake the catalog
# lacks (the US "Endless Love" of 2022 is the 2014 film; the catalog only has 1981's).
REMAKE_RISK_YEARS = 30
_SUFFIXES = re.compile(
    r"""\s*[:\-–—(]?\s*(?:
        (?:season|series|temporada|saison|staffel)\s+\d+(?:\s+(?:part|vol(?:ume)?)\s+\d+)?
      | (?:part|vol(?:ume)?|book|chapter)\s+(?:\d+|[ivx]+)
      | limited\s+series | miniseries | the\s+series
    )\s*\)?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_YEAR_SUFFIX = re.compile(r"\s*[(\[]?\s*((?:19|20)\d{2})\s*[)\]]?\s*$")
_APOSTROPHES = re.compile(r"['’‘`´]")
_NUMBERS = re.compile(r"\b(?:\d+|ii|iii|iv|vi|vii|viii|ix)\b")
_LANGUAGE_TAG = re.compile(
    r"\s*\((?:hindi|tamil|telugu|malayalam|kannada|english|dubbed|subtitled|original)\)\s*$",
    re.IGNORECASE,
)
_LOOSE_WORDS = {"the", "a", "an", "film", "movie", "special"}
_NON_WORD = re.compile(r"[^\w]+")


@dataclass(frozen=True, slots=True)
class CatalogIndex:
    """Catalog titles by normalised name and kind, plus the name lists rapidfuzz scans."""

    exact: Mapping[tuple[Kind, str], tuple[Title, ...]]
    loose: Mapping[tuple[Kind, str], tuple[Title, ...]]
    names: Mapping[Kind, tuple[str, ...]]
    by_id: Mapping[str, Title]


def normalize(text: str) -> str:
    """Fold a title to compare spellings: "Ozark: Season 4" → "ozark", "Amélie!" → "amelie"."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("&", " and ")
    text = _APOSTROPHES.sub("", _LANGUAGE_TAG.sub("", text))
    previous = None
    while previous != text:
        previous = text
        text = _SUFFIXES.sub("", text)
    return " ".join(_NON_WORD.sub(" ", text).replace("_", " ").split())


def loose_keys(name: str) -> tuple[str, ...]:
    """Looser spellings of a normalised name that still mean the same title: without spaces
    ("twentysomethings austin" = "twenty somethings austin"), and, when three or more other words
    remain, without filler words ("bordertown mural murders" = "bordertown the mural murders").
    Short names keep their articles: "The Hustle" (2019) is not "Hustle" (2022)."""
    words = name.split()
    keys = ["".join(words)]
    content = [word for word in words if word not in _LOOSE_WORDS]
    if len(content) >= 3:
        keys.append("+" + "".join(content))  # "+" keeps the two kinds of key apart
    return tuple(keys)


def build_index(titles: Iterable[Title]) -> CatalogIndex:
    exact: dict[tuple[Kind, str], list[Title]] = {}
    loose_names: dict[tuple[Kind, str], list[Title]] = {}
    by_id: dict[str, Title] = {}
    for title in titles:
        by_id[title.id] = title
        name = normalize(title.name)
        exact.setdefault((title.kind, name), []).append(title)
        for key in loose_keys(name):
            loose_names.setdefault((title.kind, key), []).append(title)
    names: dict[Kind, list[str]] = {"movie": [], "show": []}
    for kind, name in exact:
        names[kind].append(name)
    return CatalogIndex(
        exact={key: tuple(sorted(v, key=_year)) for key, v in exact.items()},
        loose={key: tuple(sorted(v, key=_year)) for key, v in loose_names.items()},
        names={kind: tuple(v) for kind, v in names.items()},
        by_id=by_id,
    )


def match(
    index: CatalogIndex,
    chart_title: str,
    kind: Kind,
    first_year: int | None = None,
    overrides: Mapping[str, str | None] | None = None,
) -> Match:
    """Find the catalog title a chart title means; `first_year` is when it first charted."""
    if overrides and chart_title in overrides:
        title_id = overrides[chart_title]
        title = index.by_id.get(title_id) if title_id else None
        return Match(chart_title, title, 100.0 if title else 0.0, MatchMethod.OVERRIDE)
    name = normalize(chart_title)
    if not name:
        return Match(chart_title, None, 0.0, MatchMethod.NONE)
    candidates = index.exact.get((kind, name))
    if candidates:
        title, confidence = _pick_by_year(candidates, first_year)
        others = tuple(c for c in candidates if c is not title)
        return Match(chart_title, title, confidence, MatchMethod.EXACT, others)
    candidates = ()
    for key in loose_keys(name):
        candidates = index.loose.get((kind, key), ())
        if candidates:
            break
    if candidates:
        title, confidence = _pick_by_year(candidates, first_year)
        others = tuple(c for c in candidates if c is not title)
        return Match(
            chart_title, title, min(confidence, LOOSE_CONFIDENCE), MatchMethod.EXACT, others
        )
    # sequels differ only in their number ("Enola Holmes 2" is not "Enola Holmes"): a spelling
    # match must carry the same numbers
    numbers = _NUMBERS.findall(name)
    found = next(
        (
            hit
            for hit in process.extract(
                name, index.names[kind], scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=5
            )
            if _NUMBERS.findall(hit[0]) == numbers
        ),
        None,
    )
    if found is None:
        return Match(chart_title, None, 0.0, MatchMethod.NONE)
    candidates = index.exact[(kind, found[0])]
    title, confidence = _pick_by_year(candidates, first_year)
    others = tuple(c for c in candidates if c is not title)
    # spelled alike is a hint, not an identity ("Crush" is not "Rush")
    capped = min(confidence, float(found[1]), FUZZY_CAP)
    return Match(chart_title, title, capped, MatchMethod.FUZZY, others)


def _pick_by_year(candidates: tuple[Title, ...], first_year: int | None) -> tuple[Title, float]:
    """Choose among titles sharing a name: the one released by, and closest to, its first chart."""
    if len(candidates) == 1:
        only = candidates[0]
        if first_year is not None and only.year is not None:
            if only.year > first_year + 1:
                return (
                    only,
                    60.0,
                )  # released after it charted: a different title with that name
            if first_year - only.year >= REMAKE_RISK_YEARS:
                return only, 75.0
        return only, 100.0
    if first_year is None:
        return candidates[-1], 60.0
    released = [c for c in candidates if c.year is None or c.year <= first_year + 1]
    if not released:
        return candidates[0], 50.0
    newest = released[-1]
    if newest.year is not None and first_year - newest.year <= 1:
        return newest, 95.0  # a remake charting in its launch year
    return newest, 70.0  # an old title charting again: could be either version


def search(index: CatalogIndex, query: str, limit: int = 5) -> list[tuple[Title, float]]:
    """Titles of any kind for a free-text query, best first, for "should I watch X?".

    A trailing year ("Cowboy Bebop 2021", "Monster (2003)") picks among same-named titles, unless
    the year is part of a real title ("Blade Runner 2049").
    """
    name = normalize(query)
    if not name:
        return []
    hits = _exact_any_kind(index, name)
    year_hint = None
    if not hits:
        found = _YEAR_SUFFIX.search(query)
        stripped = normalize(query[: found.start()]) if found and found.start() > 0 else ""
        if found and stripped:
            name, year_hint = stripped, int(found.group(1))
            hits = _exact_any_kind(index, name)
    results = {title.id: (title, 100.0) for title in hits}
    if len(results) < limit:
        # WRatio finds candidates generously (word order, partial names); plain ratio, a
        # spelling distance, decides how sure we are, so a short title cannot win on a substring
        for kind in ("movie", "show"):
            for found_name, _score, _ in process.extract(
                name, index.names[kind], scorer=fuzz.WRatio, limit=limit, score_cutoff=75
            ):
                for title in index.exact[(kind, found_name)]:
                    results.setdefault(title.id, (title, fuzz.ratio(name, found_name)))
    ranked = sorted(results.values(), key=lambda pair: (-pair[1], -(pair[0].year or 0)))
    if year_hint is not None and any(title.year == year_hint for title, _ in ranked):
        ranked = [(t, s) for t, s in ranked if t.year == year_hint] + [
            (t, min(s, 80.0)) for t, s in ranked if t.year != year_hint
        ]
    return ranked[:limit]


def _exact_any_kind(index: CatalogIndex, name: str) -> list[Title]:
    return [*index.exact.get(("movie", name), ()), *index.exact.get(("show", name), ())]


def _year(title: Title) -> int:
    return title.year or 0
