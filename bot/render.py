"""Everything a user reads, as neutral Cards: trending lists, alerts, verdicts, help and errors.

Pure. Adapters turn Cards into embeds, Block Kit or terminal text without adding words of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot import PRIVACY_URL, SOURCE_URL
from bot.judge.week import Judged
from bot.models import (
    GLOBAL,
    Advice,
    Card,
    Category,
    ChartKey,
    Choice,
    Deployment,
    Field,
    Image,
    Link,
    Metric,
    Move,
    Movement,
    Reason,
    ReasonCode,
    Scores,
    ServerSettings,
    SourceHealth,
    Title,
    Tone,
    Verdict,
)
from bot.polling import Plan
from bot.regions import region_label, region_name

SOURCE = "Netflix Top 10 (netflix.com/tudum/top10)"
_METRIC_NAMES = {
    Metric.IMDB.value: "IMDb",
    Metric.RT_CRITICS.value: "Rotten Tomatoes critics",
    Metric.RT_AUDIENCE.value: "Rotten Tomatoes audience",
    Metric.METACRITIC.value: "Metacritic",
    Metric.TMDB.value: "TMDB users",
}
# What each command and option is for, where a platform asks for it (Discord slash commands
# require a description on every command and option).
COMMAND_TEXT = {
    "trending": "This week's Netflix Top 10 with movement and surprise marks",
    "surprises": "This week's surprising Top 10 entries, with reasons",
    "watch": "Should I watch it? A verdict with review scores and chart history",
    "help": "What trendbot does and how to set it up",
    "about": "Version, data credits, privacy and this server's settings",
    "config": "trendbot settings for this server (Manage Server)",
    "config regions": "The regions whose Top 10 alerts come from",
    "config regions add": "Follow more regions",
    "config regions remove": "Stop following regions",
    "config regions list": "Show the followed regions",
    "config channel": "Where alerts are posted",
    "config threshold": "How surprising an entry must be to alert (0–100)",
    "config categories": "Films, TV or both",
    "config digest": "A weekly round-up of the surprises in your regions",
    "config show": "Show this server's settings",
    "config forget": "Erase this server's trendbot data (shows what first)",
    "confirm": "True erases; leave it out to see what would be erased",
    "region": "Country or GLOBAL (name or ISO code)",
    "regions": "Countries, comma-separated (names or ISO codes)",
    "category": "Films or TV",
    "week": "The Sunday ending the week, e.g. 2022-06-26 (default: latest)",
    "title": "A film or series",
    "channel": "The alert channel",
    "value": "0–100; higher means fewer, bigger surprises",
    "categories": "Which lists alert",
    "digest value": "On or off",
}

SETTINGS_SAVED = "Settings saved"


@dataclass(frozen=True, slots=True)
class FormLabels:
    """Words for a settings form (Slack App Home); adapters only place them."""

    title: str = "trendbot settings"
    regions: str = "Regions to follow"
    regions_hint: str = "Alerts come from these countries' top 10 (and GLOBAL)."
    channel: str = "Alert channel"
    threshold: str = "Surprise threshold (0–100)"
    threshold_hint: str = "Higher means fewer, bigger surprises. 60 is a good start."
    categories: str = "Categories"
    films: str = "Films"
    tv: str = "TV"
    on: str = "On"
    off: str = "Off"
    save: str = "Save settings"
    read_only: str = "Only workspace admins can change these settings."
    invalid_threshold: str = "Enter a whole number from 0 to 100."


FORM = FormLabels()
_COUNT_WORDS = {Metric.RT_CRITICS: "reviews", Metric.RT_AUDIENCE: "ratings"}
_METRICS = {m.value for m in Metric}
_ADVICE = {
    Advice.WATCH: ("Watch it", Tone.GOOD),
    Advice.MAYBE: ("Maybe", Tone.INFO),
    Advice.SKIP: ("Skip it", Tone.WARNING),
    Advice.SO_BAD_ITS_GOOD: ("So bad it's good", Tone.SURPRISE),
}


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
        return f"{_METRIC_NAMES[metric]} {value / 10:.1f}/10"
    if metric == Metric.METACRITIC.value:
        return f"Metacritic {value:.0f}/100"
    return f"{_METRIC_NAMES.get(metric, metric)} {value:.0f}%"


def reason_text(reason: Reason) -> str:
    """One plain-language line per signal."""
    code, value, detail = reason.code, reason.value, reason.detail
    n = int(value) if value is not None else 0
    match code:
        case ReasonCode.OLD_TITLE:
            if value is None:
                return f"an older film ({detail}, judging by TMDB's yearly lists)"
            return f"{detail} release — {_plural(n, 'year')} old"
        case ReasonCode.RECENT_TITLE:
            return f"recent title ({detail})"
        case ReasonCode.PREMIERE:
            return f"new release ({detail}) in its launch weeks — expected to chart"
        case ReasonCode.LOW_SCORE | ReasonCode.GOOD_SCORE:
            return score_text(value or 0.0, detail or "") + _score_note(reason)
        case ReasonCode.NO_SCORES:
            return "no review scores known"
        case ReasonCode.FEW_SCORES:
            return "only one review score known"
        case ReasonCode.NEW_ENTRY:
            return f"new this week at #{n}"
        case ReasonCode.REENTRY:
            if value is None:
                return f"back in the top 10 at #{detail}"
            return f"back at #{detail} after {_plural(n, 'week')} away"
        case ReasonCode.HOLDING:
            return f"in the top 10 for {_plural(n, 'week')}"
        case ReasonCode.MANY_REGIONS:
            if n == 0 and reason.points:
                return "in the global top 10"
            if n == 0:
                return "not charting in any country list"
            return f"also charting in {_plural(n, 'other country', 'other countries')}"
        case ReasonCode.ONLY_HERE:
            return "charting only here"
        case ReasonCode.UNMATCHED:
            return "not found in the title catalog — age and reviews unknown"
        case ReasonCode.UNCERTAIN_MATCH:
            return f"catalog match uncertain (closest: {detail}) — no alert on a guess"
        case ReasonCode.CRITICS_AUDIENCE_GAP:
            side = "audiences like it more than critics" if n > 0 else "critics like it more"
            return f"{side} ({abs(n)} points apart)"
        case ReasonCode.CLIMBING:
            return f"climbing: ▲{n} to #{detail} this week"
        case ReasonCode.FALLING:
            return f"slipping: ▼{n} to #{detail} this week"
        case ReasonCode.LONG_RUN:
            return f"{_plural(n, 'week')} in the top 10"
        case ReasonCode.NOT_CHARTING:
            return "not in this region's top 10 right now"
        case ReasonCode.EXPECTED:
            return "expected: " + expected_text(detail or "")
        case ReasonCode.NOT_EXPECTED:
            parts = (detail or "").split(";")
            return "not expected: " + "; ".join(_ruled_out(part) for part in parts)
        case ReasonCode.LICENSED:
            return "licensed, not a Netflix title"
        case ReasonCode.NETFLIX_BRANDED:
            return "a Netflix title"
        case ReasonCode.OBSCURE:
            return f"little known: {n:,} IMDb votes"
        case ReasonCode.FAMOUS:
            return f"widely known: {n:,} IMDb votes"
        case ReasonCode.THIN_EVIDENCE:
            return f"scores rest on few votes ({n:,}), so they count for less"
        case ReasonCode.NEW_RELEASE:
            return "a new release first seen this week (not in the title sources yet)"


_EXPECTED = {
    "netflix_launch": "a Netflix release ({})",
    "launch_pattern": "a new title launching in many places at once",
    "new_season": "a new season ({})",
    "recent_release": "a recent release ({}) arriving on Netflix",
    "franchise_launch": "something new in its franchise is out",
    "franchise_news": "a new film in its franchise came out this year",
    "seasonal": "a {} favourite in season",
}
_RULED_OUT = {
    "licensed": "not a Netflix release",
    "no_launch": "no Netflix launch",
    "no_new_season": "no new season",
}


def expected_text(detail: str) -> str:
    """'netflix_launch:2022-06-24' → 'a Netflix release (24 Jun 2022)'."""
    code, _, value = detail.partition(":")
    if code == "netflix_launch" and value:
        value = _day(value)
    return _EXPECTED.get(code, code.replace("_", " ")).format(value)


def _ruled_out(part: str) -> str:
    code, _, value = part.partition(":")
    if code == "released":
        return f"released {value}"
    if code == "netflix":
        return f"a Netflix title from {_day(value)}, long before this week"
    return _RULED_OUT.get(code, code.replace("_", " "))


def _day(iso: str) -> str:
    try:
        return date.fromisoformat(iso).strftime("%-d %b %Y")
    except ValueError:
        return iso


def _score_note(reason: Reason) -> str:
    """', as of Jul 2022' for an old figure, ', 16 votes' for a thin one."""
    notes = []
    word = _COUNT_WORDS.get(Metric(reason.detail), "vote") if reason.detail in _METRICS else "vote"
    if reason.votes is not None and reason.votes < 1_000:
        notes.append(_plural(reason.votes, word.rstrip("s")))
    if reason.as_of is not None:
        notes.append(f"as of {reason.as_of.strftime('%b %Y')}")
    return f" ({', '.join(notes)})" if notes else ""


def footer(week: date, scores_note: str = "") -> str:
    note = f" · {scores_note}" if scores_note else ""
    return f"{SOURCE} · week ending {week.isoformat()}{note}"


def trending_card(key: ChartKey, week: date, entries: Sequence[Judged], threshold: int) -> Card:
    fields = []
    for entry in entries:
        m = entry.movement
        name = f"#{m.rank} {movement_mark(m)} · {_title_line(m)}"
        if entry.surprise.alertable and entry.surprise.score >= threshold:
            name += " ⚡"
        bits = [f"{_plural(m.weeks_in_top10, 'week')} in top 10"]
        if m.regions:
            bits.append(_plural(len(m.regions), "country", "countries"))
        best = _headline_score(entry.scores)
        if best:
            bits.append(best)
        if entry.match.confident and entry.match.title is not None and entry.match.title.year:
            bits.append(str(entry.match.title.year))
        fields.append(Field(name, " · ".join(bits), inline=False))
    surprises = sum(1 for e in entries if e.surprise.alertable and e.surprise.score >= threshold)
    text = f"⚡ marks a surprise (score ≥ {threshold})." if surprises else ""
    return Card(
        title=f"Top 10 · {list_name(key)}",
        text=text,
        fields=tuple(fields),
        footer=footer(week),
    )


MAX_PLACES = 12  # places listed on an alert; the count says how many more


def alert_card(entry: Judged, *more: Judged) -> Card:
    """A channel alert: one surprising title, in one or several of the channel's lists.

    `entry` is the most surprising of its lists and gives the reasons; `more` are the same
    title's other surprising lists this week (one event, one alert).
    """
    m = entry.movement
    title = entry.match.title
    year = f" ({title.year})" if title and title.year else ""
    reasons = [reason_text(r) for r in entry.surprise.reasons]
    every = (entry, *more)
    if more:
        headline = f"⚡ A surprise in {len(every)} of your lists: {m.title}{year}"
        places = [f"{list_name(e.key)} #{e.movement.rank}" for e in every[:MAX_PLACES]]
        if len(every) > MAX_PLACES:
            places.append(f"and {len(every) - MAX_PLACES} more")
        text = ", ".join(places) + f" — surprise score up to {entry.surprise.score}/100"
    else:
        headline = f"⚡ Surprise in {list_name(entry.key)}: {m.title}{year}"
        text = f"#{m.rank} {movement_mark(m)} — surprise score {entry.surprise.score}/100"
    return Card(
        title=headline,
        text=text,
        fields=(Field("Why it's a surprise", "\n".join(f"• {r}" for r in reasons), False),)
        + _score_fields(entry.scores),
        footer=footer(entry.week, _scores_note(entry.scores)),
        tone=tone_for(entry.surprise.score),
        links=title_links(title),
    )


def surprises_card(region: str, week: date, entries: Sequence[Judged], threshold: int) -> Card:
    if not entries:
        return Card(
            title=f"No surprises in {region_label(region)} this week",
            text=f"Nothing entered the top 10 with a surprise score of {threshold} or more.",
            footer=footer(week),
        )
    fields = _surprise_fields(entries, reasons=4, separator="\n", bullet="• ")
    return Card(
        title=f"⚡ Surprises in {region_label(region)}",
        text=f"{_plural(len(entries), 'surprise')} this week (threshold {threshold}).",
        fields=fields,
        footer=footer(week),
        tone=tone_for(max(e.surprise.score for e in entries)),
    )


def verdict_card(
    verdict: Verdict,
    region: str,
    week: date | None,
    description: str = "",
    image: Image | None = None,
) -> Card:
    label, tone = _ADVICE[verdict.advice]
    title = verdict.title
    year = f" ({title.year})" if title.year else ""
    kind = "film" if title.kind == "movie" else "series"
    reasons = "\n".join(f"• {reason_text(r)}" for r in verdict.reasons)
    text = f"{label}. A {title.year} {kind}" if title.year else f"{label}. A {kind}"
    if description:
        text += f" — {_clip(description, 300)}"
    where = region_name(region) if region != GLOBAL else "worldwide"
    return Card(
        title=f"Should you watch {title.name}{year}?",
        text=text,
        fields=(Field(f"Why ({where})", reasons, False),) + _score_fields(verdict.scores),
        footer=footer(week, _scores_note(verdict.scores)) if week else _scores_note(verdict.scores),
        tone=tone,
        links=title_links(title),
        image=image,
    )


def pick_card(query: str, candidates: Sequence[Title]) -> Card:
    lines = [f"• {_title_with_year(t)}" for t in candidates]
    return Card(
        title=f"Which “{_clip(query, 60)}” do you mean?",
        text="Several titles share that name. Ask again with the year, e.g. “"
        + _title_with_year(candidates[0])
        + "”.",
        fields=(Field("Candidates", "\n".join(lines), False),),
        private=True,
    )


def not_found_card(query: str, suggestions: Sequence[Title]) -> Card:
    fields: tuple[Field, ...] = ()
    if suggestions:
        fields = (
            Field(
                "Did you mean",
                "\n".join(f"• {_title_with_year(t)}" for t in suggestions),
                False,
            ),
        )
    return Card(
        title=f"I don't know “{_clip(query, 60)}”",
        text="It isn't in the title catalog or any chart I hold."
        + (" Close matches are below." if suggestions else " Check the spelling?"),
        fields=fields,
        tone=Tone.WARNING,
        private=True,
    )


def config_command(platform: str) -> str:
    """Slack has no command namespaces, so its admin command is /trendbot-config."""
    return "/trendbot-config" if platform == "slack" else "/config"


def help_card(platform: str = "") -> Card:
    return Card(
        title="trendbot — surprises in Netflix's Top 10",
        text=(
            "I read Netflix's official weekly Top 10 for 94 countries and the world, and flag "
            "titles nobody expected to chart — old, badly reviewed catalog titles rather than "
            "this week's premieres."
        ),
        fields=(
            Field(
                "/trending [region] [category] [week]",
                "the top 10 with ▲▼, NEW and ⚡",
                False,
            ),
            Field("/surprises [region]", "this week's surprises, with reasons", False),
            Field(
                "/watch <title> — or ask “should I watch X?”",
                "a verdict with scores",
                False,
            ),
            Field(
                f"{config_command(platform)} (admins)",
                "regions add|remove|list · channel · threshold 0–100 · categories · "
                "digest on|off · show · forget",
                False,
            ),
            Field(about_command(platform), "version, data credits, privacy", False),
        ),
        footer="Regions: ISO codes (US, GB) or names (Brazil); GLOBAL for the worldwide lists.",
        private=True,
    )


def digest_card(
    regions: Sequence[str], week: date, surprises: Sequence[Judged], threshold: int
) -> Card:
    """The opt-in weekly round-up for one server: its regions' surprises, biggest first."""
    names = ", ".join(region_name(r) for r in regions)
    if not surprises:
        return Card(
            title=f"Weekly digest · {names}",
            text=f"No surprises this week (threshold {threshold}).",
            footer=footer(week),
        )
    fields = _surprise_fields(surprises[:10], reasons=3, separator=" · ")
    return Card(
        title=f"Weekly digest · {names}",
        text=f"{_plural(len(surprises), 'surprise')} this week (threshold {threshold}).",
        fields=fields,
        footer=footer(week),
        tone=tone_for(max(e.surprise.score for e in surprises)),
    )


