"""Identity, pure: which title a chart entry is, from everything Netflix and the catalogs tell us.

Names are only where it starts. A candidate that shares the name must also fit: the kind, the
report's year suffix, released by the week it first charted, Netflix's runtime (global lists
since 2023) against the candidate's. Among those that fit, a Netflix launch in that week decides;
so does a matching Netflix runtime. A title never charted before whose same-name candidates are
all years older is a new release, unless something ties it to the old title (a Netflix catalogue
listed it then). A wrong-year match is worse than none: when in doubt the answer is "uncertain".
Identity is judged as of the week the title first charted, so every week of a run agrees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from bot.judge.names import Kind, name_key, season_of, split_title
from bot.models import Match, MatchMethod, Title
from bot.titles.facts import Fact, SeasonFacts, TitleFacts
from bot.titles.records import NETFLIX_REPORT

LAUNCH_BEFORE = timedelta(days=28)  # a release this long before its first chart week is a launch
LAUNCH_AFTER = timedelta(days=7)  # dates are per country; a week's list may show a Friday launch
ON_NETFLIX_NEAR = 400  # days: a catalogue snapshot or report this close says it was on Netflix
EVER_ON_NETFLIX = 5 * 366  # days: listed this far off, it still tells namesakes apart
COVERED = timedelta(days=180)  # newer titles than this before the newest source are missing
REMAKE_RISK_YEARS = 30  # a lone title this much older may be a remake the sources lack
NETFLIX_RUNTIME_SLACK = 3  # minutes: Netflix's report and Top 10 runtimes are the same cut
OTHER_RUNTIME_SLACK = 8  # minutes: catalogues count credits and cuts differently


class Status(StrEnum):
    KNOWN = "known"
    NEW_RELEASE = "new_release"  # inferred: first seen now, no older same-name title fits
    UNCERTAIN = "uncertain"
    UNKNOWN = "unknown"


class Evidence(StrEnum):
    LAUNCH = "launch"  # a Netflix release date at its first chart week
    RUNTIME = "runtime"  # Netflix's runtime matches
    YEAR_SUFFIX = "year_suffix"  # Netflix printed "(1997)" and a title of that year exists
    ON_NETFLIX = "on_netflix"  # a catalogue or report listed it around then
    NETFLIX_LISTED = "netflix_listed"  # the only namesake Netflix ever listed, years apart
    ONLY_CANDIDATE = "only_candidate"
    RECENT = "recent"  # released within a year of its first chart week
    NEWEST = "newest"  # the newest of several same-name titles released by then
    FIRST_SEEN = "first_seen"  # never charted before, nothing older fits
    REMAKE_RISK = "remake_risk"
    AMBIGUOUS = "ambiguous"  # several same-name titles fit
    NOT_FOUND = "not_found"
    OVERRIDE = "override"  # an admin said which title this is (or that it is none)


@dataclass(frozen=True, slots=True)
class Sighting:
    """What the Top 10 files say about an entry: its name, and when it first charted anywhere."""

    name: str
    kind: Kind
    week: date
    season_title: str | None = None
    first_week: date | None = None  # first week in any list (ours), this title
    prior_weeks: int = 0  # weeks Netflix counted before our history starts
    runtime_minutes: int | None = None  # Netflix's, from the global lists (2023 on)
    history_start: date | None = None  # the oldest week our history holds
    sources_until: date | None = None  # the newest title source's date


@dataclass(frozen=True, slots=True)
class Identity:
    """Who an entry is; `title` is set for KNOWN and NEW_RELEASE, and as the guess if UNCERTAIN."""

    status: Status
    title: TitleFacts | None
    evidence: tuple[Evidence, ...] = ()
    alternatives: tuple[TitleFacts, ...] = ()
    season: SeasonFacts | None = None
    season_number: int | None = None
    first_week: date | None = None

    @property
    def confident(self) -> bool:
        return self.status in (Status.KNOWN, Status.NEW_RELEASE)

    @property
    def confidence(self) -> float:
        """0–100 for the older Match shape: known 95+, new release 90, uncertain 70, else 0."""
        if self.status is Status.KNOWN:
            strong = {Evidence.LAUNCH, Evidence.RUNTIME, Evidence.YEAR_SUFFIX, Evidence.ON_NETFLIX,
                      Evidence.NETFLIX_LISTED, Evidence.OVERRIDE}  # fmt: skip
            return 100.0 if strong & set(self.evidence) else 95.0
        if self.status is Status.NEW_RELEASE:
            return 90.0
        return 70.0 if self.status is Status.UNCERTAIN else 0.0

    def as_match(self, query: str, kind: Kind) -> Match:
        """The older Match shape (render, verdicts and overrides still speak it)."""
        title = as_title(self.title, kind) if self.title is not None else None
        method = (
            MatchMethod.OVERRIDE if Evidence.OVERRIDE in self.evidence
            else MatchMethod.EXACT if title is not None else MatchMethod.NONE
        )  # fmt: skip
        others = tuple(as_title(t, kind) for t in self.alternatives)
        return Match(query, title, self.confidence, method, others)

    def sources(self) -> dict[str, str]:
        """Where each fact came from: {'year': 'catalog:2022-07', 'first_week': 'top10', …}."""
        found: dict[str, str] = {}
        if self.first_week is not None:
            found["first_week"] = "top10"
        if self.title is None:
            return found
        facts: dict[str, Fact[Any] | None] = {
            "year": self.title.year,
            "netflix_release": self.title.netflix_release,
            "licensed": self.title.licensed,
            "runtime": self.title.runtime_minutes,
            "imdb": self.title.imdb_score,
            "tmdb": self.title.tmdb_score,
        }
        if self.season is not None and self.season.netflix_release is not None:
            facts["season_release"] = self.season.netflix_release
        for name, fact in facts.items():
            if fact is not None:
                found[name] = fact.source
        return found


def as_title(facts: TitleFacts, kind: Kind) -> Title:
    """A merged title as the domain's Title value."""
    return Title(
        id=facts.id,
        name=facts.name,
        kind=facts.kind or kind,
        year=facts.year_value,
        imdb_id=facts.imdb_id,
        genres=facts.genres,
    )


