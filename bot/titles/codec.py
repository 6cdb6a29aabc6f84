"""Merged titles as JSON (the store caches each name's merged titles in one row)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.titles.facts import Fact, SeasonFacts, TitleFacts

_FACTS = (
    "year", "netflix_release", "licensed", "runtime_minutes", "imdb_score", "imdb_votes",
    "tmdb_score", "tmdb_votes", "popularity", "views", "era",
)  # fmt: skip
_DATES = {"netflix_release"}


def dump(titles: Sequence[TitleFacts]) -> str:
    return json.dumps([_title(t) for t in titles], ensure_ascii=False, separators=(",", ":"))


def load(text: str) -> tuple[TitleFacts, ...]:
    return tuple(_from(item) for item in json.loads(text))


def _title(t: TitleFacts) -> dict[str, Any]:
    out: dict[str, Any] = {"id": t.id, "name": t.name, "key": t.key, "kind": t.kind}
    for name in _FACTS:
        fact = getattr(t, name)
        if fact is not None:
            out[name] = _fact(fact)
    if t.seasons:
        out["seasons"] = [
            {"n": s.number, **{k: _fact(v) for k, v in (("release", s.netflix_release),
                                                       ("licensed", s.licensed),
                                                       ("runtime", s.runtime_minutes)) if v}}
            for s in t.seasons
        ]  # fmt: skip
    for name in ("imdb_id", "language", "original_name"):
        if getattr(t, name):
            out[name] = getattr(t, name)
    if t.genres:
        out["genres"] = list(t.genres)
    if t.countries:
        out["countries"] = list(t.countries)
    out["listed"] = [[source, as_of.isoformat()] for source, as_of in t.listed]
    return out


def _fact(fact: Fact[Any]) -> list[Any]:
    value = fact.value.isoformat() if isinstance(fact.value, date) else fact.value
    return [value, fact.source, fact.as_of.isoformat()]


def _from(item: dict[str, Any]) -> TitleFacts:
    facts = {
        name: _unfact(item[name], name in _DATES) for name in _FACTS if name in item
    }  # fmt: skip
    seasons = tuple(
        SeasonFacts(
            s["n"],
            _unfact(s["release"], True) if "release" in s else None,
            _unfact(s["licensed"], False) if "licensed" in s else None,
            _unfact(s["runtime"], False) if "runtime" in s else None,
        )
        for s in item.get("seasons", ())
    )
    return TitleFacts(
        id=item["id"],
        name=item["name"],
        key=item["key"],
        kind=item["kind"],
        seasons=seasons,
        imdb_id=item.get("imdb_id"),
        language=item.get("language"),
        original_name=item.get("original_name"),
        genres=tuple(item.get("genres", ())),
        countries=tuple(item.get("countries", ())),
        listed=tuple((source, date.fromisoformat(day)) for source, day in item["listed"]),
        **facts,
    )


def _unfact(raw: list[Any], is_date: bool) -> Fact[Any]:
    value, source, as_of = raw
    return Fact(date.fromisoformat(value) if is_date else value, source, date.fromisoformat(as_of))