def welcome_card(platform: str = "") -> Card:
    config = config_command(platform)
    return Card(
        title="Thanks for adding trendbot 👋",
        text=(
            f"An admin can set me up in three steps: `{config} channel #alerts`, "
            f"`{config} regions add US, GB`, and optionally `{config} threshold 60`. "
            "Anyone can try `/trending US` or ask “should I watch Backtrace?”."
        ),
    )


def error_card(message: str) -> Card:
    """A private error; the message already names any suggestions (they are not listed twice)."""
    return Card(title="Hmm, that didn't work", text=message, tone=Tone.ERROR, private=True)


def internal_error_card() -> Card:
    return Card(
        title="Something went wrong on my side",
        text="Sorry — please try again in a minute. The bot's admins can find details in its log.",
        tone=Tone.ERROR,
        private=True,
    )


def picture_not_posted_card(platform: str = "") -> Card:
    """The rank-history picture could not go where the answer went (the bot is not in it)."""
    invite = "/invite @trendbot" if platform == "slack" else "add trendbot to this channel"
    return Card(
        title="The picture could not be posted here",
        text=f"trendbot is not a member of this channel. To see pictures here, {invite}.",
        tone=Tone.WARNING,
        private=True,
    )


def refusal_card() -> Card:
    return Card(
        title="Only server admins can change trendbot's settings",
        text="Ask someone with Manage Server permission (Discord) or a workspace admin (Slack).",
        tone=Tone.WARNING,
        private=True,
    )


