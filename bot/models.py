"""Domain values shared by core and adapters: charts, titles, scores, judgements, settings, alerts
(cards are in bot/cards.py, commands in bot/asks.py).

Everything here is a frozen dataclass or an enum; behaviour lives in the pure modules that use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Literal, NamedTuple

from bot.cards import Card

Category = Literal["films", "tv"]
CATEGORIES: tuple[Category, ...] = ("films", "tv")
# Country lists mix languages; the global lists come in an English and a non-English edition.
Language = Literal["", "english", "non-english"]
LANGUAGES: tuple[Language, ...] = ("", "english", "non-english")
GLOBAL = "GLOBAL"
NETFLIX = "netflix"

# A title as it appears in one list: (show_title, season_title or None).
TitleRef = tuple[str, str | None]


@dataclass(frozen=True, slots=True, order=True)
class ChartKey:
    """Which list: region (ISO 3166-1 alpha-2 or GLOBAL), category, and for GLOBAL a language."""

    region: str
    category: Category
    language: Language = ""
    service: str = NETFLIX


class ChartRow(NamedTuple):
    """One line of a Top 10 list as Netflix published it.

    A NamedTuple rather than a dataclass: a history file has 134k of them, and a tuple is
    three times cheaper to build and is what SQLite binds anyway.
    """

    rank: int
    title: str
    season: str | None = None
    weeks_in_top10: int | None = None
    hours_viewed: int | None = None
    views: int | None = None
    runtime_hours: float | None = None

    @property
    def ref(self) -> TitleRef:
        return (self.title, self.season)


@dataclass(frozen=True, slots=True)
class Chart:
    """A complete Top 10 list for one week; `week` is the Sunday that ends the viewing week."""

    key: ChartKey
    week: date
    rows: tuple[ChartRow, ...]


@dataclass(frozen=True, slots=True)
class Appearance:
    """A title's past in one list, before the week being looked at."""

    first_week: date
    last_week: date
    weeks: int


class Move(StrEnum):
    NEW = "new"
    REENTRY = "re-entry"
    UP = "up"
    DOWN = "down"
    SAME = "same"


@dataclass(frozen=True, slots=True)
class Movement:
    """A chart row set against the week before: how it moved and where else it charts."""

    rank: int
    title: str
    season: str | None
    move: Move
    previous_rank: int | None
    weeks_in_top10: int
    weeks_absent: int | None = None  # for a re-entry: weeks since it was last in this list
    regions: tuple[str, ...] = ()  # country lists of the same category where it charts this week
    first_seen_anywhere: date | None = None  # first week it charted in any country list

    @property
    def change(self) -> int:
        """Places climbed (negative when it fell); 0 for new entries and re-entries."""
        if self.previous_rank is None:
            return 0
        return self.previous_rank - self.rank

    @property
    def entered(self) -> bool:
        return self.move in (Move.NEW, Move.REENTRY)


@dataclass(frozen=True, slots=True)
class Title:
    """A catalog title (film or show) that chart rows are matched to."""

    id: str
    name: str
    kind: Literal["movie", "show"]
    year: int | None
    imdb_id: str | None = None
    genres: tuple[str, ...] = ()
    tmdb_id: int | None = None


class MatchMethod(StrEnum):
    EXACT = "exact"
    FUZZY = "fuzzy"
    OVERRIDE = "override"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Match:
    """The catalog title a chart title was matched to, with how sure we are (0–100)."""

    query: str
    title: Title | None
    confidence: float
    method: MatchMethod
    alternatives: tuple[Title, ...] = ()

    @property
    def confident(self) -> bool:
        return self.title is not None and self.confidence >= 85


class Metric(StrEnum):
    IMDB = "imdb"
    RT_CRITICS = "rt_critics"
    RT_AUDIENCE = "rt_audience"
    METACRITIC = "metacritic"
    TMDB = "tmdb"


@dataclass(frozen=True, slots=True)
class Score:
    """One review score normalised to 0–100, with where and when it came from (scores drift)."""

    metric: Metric
    value: float
    raw: str
    provider: str
    fetched: date
    votes: int | None = None


@dataclass(frozen=True, slots=True)
class Scores:
    """All scores known for a title, plus the providers that could not answer this time."""

    items: tuple[Score, ...] = ()
    unavailable: tuple[str, ...] = ()

    def get(self, metric: Metric) -> Score | None:
        return next((s for s in self.items if s.metric is metric), None)