def overridden(title: TitleFacts | None) -> Identity:
    """What an admin's override says: this title, or none at all."""
    if title is None:
        return Identity(Status.UNKNOWN, None, (Evidence.OVERRIDE,))
    return Identity(Status.KNOWN, title, (Evidence.OVERRIDE,))


def lookup_key(chart_name: str) -> str:
    """The key a chart title is looked up by ('Hunter X Hunter (2011)' → 'hunter x hunter')."""
    return name_key(split_title(chart_name, "movie").name)


def resolve(sighting: Sighting, candidates: Sequence[TitleFacts]) -> Identity:
    """Decide which of the same-name candidates the entry is, or that it is none of them."""
    printed = split_title(sighting.name, "movie")
    _, number = season_of(sighting.season_title, sighting.name)
    anchor = sighting.first_week or sighting.week
    fresh = _fresh(sighting, anchor)
    kin = [c for c in candidates if c.kind in (sighting.kind, None)]
    evidence: list[Evidence] = []
    if printed.year is not None:
        kin = [c for c in kin if c.year_value is not None and abs(c.year_value - printed.year) <= 1]
        evidence.append(Evidence.YEAR_SUFFIX)
    fitting = [c for c in kin if _fits(c, sighting, anchor, number)]

    def known(title: TitleFacts, *why: Evidence) -> Identity:
        others = tuple(c for c in fitting if c is not title)
        season = title.season(number) if number is not None else None
        return Identity(
            Status.KNOWN, title, (*evidence, *why), others, season, number, sighting.first_week
        )

    def uncertain(title: TitleFacts | None, *why: Evidence) -> Identity:
        others = tuple(c for c in fitting if c is not title)
        season = title.season(number) if title and number is not None else None
        return Identity(Status.UNCERTAIN, title, why, others, season, number, sighting.first_week)

    launched = [c for c in fitting if _launched(c, number, anchor)]
    if launched:
        return known(_best(launched, sighting), Evidence.LAUNCH)
    same_runtime = [c for c in fitting if _runtime_match(c, sighting) is True]
    if len(same_runtime) == 1 and _netflix_runtime(same_runtime[0]):
        return known(same_runtime[0], Evidence.RUNTIME)
    if not fitting:
        if fresh and _beyond_sources(sighting, anchor):
            return _new_release(sighting, anchor, number)
        return Identity(Status.UNKNOWN, None, (Evidence.NOT_FOUND,), tuple(kin), None, number,
                        sighting.first_week)  # fmt: skip
    if printed.year is not None and len(fitting) == 1:
        return known(fitting[0])
    there = [c for c in fitting if c.on_netflix_near(anchor, ON_NETFLIX_NEAR)]
    recent = [c for c in fitting if c.year_value is not None and anchor.year - c.year_value <= 1]
    # a title a Netflix catalogue or report listed then beats a recent namesake it never had
    recent_there = [c for c in recent if c in there]
    if recent_there or (recent and not there):
        return known(_newest(recent_there or recent), Evidence.RECENT)
    if fresh:
        # a first run, and every same-name title is older: the old one only if Netflix had it
        if not there:
            if _beyond_sources(sighting, anchor):
                return _new_release(sighting, anchor, number)
            # the sources cover that time, so a newer same-name title would be among them
            if len(fitting) == 1:
                if _remake_risk(fitting[0], anchor):
                    return uncertain(fitting[0], Evidence.REMAKE_RISK)
                return known(fitting[0], Evidence.ONLY_CANDIDATE)
            # of several old namesakes, the only one Netflix ever listed (years apart) is the
            # one on its chart: a film Netflix never had cannot be in its Top 10
            ever = [c for c in fitting if c.on_netflix_near(anchor, EVER_ON_NETFLIX)]
            # dated only: a report row without a year may be any of the namesakes
            if (
                len(ever) == 1
                and ever[0].year_value is not None
                and not _remake_risk(ever[0], anchor)
            ):
                return known(ever[0], Evidence.NETFLIX_LISTED)
            return uncertain(_newest(fitting), Evidence.FIRST_SEEN)
        chosen = _newest(there)
        if _close_years(there):
            return uncertain(chosen, Evidence.AMBIGUOUS)
        return known(chosen, Evidence.ON_NETFLIX)
    # charting since before we could see its first week: the title released by then
    if len(fitting) == 1 or len(there) == 1:
        only = fitting[0] if len(fitting) == 1 else there[0]
        if _remake_risk(only, anchor) and not there:
            return uncertain(only, Evidence.REMAKE_RISK)
        return known(only, Evidence.ONLY_CANDIDATE)
    pool = there or fitting
    if len(pool) > 1:
        return uncertain(_newest(pool), Evidence.AMBIGUOUS)
    return known(pool[0], Evidence.ON_NETFLIX)


