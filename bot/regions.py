"""Regions: the countries Netflix publishes a Top 10 for, plus GLOBAL; resolving what users type.

Pure: no I/O. Accepts ISO codes (alpha-2 and alpha-3), English names and aliases via pycountry.
"""

from __future__ import annotations

import pycountry
from rapidfuzz import fuzz, process

from bot.errors import UserError
from bot.models import GLOBAL

# The 94 countries in Netflix's all-weeks-countries file, with the names Netflix uses.
NETFLIX_COUNTRIES: dict[str, str] = {
    "AE": "United Arab Emirates", "AR": "Argentina", "AT": "Austria", "AU": "Australia",
    "BD": "Bangladesh", "BE": "Belgium", "BG": "Bulgaria", "BH": "Bahrain", "BO": "Bolivia",
    "BR": "Brazil", "BS": "Bahamas", "CA": "Canada", "CH": "Switzerland", "CL": "Chile",
    "CO": "Colombia", "CR": "Costa Rica", "CY": "Cyprus", "CZ": "Czech Republic", "DE": "Germany",
    "DK": "Denmark", "DO": "Dominican Republic", "EC": "Ecuador", "EE": "Estonia", "EG": "Egypt",
    "ES": "Spain", "FI": "Finland", "FR": "France", "GB": "United Kingdom", "GP": "Guadeloupe",
    "GR": "Greece", "GT": "Guatemala", "HK": "Hong Kong", "HN": "Honduras", "HR": "Croatia",
    "HU": "Hungary", "ID": "Indonesia", "IE": "Ireland", "IL": "Israel", "IN": "India",
    "IS": "Iceland", "IT": "Italy", "JM": "Jamaica", "JO": "Jordan", "JP": "Japan", "KE": "Kenya",
    "KR": "South Korea", "KW": "Kuwait", "LB": "Lebanon", "LK": "Sri Lanka", "LT": "Lithuania",
    "LU": "Luxembourg", "LV": "Latvia", "MA": "Morocco", "MQ": "Martinique", "MT": "Malta",
    "MU": "Mauritius", "MV": "Maldives", "MX": "Mexico", "MY": "Malaysia", "NC": "New Caledonia",
    "NG": "Nigeria", "NI": "Nicaragua", "NL": "Netherlands", "NO": "Norway", "NZ": "New Zealand",
    "OM": "Oman", "PA": "Panama", "PE": "Peru", "PH": "Philippines", "PK": "Pakistan",
    "PL": "Poland", "PT": "Portugal", "PY": "Paraguay", "QA": "Qatar", "RE": "Réunion",
    "RO": "Romania", "RS": "Serbia", "RU": "Russia", "SA": "Saudi Arabia", "SE": "Sweden",
    "SG": "Singapore", "SI": "Slovenia", "SK": "Slovakia", "SV": "El Salvador", "TH": "Thailand",
    "TR": "Turkey", "TT": "Trinidad and Tobago", "TW": "Taiwan", "UA": "Ukraine",
    "US": "United States", "UY": "Uruguay", "VE": "Venezuela", "VN": "Vietnam",
    "ZA": "South Africa",
}  # fmt: skip

_GLOBAL_WORDS = {"global", "world", "worldwide", "all", "everywhere"}
_ALIASES = {
    "uk": "GB", "britain": "GB", "great britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "usa": "US", "america": "US", "united states of america": "US", "us of a": "US",
    "korea": "KR", "holland": "NL", "uae": "AE", "czechia": "CZ", "turkiye": "TR", "türkiye": "TR",
}  # fmt: skip
MAX_REGION_INPUT = 80


def is_country(code: str) -> bool:
    """Whether `code` is an assigned ISO 3166-1 alpha-2 country code (Netflix may add countries)."""
    return code in NETFLIX_COUNTRIES or pycountry.countries.get(alpha_2=code) is not None