def no_data_card(key: ChartKey, week: date | None) -> Card:
    when = f" for the week ending {week.isoformat()}" if week else " yet"
    return Card(
        title=f"No chart for {list_name(key)}{when}",
        text="Netflix may not have published it, or it has not been fetched yet.",
        tone=Tone.WARNING,
        private=True,
    )


def config_card(
    settings: ServerSettings, health: Sequence[tuple[str, str]] = (), next_week: str = ""
) -> Card:
    channel = f"<#{settings.channel_id}>" if settings.channel_id else "not set"
    regions = ", ".join(region_label(r) for r in settings.regions) or "none"
    fields = [
        Field("Alert channel", channel),
        Field("Regions", regions),
        Field("Threshold", f"{settings.threshold}/100"),
        Field("Categories", ", ".join(_category_name(c) for c in settings.categories)),
        Field("Weekly digest", "on" if settings.digest else "off"),
    ]
    if settings.disabled_reason:
        fields.append(Field("⚠ Alerts paused", settings.disabled_reason, False))
    for name, state in health:
        fields.append(Field(f"Source: {name}", state, False))
    if next_week:
        fields.append(Field("Next Netflix Top 10", next_week, False))
    return Card(
        title="trendbot settings",
        fields=tuple(fields),
        tone=Tone.WARNING if settings.disabled_reason else Tone.INFO,
        private=True,
    )


