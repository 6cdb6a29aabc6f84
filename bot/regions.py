"""Regions: the countries Netflix publishes a Top 10 for, plus GLOBAL; resolving what users type.

Pure: no I/O. Accepts ISO codes (alpha-2 and alpha-3), English names and aliases via pycountry,
and the names in every language trendbot speaks. Names are shown in the language in force:
Netflix's own in English, pycountry's translations in the others (CLDR's, through Babel, where
pycountry has only the formal ISO name, such as "Federación Rusa" for Russia).
"""

from __future__ import annotations

import gettext
import unicodedata
from functools import cache

import pycountry
from babel import Locale
from rapidfuzz import fuzz, process

from bot.errors import UserError
from bot.models import GLOBAL
from bot.words.i18n import LOCALES, SOURCE, _, current

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

_GLOBAL_WORDS = {"global", "world", "worldwide", "all", "everywhere", "mundo", "mundial",
                 "monde", "mondial", "welt", "weltweit"}  # fmt: skip
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
    """Human name for a region code in the language in force ("BR" → "Brazil", "Brasil")."""
    if code == GLOBAL:
        return _("Global")
    return _names(current()).get(code) or _country_name(code, current()) or code


def region_label(code: str) -> str:
    """Name with flag where there is one: "🇺🇸 United States"."""
    if code == GLOBAL:
        return f"🌍 {region_name(GLOBAL)}"
    country = pycountry.countries.get(alpha_2=code)
    flag = getattr(country, "flag", "") if country else ""
    return f"{flag} {region_name(code)}".strip()


def resolve_region(text: str) -> str:
    """Turn what a user typed into a region code, or raise UserError with close matches."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise UserError(_("Please name a region, e.g. US, United Kingdom or GLOBAL."))
    if len(cleaned) > MAX_REGION_INPUT:
        raise UserError(_("That region name is too long; try an ISO code such as US or GB."))
    folded = cleaned.casefold().strip(".")
    if folded in _GLOBAL_WORDS:
        return GLOBAL
    if cleaned.upper() in NETFLIX_COUNTRIES:
        return cleaned.upper()
    if folded in _ALIASES:
        return _ALIASES[folded]
    if folded in _every_name():
        return _every_name()[folded]
    try:
        country = pycountry.countries.lookup(cleaned)
    except LookupError:
        country = None
    if country is not None:
        if country.alpha_2 in NETFLIX_COUNTRIES:
            return str(country.alpha_2)
        suggestions = suggest_regions(cleaned)
        raise UserError(
            _("Netflix publishes no Top 10 for {country}.").format(
                country=region_name(str(country.alpha_2))
            )
            + _did_you_mean(suggestions),
            suggestions=suggestions,
        )
    suggestions = suggest_regions(cleaned)
    raise UserError(
        _("Unknown region “{region}”.").format(region=_shorten(cleaned))
        + _did_you_mean(suggestions),
        suggestions=suggestions,
    )


def _did_you_mean(suggestions: tuple[str, ...]) -> str:
    # the message names the suggestions itself: they are listed once, wherever it is shown
    if not suggestions:
        return ""
    return " " + _("Did you mean {regions}?").format(regions=", ".join(suggestions))


def suggest_regions(text: str, limit: int = 5) -> tuple[str, ...]:
    """Close matches for a region as "Name (CODE)" strings, best first (names as typed in any
    language trendbot speaks match; they are shown in the language in force)."""
    found = process.extract(
        text.casefold(), _searchable(), scorer=fuzz.WRatio, limit=limit * 3, score_cutoff=60
    )
    codes = list(dict.fromkeys(code for _name, _score, (code, _n) in found))[:limit]
    return tuple(f"{region_name(code)} ({code})" for code in codes)


def complete_regions(prefix: str, limit: int = 25) -> list[tuple[str, str]]:
    """(label, code) pairs for autocomplete, names in the language in force: prefix matches
    first (of the shown name, or any language's), then fuzzy ones."""
    folded = prefix.casefold().strip()
    names = _names(current())
    everything = [(region_name(GLOBAL), GLOBAL)] + sorted(
        ((name, code) for code, name in names.items()), key=lambda pair: _sort_key(pair[0])
    )
    if not folded:
        return [(f"{name} ({code})", code) for name, code in everything[:limit]]
    known = _names_by_code()
    starts = [
        (name, code)
        for name, code in everything
        if name.casefold().startswith(folded)
        or code.casefold() == folded
        or any(n.startswith(folded) for n in known.get(code, ()))
    ]
    seen = {code for _n, code in starts}
    fuzzy = [
        (names[code], code)
        for code in dict.fromkeys(
            code
            for _n, _s, (code, _x) in process.extract(
                folded, _searchable(), scorer=fuzz.WRatio, limit=limit * 3, score_cutoff=70
            )
        )
        if code not in seen
    ]
    return [(f"{name} ({code})", code) for name, code in (starts + fuzzy)[:limit]]


@cache
def _names(locale: str) -> dict[str, str]:
    """Every Netflix country's name in a locale: Netflix's own in English, else pycountry's
    translation of its name, or CLDR's where pycountry's is the formal ISO one."""
    if locale == SOURCE:
        return dict(NETFLIX_COUNTRIES)
    iso = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale])
    cldr = Locale.parse(locale).territories
    names = {}
    for code, netflix_name in NETFLIX_COUNTRIES.items():
        source = _pycountry_name(code) or netflix_name
        name = iso.gettext(source)
        if source != netflix_name or "," in name:  # "Russian Federation", "Réunion, Île de la"
            name = cldr.get(code, name)
        names[code] = name
    return names


@cache
def _every_name() -> dict[str, str]:
    """Folded name in any shipped language → code (for what users type)."""
    found: dict[str, str] = {}
    for locale in LOCALES:
        for code, name in _names(locale).items():
            found.setdefault(name.casefold(), code)
            found.setdefault(_sort_key(name), code)  # "mexico" finds México
    return found


@cache
def _names_by_code() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for name, code in _every_name().items():
        found.setdefault(code, set()).add(name)
    return found


@cache
def _searchable() -> dict[tuple[str, str], str]:
    """(code, name) → folded name, for fuzzy matching across languages."""
    return {(code, name): name for name, code in _every_name().items()}


def _sort_key(name: str) -> str:
    """Accents aside ("Österreich" beside "Oman"), case aside."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _country_name(code: str, locale: str) -> str | None:
    """A country Netflix has no list for, named in a locale by pycountry."""
    name = _pycountry_name(code)
    if name is None or locale == SOURCE:
        return name
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale]).gettext(name)


def _pycountry_name(code: str) -> str | None:
    country = pycountry.countries.get(alpha_2=code)
    return str(getattr(country, "common_name", None) or country.name) if country else None


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