class ReasonCode(StrEnum):
    # surprise signals
    OLD_TITLE = "old_title"
    RECENT_TITLE = "recent_title"
    PREMIERE = "premiere"
    LOW_SCORE = "low_score"
    GOOD_SCORE = "good_score"
    NO_SCORES = "no_scores"
    NEW_ENTRY = "new_entry"
    REENTRY = "reentry"
    HOLDING = "holding"
    MANY_REGIONS = "many_regions"
    ONLY_HERE = "only_here"
    UNMATCHED = "unmatched"
    UNCERTAIN_MATCH = "uncertain_match"
    EXPECTED = "expected"  # something explains the entry (detail: the explanation code)
    NOT_EXPECTED = "not_expected"  # why it was not expected (detail: what was ruled out)
    LICENSED = "licensed"  # not a Netflix-branded title
    NETFLIX_BRANDED = "netflix_branded"
    OBSCURE = "obscure"  # few votes anywhere: few people knew it
    FAMOUS = "famous"  # a household name: less out of the blue
    THIN_EVIDENCE = "thin_evidence"  # a score from fewer than 1,000 votes
    NEW_RELEASE = "new_release"  # identity inferred: first seen this week
    # verdict signals
    CRITICS_AUDIENCE_GAP = "critics_audience_gap"
    CLIMBING = "climbing"
    FALLING = "falling"
    LONG_RUN = "long_run"
    NOT_CHARTING = "not_charting"
    FEW_SCORES = "few_scores"


@dataclass(frozen=True, slots=True)
class Reason:
    """One signal behind a judgement, as facts; bot/words/reasons.py turns it into words."""

    code: ReasonCode
    points: int = 0
    value: float | None = None
    detail: str | None = None
    as_of: date | None = None  # for a score: when its source measured it
    votes: int | None = None  # for a score: how many votes it rests on


@dataclass(frozen=True, slots=True)
class Surprise:
    """How unexpected a chart entry is (0–100) and why; only `alertable` entries may alert."""

    score: int
    reasons: tuple[Reason, ...]
    alertable: bool


class Advice(StrEnum):
    WATCH = "watch"
    MAYBE = "maybe"
    SKIP = "skip"
    SO_BAD_ITS_GOOD = "so bad it's good"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer to "should I watch X?"."""

    title: Title
    advice: Advice
    reasons: tuple[Reason, ...]
    scores: Scores


@dataclass(frozen=True, slots=True)
class Deployment:
    """What /about says about this running bot; the server's own settings come from the store."""

    version: str
    online_scores: tuple[str, ...] = ()  # providers whose keys are set: "omdb", "tmdb"
    imdb_datasets: bool = False  # the operator loaded IMDb's non-commercial datasets
    outbox_retention_days: int = 90  # how long sent alerts are kept


# ---- subscriptions and delivery ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """One Discord server's or Slack workspace's configuration."""

    platform: str
    server_id: str
    channel_id: str | None
    threshold: int
    categories: tuple[Category, ...]
    regions: tuple[str, ...] = ()
    disabled_reason: str | None = None
    digest: bool = False
    admin_channel_id: str | None = None  # where an admin last ran a config command
    language: str = ""  # pinned by an admin (a shipped locale); "" follows the platform
    locale: str = ""  # the platform's language for the server (Discord's guild locale, …)


@dataclass(frozen=True, slots=True)
class Alert:
    """One message for one channel; (platform, channel, list, week, title, kind) is unique."""

    platform: str
    server_id: str
    channel_id: str
    key: ChartKey
    week: date
    title: str
    kind: str
    card: Card


@dataclass(frozen=True, slots=True)
class PendingAlert:
    """An outbox row waiting for delivery."""

    id: int
    alert: Alert
    attempts: int
    maybe_sent: bool = False  # a send started and never finished (the process died mid-send)
    lease: str | None = None  # the claim's token: only its holder may record the outcome


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """A chart source's fetch state: validators for conditional GETs and its failure streak."""

    name: str
    etag: str | None = None
    last_modified: str | None = None
    last_success_at: datetime | None = None
    last_attempt_at: datetime | None = None
    failures: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
