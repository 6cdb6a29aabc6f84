"""Title text, pure: split what Netflix and the catalogs print into name, year, season and original.

Netflix's files print "Anaconda (1997)" when two titles share a name, "Suits (2011): Season 1"
for a season, and "Squid Game: Season 2 // 오징어 게임: 시즌 2" with the original after ` // `.
Charts print the show in one column and the season in another. Text in, values out.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Kind = Literal["movie", "show"]

_ORIGINAL = " // "
_YEAR = re.compile(r"\s*\((1[89]\d\d|20\d\d)\)(?=\s*(?::|$))")
_ORDINALS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6,
}  # fmt: skip
# what follows the last ": " of a season's title; the number, when there is one, is group "n"
_SEASON = re.compile(
    r"""^(?:
        (?:season|series|temporada|staffel|saison|stagione|temporada|sezon|seizoen)\s*(?P<n>\d+)
          (?:\s*[-(]?\s*(?:part|volume|vol\.?)\s*\d+\)?)?
      | (?P<n2>\d+)(?:st|nd|rd|th|ª)\s+(?:season|temporada)
      | (?:the\s+final\s+season|final\s+season)(?:\s+part\s+\d+)?
      | limited\s+series | miniseries | mini-series | the\s+series
      | (?:part|volume|vol\.|book|chapter|collection)\s*(?P<n3>\d+|[ivx]+|one|two|three|four|five)
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
# "Part 2" ends film titles too (Harry Potter … : Part 2); only these words always mean a season
_SURELY_SEASON = re.compile(r"season|series|temporada|staffel|saison|stagione", re.IGNORECASE)
_APOSTROPHES = re.compile(r"['’‘`´]")
_LANGUAGE_TAG = re.compile(
    r"\s*\((?:hindi|tamil|telugu|malayalam|kannada|english|dubbed|subtitled|original)\)\s*$",
    re.IGNORECASE,
)
_NON_WORD = re.compile(r"[^\w]+")


@dataclass(frozen=True, slots=True)
class TitleText:
    """A printed title taken apart: `name` is what to look a title up by."""

    name: str
    year: int | None = None  # from a "(1997)" suffix: Netflix's way to tell same-name titles apart
    season: str | None = None  # "Season 2", "Limited Series"
    season_number: int | None = None
    original: str | None = None  # the original-language title after " // "

    @property
    def key(self) -> str:
        return name_key(self.name)


def name_key(name: str) -> str:
    """Fold a name for lookups: case, accents, apostrophes, punctuation, "&", a language tag.

    Unlike bot.matching.normalize it keeps "Part 2" and "Season 4": callers split those off
    first, where they mean a season, so two films in a series keep two keys.
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("&", " and ")
    text = _APOSTROPHES.sub("", _LANGUAGE_TAG.sub("", text))
    return " ".join(_NON_WORD.sub(" ", text).replace("_", " ").split())


def split_title(text: str, kind: Kind | None = None) -> TitleText:
    """'Suits (2011): Season 1' → name 'Suits', year 2011, season 'Season 1', number 1.

    Films keep a trailing "Part 2"; when the kind is unknown only season words split.
    """
    text = " ".join(text.split())
    original = None
    if _ORIGINAL in text:
        text, original = (part.strip() for part in text.split(_ORIGINAL, 1))
    season = None
    number = None
    head, sep, tail = text.rpartition(": ")
    found = _SEASON.match(tail.strip()) if sep and head and kind != "movie" else None
    if found and (kind == "show" or _SURELY_SEASON.search(tail)):
        season = tail.strip()
        number = _season_number(found)
        text = head
    year = None
    if found_year := _YEAR.search(text):
        year = int(found_year.group(1))
        text = (text[: found_year.start()] + text[found_year.end() :]).strip()
    return TitleText(text.strip() or original or "", year, season, number, original)


def season_of(season_title: str | None, show: str) -> tuple[str | None, int | None]:
    """The season part of a chart's season_title: ('Ozark: Season 4', 'Ozark') → ('Season 4', 4)."""
    if not season_title:
        return None, None
    parsed = split_title(season_title, "show")
    if parsed.season is not None:
        return parsed.season, parsed.season_number
    if season_title.strip().casefold() == show.strip().casefold():
        return None, None
    return season_title.strip(), None


def _season_number(found: re.Match[str]) -> int | None:
    for group in ("n", "n2", "n3"):
        value = found.group(group)
        if value:
            return int(value) if value.isdigit() else _ORDINALS.get(value.casefold())
    if "limited" in found.group(0).casefold() or "mini" in found.group(0).casefold():
        return 1
    return None