def config_done(message: str, settings: ServerSettings) -> Card:
    card = config_card(settings)
    return Card(title=message, fields=card.fields, tone=Tone.GOOD, private=True)


def disabled_notice(channel_id: str, reason: str, platform: str = "") -> Card:
    return Card(
        title="trendbot alerts are paused",
        text=(
            f"I could not post to <#{channel_id}>: {reason}. Alerts stay paused until an admin "
            f"runs `{config_command(platform)} channel` again (after fixing my permissions there)."
        ),
        tone=Tone.WARNING,
    )


def health_lines(sources: Sequence[SourceHealth]) -> list[tuple[str, str]]:
    """(source, state) pairs for admins: ok since when, or failing with the last error."""
    lines = []
    for s in sources:
        if s.failures:
            retry = (
                f"; next try {s.next_attempt_at:%Y-%m-%d %H:%M} UTC" if s.next_attempt_at else ""
            )
            lines.append((s.name, f"⚠ failing ({s.failures}×): {s.last_error}{retry}"))
        elif s.last_success_at:
            lines.append((s.name, f"ok — last fetched {s.last_success_at:%Y-%m-%d %H:%M} UTC"))
    return lines


def publication_text(plan: Plan) -> str:
    """When the next week's lists are expected, and how closely trendbot is watching."""
    when = f"{plan.expected:%a %d %b}, about {plan.expected:%H:%M} UTC"
    every = _pace(plan.poll_every.total_seconds())
    if plan.mode == "window":
        return f"{when}: checking every {every} until it is out"
    if plan.mode in ("late", "overdue"):
        return f"was due {when} and is not out yet: checking every {every}"
    basis = f"learned from {_plural(plan.learned, 'week')}" if plan.learned else "default window"
    return f"{when} ({basis}; week ending {plan.week:%d %b})"