def region_name(code: str) -> str:
    """Human name for a region code ("US" → "United States", GLOBAL → "Global")."""
    if code == GLOBAL:
        return "Global"
    return NETFLIX_COUNTRIES.get(code) or _pycountry_name(code) or code


def region_label(code: str) -> str:
    """Name with flag where there is one: "🇺🇸 United States"."""
    if code == GLOBAL:
        return "🌍 Global"
    country = pycountry.countries.get(alpha_2=code)
    flag = getattr(country, "flag", "") if country else ""
    return f"{flag} {region_name(code)}".strip()


def resolve_region(text: str) -> str:
    """Turn what a user typed into a region code, or raise UserError with close matches."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise UserError("Please name a region, e.g. US, United Kingdom or GLOBAL.")
    if len(cleaned) > MAX_REGION_INPUT:
        raise UserError("That region name is too long; try an ISO code such as US or GB.")
    folded = cleaned.casefold().strip(".")
    if folded in _GLOBAL_WORDS:
        return GLOBAL
    if cleaned.upper() in NETFLIX_COUNTRIES:
        return cleaned.upper()
    if folded in _ALIASES:
        return _ALIASES[folded]
    for code, name in NETFLIX_COUNTRIES.items():
        if name.casefold() == folded:
            return code
    try:
        country = pycountry.countries.lookup(cleaned)
    except LookupError:
        country = None
    if country is not None:
        if country.alpha_2 in NETFLIX_COUNTRIES:
            return str(country.alpha_2)
        suggestions = suggest_regions(cleaned)
        raise UserError(
            f"Netflix publishes no Top 10 for {country.name}.{_did_you_mean(suggestions)}",
            suggestions=suggestions,
        )
    suggestions = suggest_regions(cleaned)
    raise UserError(
        f"Unknown region “{_shorten(cleaned)}”.{_did_you_mean(suggestions)}",
        suggestions=suggestions,
    )


def _did_you_mean(suggestions: tuple[str, ...]) -> str:
    # the message names the suggestions itself: they are listed once, wherever it is shown
    return f" Did you mean {', '.join(suggestions)}?" if suggestions else ""


def suggest_regions(text: str, limit: int = 5) -> tuple[str, ...]:
    """Close matches for a region as "Name (CODE)" strings, best first."""
    choices = {code: name for code, name in NETFLIX_COUNTRIES.items()}
    found = process.extract(
        text.casefold(),
        {code: name.casefold() for code, name in choices.items()},
        scorer=fuzz.WRatio,
        limit=limit,
        score_cutoff=60,
    )
    return tuple(f"{choices[code]} ({code})" for _name, _score, code in found)


def complete_regions(prefix: str, limit: int = 25) -> list[tuple[str, str]]:
    """(label, code) pairs for autocomplete: prefix matches first, then fuzzy ones."""
    folded = prefix.casefold().strip()
    everything = [(region_name(GLOBAL), GLOBAL)] + sorted(
        ((name, code) for code, name in NETFLIX_COUNTRIES.items()),
        key=lambda pair: pair[0],
    )
    if not folded:
        return [(f"{name} ({code})", code) for name, code in everything[:limit]]
    starts = [
        (name, code)
        for name, code in everything
        if name.casefold().startswith(folded) or code.casefold() == folded
    ]
    seen = {code for _n, code in starts}
    fuzzy = [
        (name, code)
        for name, code in (
            (NETFLIX_COUNTRIES[c], c)
            for _n, _s, c in process.extract(
                folded,
                {code: name.casefold() for code, name in NETFLIX_COUNTRIES.items()},
                scorer=fuzz.WRatio,
                limit=limit,
                score_cutoff=70,
            )
        )
        if code not in seen
    ]
    return [(f"{name} ({code})", code) for name, code in (starts + fuzzy)[:limit]]


def _pycountry_name(code: str) -> str | None:
    country = pycountry.countries.get(alpha_2=code)
    return str(getattr(country, "common_name", None) or country.name) if country else None


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