def _fresh(sighting: Sighting, anchor: date) -> bool:
    """Did we see the title's first week in the Top 10 (so older same-name titles are suspect)?"""
    if sighting.prior_weeks > 1:
        return False  # Netflix counts weeks before our history
    if sighting.history_start is not None and anchor <= sighting.history_start:
        return sighting.prior_weeks == 1
    return True


def _fits(title: TitleFacts, sighting: Sighting, anchor: date, season: int | None) -> bool:
    year = title.year_value
    release = _release(title, season)
    if year is not None and year > anchor.year:
        if release is None or release.value > anchor + LAUNCH_AFTER:
            return False  # released after it first charted: another title with that name
    if release is not None and title.kind == "movie" and release.value > anchor + LAUNCH_AFTER:
        return False
    return _runtime_match(title, sighting) is not False


def _runtime_match(title: TitleFacts, sighting: Sighting) -> bool | None:
    """True/False when both runtimes are known (films), else None."""
    if sighting.kind != "movie" or sighting.runtime_minutes is None:
        return None
    runtime = title.runtime_minutes
    if runtime is None:
        return None
    slack = NETFLIX_RUNTIME_SLACK if _netflix_runtime(title) else OTHER_RUNTIME_SLACK
    return abs(runtime.value - sighting.runtime_minutes) <= slack


def _netflix_runtime(title: TitleFacts) -> bool:
    return title.runtime_minutes is not None and title.runtime_minutes.source.startswith(
        NETFLIX_REPORT
    )


def _release(title: TitleFacts, season: int | None) -> Fact[date] | None:
    if title.kind == "show" and season is not None and season > 1:
        found = title.season(season)
        return found.netflix_release if found else None
    return title.netflix_release


def _launched(title: TitleFacts, season: int | None, anchor: date) -> bool:
    release = _release(title, season)
    if release is None:
        return False
    return anchor - LAUNCH_BEFORE <= release.value <= anchor + LAUNCH_AFTER


def _beyond_sources(sighting: Sighting, anchor: date) -> bool:
    """Did the title first chart after our newest title source could know it?"""
    return sighting.sources_until is None or anchor > sighting.sources_until - COVERED


def _remake_risk(title: TitleFacts, anchor: date) -> bool:
    year = title.year_value
    return year is not None and anchor.year - year >= REMAKE_RISK_YEARS


def _close_years(titles: Sequence[TitleFacts]) -> bool:
    """Two listed titles within a few years of each other: nothing tells them apart."""
    years = sorted(y for t in titles if (y := t.year_value) is not None)
    return len(years) > 1 and years[-1] - years[-2] <= 5


def _newest(titles: Sequence[TitleFacts]) -> TitleFacts:
    return max(titles, key=lambda t: (t.year_value or 0, len(t.listed)))


def _best(titles: Sequence[TitleFacts], sighting: Sighting) -> TitleFacts:
    return max(titles, key=lambda t: (_runtime_match(t, sighting) is True, t.year_value or 0))


def _new_release(sighting: Sighting, anchor: date, number: int | None) -> Identity:
    """A title the sources do not know yet, inferred from its first chart week."""
    name = split_title(sighting.name, "movie").name
    key = name_key(name)
    slug = "-".join(key.split())[:60]
    seen = Fact(anchor.year, "top10", anchor)
    runtime = (
        Fact(sighting.runtime_minutes, "top10", anchor)
        if sighting.runtime_minutes is not None and sighting.kind == "movie"
        else None
    )
    title = TitleFacts(
        id=f"nf:new:{sighting.kind}:{slug}:{anchor.isoformat()}",
        name=name,
        key=key,
        kind=sighting.kind,
        year=seen,
        runtime_minutes=runtime,
    )
    return Identity(
        Status.NEW_RELEASE, title, (Evidence.FIRST_SEEN,), (), None, number, sighting.first_week
    )