def _pace(seconds: float) -> str:
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size:.0f} {unit}"
    return f"{seconds:g} s"


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


def region_choices(pairs: Sequence[tuple[str, str]]) -> list[Choice]:
    return [Choice(label, code) for label, code in pairs]


def _surprise_fields(
    entries: Sequence[Judged], *, reasons: int, separator: str, bullet: str = ""
) -> tuple[Field, ...]:
    """One field per surprising entry: where it charts, its score, its first reasons."""
    return tuple(
        Field(
            f"{e.movement.title} — {list_name(e.key)} #{e.movement.rank} ({e.surprise.score}/100)",
            separator.join(f"{bullet}{reason_text(r)}" for r in e.surprise.reasons[:reasons]),
            inline=False,
        )
        for e in entries
    )


def _score_fields(scores: Scores) -> tuple[Field, ...]:
    return tuple(
        Field(
            _METRIC_NAMES[s.metric.value],
            s.raw + (f" ({s.votes:,} {_COUNT_WORDS.get(s.metric, 'votes')})" if s.votes else ""),
        )
        for s in scores.items
    )


def _scores_note(scores: Scores) -> str:
    if not scores.items:
        note = "no scores"
    else:
        newest = max(s.fetched for s in scores.items)
        providers = sorted({s.provider.split(":")[0] for s in scores.items})
        note = f"scores: {', '.join(providers)} (as of {newest:%b %Y})"
    if scores.unavailable:
        note += f" · {', '.join(scores.unavailable)} unavailable right now"
    return note


