"""Expectation, pure: what explains an entry into a Top 10, before anyone calls it a surprise.

A list is "often dominated by whichever Netflix Original has just hit the service — but some
entries come completely out of left field". So each entry that enters a list is first asked what
explains it, each answer a named reason a card can show:

- a Netflix launch: its (or its season's) Netflix release date falls in or just before the week,
  or a first-ever appearance has the launch pattern (many countries at once, the global list);
- a new season of a show, in its own first weeks;
- a recent release arriving on Netflix (films within ~2 years: theatrical Pay-1 windows);
- its franchise launching: a sequel, prequel or another season entering that week or the one
  before (rewatches of *365 Days* when *365 Days: This Day* launched), or a new film in the
  franchise released that year (the cinema release of a sequel sends people to the old one);
- its season: Christmas films from mid-November, horror in October, Easter films at Easter.

Only what nothing explains goes on to be scored for surprise.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

import dateutil.easter

from bot.judge.identity import Identity, Status
from bot.judge.names import name_key, split_title
from bot.titles.facts import Fact, TitleFacts

LAUNCH_WINDOW = timedelta(days=35)  # entries this soon after a Netflix release are its launch run
LAUNCH_AHEAD = timedelta(days=3)  # a Friday release counts for the week ending that Sunday
RECENT_FILM_YEARS = 2  # Pay-1 windows: a film this young arriving on Netflix is expected
RECENT_SHOW_YEARS = 1
LAUNCH_PATTERN_REGIONS = 8  # a first-ever entry in this many countries at once is a launch
SEASON_RUN = timedelta(days=21)  # a season's own first weeks


class Explanation(StrEnum):
    NETFLIX_LAUNCH = "netflix_launch"
    LAUNCH_PATTERN = "launch_pattern"
    NEW_SEASON = "new_season"
    RECENT_RELEASE = "recent_release"
    FRANCHISE_LAUNCH = "franchise_launch"
    FRANCHISE_NEWS = "franchise_news"
    SEASONAL = "seasonal"


@dataclass(frozen=True, slots=True)
class Expected:
    """Why an entry was to be expected; `detail` names the date, season or related title."""

    code: Explanation
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Arrival:
    """An entry into a list, with what the Top 10 files say about its run."""

    week: date
    kind: str  # "movie" | "show"
    name: str
    season_title: str | None
    identity: Identity
    first_week: date | None  # the title's first week in any list
    season_first_week: date | None  # this season's first week in any list
    show_charted_before: bool  # another season of this show charted before this week
    countries: int  # country lists of its category it is in this week
    in_global: bool  # in a global list this week
    new_here: bool = False  # this title and season never charted in this list before


@dataclass(frozen=True, slots=True)
class WeekNews:
    """What else happened around the week: franchises launching, franchise films this year."""

    launching: Collection[str] = ()  # franchise keys entering this week or last, explained
    new_films: Collection[str] = ()  # franchise keys of films released in the week's year


def explain(arrival: Arrival, news: WeekNews = WeekNews()) -> Expected | None:
    """The best reason an entry into a list was to be expected, or None: a candidate surprise."""
    return (
        _launch(arrival)
        or _new_season(arrival)
        or _recent(arrival)
        or _franchise(arrival, news)
        or _seasonal(arrival)
    )


def franchise_key(name: str) -> str:
    """What a title shares with its sequels: '365 Days: This Day' → '365 days',
    'Enola Holmes 2' → 'enola holmes', 'The Hunger Games: Mockingjay – Part 1' → 'the hunger games'.
    """
    base = split_title(name, "movie").name
    base = re.split(r"\s*[:–—]\s*|\s+-\s+", base, maxsplit=1)[0]
    key = name_key(base)
    key = re.sub(r"\s+(?:\d{1,2}|ii|iii|iv|v|vi|part \w+|chapter \w+)$", "", key)
    return key if len(key) >= 3 else name_key(name)


def _launch(a: Arrival) -> Expected | None:
    release = _release(a)
    if release is not None and a.week - LAUNCH_WINDOW <= release.value <= a.week + LAUNCH_AHEAD:
        return Expected(Explanation.NETFLIX_LAUNCH, release.value.isoformat())
    first_run = a.first_week is None or a.week - a.first_week <= timedelta(days=7)
    if first_run and _could_be_new(a) and (a.in_global or a.countries >= LAUNCH_PATTERN_REGIONS):
        return Expected(Explanation.LAUNCH_PATTERN, str(a.countries))
    return None


def _could_be_new(a: Arrival) -> bool:
    """Nothing says it is old: unknown, a new release, or a title from this year or last."""
    title = a.identity.title
    if a.identity.status is Status.NEW_RELEASE or title is None:
        return True
    year = title.year_value
    if year is None:
        return a.kind != "movie" or not probably_old(title)
    return a.week.year - year <= 1


def probably_old(title: TitleFacts) -> bool:
    """Inferred from the title sources: a licensed film of unknown year no yearly list of
    popular films since 2010 names (see TitleBook) is most likely older."""
    return title.year is None and title.era is not None


def _release(a: Arrival) -> Fact[date] | None:
    identity = a.identity
    if identity.title is None:
        return None
    if identity.season is not None and identity.season.netflix_release is not None:
        return identity.season.netflix_release
    if a.kind == "show" and (identity.season_number or 1) > 1:
        return None  # the show's first season date says nothing about this one
    return identity.title.netflix_release


def _new_season(a: Arrival) -> Expected | None:
    """A later season in its own first weeks: a new season on Netflix (an Original's launch,
    or a licensed show's new season arriving)."""
    number = a.identity.season_number
    if a.kind != "show" or number is None or number < 2:
        return None
    first = a.season_first_week or a.week
    if a.week - first > SEASON_RUN and not a.new_here:
        return None  # an old season back again; a season new to this country is its arrival
    return Expected(Explanation.NEW_SEASON, a.season_title or str(number))


def _recent(a: Arrival) -> Expected | None:
    title = a.identity.title
    if title is None or a.identity.status is Status.UNKNOWN:
        return None
    year = title.year_value
    if year is None:
        return None
    limit = RECENT_FILM_YEARS if a.kind == "movie" else RECENT_SHOW_YEARS
    if a.kind == "show" and (a.identity.season_number or 1) > 1:
        return None  # an old show's later season is not a recent show
    if a.week.year - year <= limit:
        return Expected(Explanation.RECENT_RELEASE, str(year))
    return None


def _franchise(a: Arrival, news: WeekNews) -> Expected | None:
    key = franchise_key(a.name)
    if key in news.launching:
        return Expected(Explanation.FRANCHISE_LAUNCH, key)
    if a.kind == "movie" and key in news.new_films:
        return Expected(Explanation.FRANCHISE_NEWS, key)
    return None


_CHRISTMAS = re.compile(
    r"christmas|xmas|x-mas|santa|noel|navidad|natal|weihnacht|grinch|holiday|mistletoe|"
    r"nutcracker|snow\s*man|reindeer|jingle",
    re.IGNORECASE,
)
_HALLOWEEN = re.compile(r"halloween|hocus pocus|trick r treat", re.IGNORECASE)
_EASTER = re.compile(r"easter|\bhop\b|bunny|peter rabbit", re.IGNORECASE)


def _seasonal(a: Arrival) -> Expected | None:
    name = a.name
    month, day = a.week.month, a.week.day
    genres = {g.casefold() for g in (a.identity.title.genres if a.identity.title else ())}
    if (month == 12 or (month == 11 and day >= 15) or (month == 1 and day <= 7)) and (
        _CHRISTMAS.search(name) or "christmas" in genres
    ):
        return Expected(Explanation.SEASONAL, "christmas")
    if month == 10 or (month == 11 and day <= 7):
        if _HALLOWEEN.search(name) or "horror" in genres:
            return Expected(Explanation.SEASONAL, "halloween")
    easter = dateutil.easter.easter(a.week.year)
    if abs((a.week - easter).days) <= 14 and _EASTER.search(name):
        return Expected(Explanation.SEASONAL, "easter")
    return None
