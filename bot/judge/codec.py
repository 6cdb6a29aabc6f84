"""Judged entries as JSON: what the store keeps of each week's analysis (`analyses` table).

A week is judged once, when it is stored; commands, alerts and digests read it back from here.
JUDGE_VERSION names the model; `trendbot reanalyse` judges stored weeks again when it changes.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.judge.expectation import Expected, Explanation
from bot.judge.identity import Evidence, Identity, Status
from bot.judge.week import Judged
from bot.models import ChartKey, Metric, Move, Movement, Reason, ReasonCode, Score, Scores, Surprise
from bot.titles import codec as titles_codec
from bot.titles.facts import SeasonFacts

JUDGE_VERSION = "2026-12.1"  # bump when identity, expectation or surprise change


def dump(entry: Judged) -> str:
    m = entry.movement
    i = entry.identity
    return json.dumps(
        {
            "movement": [m.rank, m.title, m.season, m.move.value, m.previous_rank,
                         m.weeks_in_top10, m.weeks_absent, list(m.regions),
                         _day(m.first_seen_anywhere)],
            "identity": {
                "status": i.status.value,
                "titles": json.loads(titles_codec.dump(
                    ([i.title] if i.title else []) + list(i.alternatives))),
                "has_title": i.title is not None,
                "evidence": [e.value for e in i.evidence],
                "season": i.season_number,
                "first_week": _day(i.first_week),
            },
            "scores": [[s.metric.value, s.value, s.raw, s.provider, s.fetched.isoformat(),
                        s.votes] for s in entry.scores.items],
            "unavailable": list(entry.scores.unavailable),
            "expected": [entry.expected.code.value, entry.expected.detail]
            if entry.expected else None,
            "surprise": [entry.surprise.score, entry.surprise.alertable,
                         [_reason(r) for r in entry.surprise.reasons]],
            "group": entry.group,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )  # fmt: skip


def load(text: str, key: ChartKey, week: date) -> Judged:
    data = json.loads(text)
    rank, title, season, move, previous, weeks, absent, regions, first = data["movement"]
    movement = Movement(rank, title, season, Move(move), previous, weeks, absent,
                        tuple(regions), _undate(first))  # fmt: skip
    i = data["identity"]
    titles = titles_codec.load(json.dumps(i["titles"]))
    main = titles[0] if i["has_title"] else None
    others = titles[1:] if i["has_title"] else titles
    number = i["season"]
    identity = Identity(
        Status(i["status"]), main, tuple(Evidence(e) for e in i["evidence"]), tuple(others),
        _season(main, number), number, _undate(i["first_week"]),
    )  # fmt: skip
    scores = Scores(
        tuple(Score(Metric(m), v, raw, p, date.fromisoformat(f), votes)
              for m, v, raw, p, f, votes in data["scores"]),
        tuple(data["unavailable"]),
    )  # fmt: skip
    expected = Expected(Explanation(data["expected"][0]), data["expected"][1]) if data[
        "expected"] else None  # fmt: skip
    score, alertable, reasons = data["surprise"]
    surprise = Surprise(score, tuple(_unreason(r) for r in reasons), alertable)
    return Judged(key, week, movement, identity, scores, expected, surprise, data["group"])


def _season(title: Any, number: int | None) -> SeasonFacts | None:
    return title.season(number) if title is not None and number is not None else None


def _reason(r: Reason) -> list[Any]:
    return [r.code.value, r.points, r.value, r.detail, _day(r.as_of), r.votes]


def _unreason(raw: list[Any]) -> Reason:
    code, points, value, detail, as_of, votes = raw
    return Reason(ReasonCode(code), points, value, detail, _undate(as_of), votes)


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _undate(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