def _headline_score(scores: Scores) -> str:
    for metric in (Metric.IMDB, Metric.RT_CRITICS, Metric.TMDB):
        found = scores.get(metric)
        if found is not None:
            return score_text(found.value, metric.value)
    return ""


def _title_line(movement: Movement) -> str:
    if movement.season and movement.season != movement.title:
        return movement.season
    return movement.title


def _title_with_year(title: Title) -> str:
    kind = "film" if title.kind == "movie" else "series"
    return f"{title.name} ({title.year or 'year unknown'}, {kind})"


def _category_name(category: Category) -> str:
    return "Films" if category == "films" else "TV"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# ---- /about, privacy and /config forget ---------------------------------------------------------

NOT_NETFLIX = "trendbot is an independent project, not affiliated with or endorsed by Netflix."
# TMDB's terms require exactly this notice wherever its data is shown
TMDB_NOTICE = "This product uses the TMDB API but is not endorsed or certified by TMDB."
# the licence of IMDb's non-commercial datasets requires this line
IMDB_NOTICE = "Information courtesy of IMDb (https://www.imdb.com). Used with permission."


def about_command(platform: str = "") -> str:
    """Slack has no command namespaces, so its /about is /trendbot-about."""
    return "/trendbot-about" if platform == "slack" else "/about"


