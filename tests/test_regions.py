"""Regions as users type them: codes, names, aliases, GLOBAL; unknown input → close matches."""

from __future__ import annotations

import pytest

from bot.errors import UserError
from bot.regions import NETFLIX_COUNTRIES, complete_regions, region_label, resolve_region


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("US", "US"),
        ("us", "US"),
        ("USA", "US"),
        ("United States", "US"),
        ("uk", "GB"),
        ("United Kingdom", "GB"),
        ("Brazil", "BR"),
        ("DEU", "DE"),
        ("Türkiye", "TR"),
        ("south korea", "KR"),
        ("Global", "GLOBAL"),
        ("  worldwide ", "GLOBAL"),
        ("Réunion", "RE"),
    ],
)
def test_resolves_codes_names_and_aliases(typed: str, code: str) -> None:
    assert resolve_region(typed) == code


def test_unknown_region_suggests_close_matches() -> None:
    with pytest.raises(UserError, match="Unknown region") as caught:
        resolve_region("Brazik")
    assert "Brazil (BR)" in caught.value.suggestions


def test_names_in_every_shipped_language_resolve() -> None:
    for typed in ("Brasil", "Alemania", "Allemagne", "Deutschland", "Estados Unidos", "Espanha"):
        assert resolve_region(typed) in {"BR", "DE", "US", "ES"}
    assert resolve_region("Brasil") == "BR" and resolve_region("Deutschland") == "DE"


def test_a_country_without_a_netflix_top10_is_named() -> None:
    with pytest.raises(UserError, match="no Top 10 for China"):
        resolve_region("China")


@pytest.mark.parametrize("typed", ["", "   ", "x" * 500, "🇺🇸🇺🇸", "\u202e\u0000"])
def test_odd_input_is_a_user_error(typed: str) -> None:
    with pytest.raises(UserError):
        resolve_region(typed)


def test_94_countries_and_labels() -> None:
    assert len(NETFLIX_COUNTRIES) == 94
    assert region_label("US") == "🇺🇸 United States"
    assert region_label("GLOBAL") == "🌍 Global"


def test_autocomplete_gives_at_most_25_prefix_first() -> None:
    assert len(complete_regions("")) == 25
    assert complete_regions("uni")[0] == ("United Arab Emirates (AE)", "AE")
    assert ("United States (US)", "US") in complete_regions("uni")
    assert complete_regions("gb")[0][1] == "GB"
    assert len(complete_regions("z" * 300)) <= 25