def about_card(
    deployment: Deployment,
    settings: ServerSettings | None,
    platform: str = "",
    *,
    is_admin: bool = False,
    invite_url: str | None = None,
) -> Card:
    """Version, where the code is, whose data this is, what is kept, and this server's setup."""
    here = (
        Field("Servers", "Each Discord server and Slack workspace sets up its own alerts.", False)
        if platform == "cli"
        else Field("This server", settings_summary(settings, platform), False)
    )
    fields = [
        Field("Version", f"trendbot {deployment.version} (MIT licence)"),
        here,
        Field("Data", "\n".join(f"• {line}" for line in credit_lines(deployment)), False),
        Field("Privacy", privacy_summary(deployment, platform), False),
    ]
    if is_admin and invite_url:
        fields.append(Field("Invite link (admins)", invite_url, False))
    return Card(
        title="About trendbot",
        text="Surprises in Netflix's weekly Top 10. " + NOT_NETFLIX,
        fields=tuple(fields),
        links=(Link("Source code", SOURCE_URL), Link("Privacy policy", PRIVACY_URL)),
        private=True,
    )


def credit_lines(deployment: Deployment) -> list[str]:
    """Whose data trendbot shows, with the notices their terms require."""
    lines = [
        "Charts: Netflix Top 10 (netflix.com/tudum/top10) and Netflix's “What We Watched” "
        "engagement reports (about.netflix.com).",
        "Titles and scores: the catalog bundled with trendbot — Kaggle's “Netflix TV Shows and "
        "Movies” (IMDb and TMDB ratings), Kaggle's “Rotten Tomatoes movies and critic reviews”, "
        "FiveThirtyEight's Fandango comparison (CC BY 4.0) and a 2016–17 ratings set. "
        "Every score shows its source and date.",
    ]
    if "omdb" in deployment.online_scores:
        lines.append("Fresh IMDb, Rotten Tomatoes and Metacritic scores: the OMDb API "
                     "(omdbapi.com, CC BY-NC 4.0).")  # fmt: skip
    if "tmdb" in deployment.online_scores:
        lines.append("TMDB user scores and release dates: the TMDB API (themoviedb.org).")
    lines.append(TMDB_NOTICE)
    if deployment.imdb_datasets:
        lines.append(IMDB_NOTICE)
    return lines


def privacy_summary(deployment: Deployment, platform: str = "") -> str:
    days = deployment.outbox_retention_days
    return (
        "trendbot keeps this server's id, its alert channel and settings, the channel where "
        f"admins last used {config_command(platform)}, and the alerts it sent (for {days} days). "
        "It keeps no messages and no user ids other than the installer's on Slack. "
        f"Admins erase it all with `{config_command(platform)} forget`; removing the bot does too."
    )


def settings_summary(settings: ServerSettings | None, platform: str = "") -> str:
    """One paragraph: where alerts go and what they follow, or how to start."""
    config = config_command(platform)
    if settings is None or not (settings.channel_id or settings.regions):
        return f"Not set up yet: an admin starts with `{config} channel #alerts`."
    channel = f"<#{settings.channel_id}>" if settings.channel_id else "no channel yet"
    regions = ", ".join(region_name(r) for r in settings.regions) or "no regions yet"
    categories = ", ".join(_category_name(c) for c in settings.categories)
    text = (
        f"Alerts in {channel} for {regions} · {categories} · threshold "
        f"{settings.threshold}/100 · weekly digest {'on' if settings.digest else 'off'}"
    )
    if settings.disabled_reason:
        text += f" · ⚠ paused: {settings.disabled_reason}"
    return text


def forget_preview_card(platform: str = "") -> Card:
    """What `config forget` would erase, and how to go ahead."""
    confirm = (
        "/config forget confirm: True"
        if platform == "discord"
        else f"{config_command(platform)} forget confirm"
    )
    kept = (
        " The app's Slack token stays until you uninstall the app, which erases it too."
        if platform == "slack"
        else ""
    )
    return Card(
        title="Erase this server's trendbot data?",
        text=(
            "This erases the alert channel, regions, threshold, categories and digest setting, "
            "the channel where admins last used the settings, and every queued or sent alert. "
            "Alerts stop at once. Netflix's charts and review scores are public data and stay."
            f"{kept} To go ahead: `{confirm}`."
        ),
        tone=Tone.WARNING,
        private=True,
    )


def forgotten_card(platform: str = "") -> Card:
    return Card(
        title="This server's trendbot data is erased",
        text=(
            "Settings, regions and alerts are gone, and alerts have stopped. "
            f"To start again: `{config_command(platform)} channel #alerts`."
        ),
        tone=Tone.GOOD,
        private=True,
    )
