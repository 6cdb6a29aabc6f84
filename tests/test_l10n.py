"""The message catalogs: every message translated in every shipped language with its placeholders
intact, the compiled .mo files and the template in step with their sources, and the words that
come from CLDR (country names, numbers, dates) in each language."""

from __future__ import annotations

import gettext
import string
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.commands import parse_question
from bot.regions import region_name, resolve_region
from bot.words.i18n import (
    DOMAIN,
    LOCALE_DIR,
    LOCALES,
    SOURCE,
    choose,
    day,
    negotiate,
    number,
    speaking,
    translate,
)

ROOT = Path(__file__).resolve().parents[1]
TRANSLATED = [loc for loc in LOCALES if loc != SOURCE]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "count": (1, 2)}


def catalog(locale: str):  # noqa: ANN201 (babel's Catalog is untyped)
    with open(LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po", "rb") as f:
        return read_po(f, locale=locale)


def fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def template_ids() -> set[str | tuple[str, str]]:
    with open(LOCALE_DIR / f"{DOMAIN}.pot", "rb") as f:
        return {m.id if isinstance(m.id, str) else tuple(m.id) for m in read_po(f) if m.id}


def test_the_template_holds_exactly_the_messages_in_the_code() -> None:
    found = {
        (message if isinstance(message, str) else tuple(message))
        for _file, _line, message, *_rest in extract_from_dir(
            ROOT / "bot", method_map=[("**.py", "python")], keywords=KEYWORDS
        )
    }
    stale = template_ids() ^ found
    assert not stale, f"run pybabel extract (README, Languages); differs: {sorted(map(str, stale))}"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_is_translated_with_its_placeholders(locale: str) -> None:
    po = catalog(locale)
    assert {m.id if isinstance(m.id, str) else tuple(m.id) for m in po if m.id} == template_ids()
    for message in po:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        if isinstance(message.id, str):
            assert message.string, f"{locale}: {message.id!r} has no translation"
            assert fields(message.string) == fields(message.id), (locale, message.id)
            continue
        forms = list(message.string)
        assert len(forms) == po.num_plurals and all(forms), (locale, message.id)
        for form in forms:
            assert fields(form) == fields(message.id[1]), (locale, message.id, form)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_the_compiled_catalogs_match_their_sources(locale: str) -> None:
    with open(LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.mo", "rb") as f:
        compiled = gettext.GNUTranslations(f)
    for message in catalog(locale):
        if not message.id:
            continue
        if isinstance(message.id, str):
            assert compiled.gettext(message.id) == message.string, (
                f"{locale}: .mo is stale; run pybabel compile (README, Languages)"
            )
        else:
            for n, want in ((1, message.string[0]), (2, message.string[-1])):
                assert compiled.ngettext(*message.id, n) == want, (locale, message.id)


@pytest.mark.parametrize(
    ("locale", "brazil", "germany"),
    [("en", "Brazil", "Germany"), ("es", "Brasil", "Alemania"), ("pt_BR", "Brasil", "Alemanha"),
     ("fr", "Brésil", "Allemagne"), ("de", "Brasilien", "Deutschland")],
)  # fmt: skip
def test_country_names_speak_each_language(locale: str, brazil: str, germany: str) -> None:
    with speaking(locale):
        assert (region_name("BR"), region_name("DE")) == (brazil, germany)
        assert resolve_region(brazil) == "BR"  # and what people type in it resolves


def test_numbers_and_dates_follow_the_locale() -> None:
    expected = {"en": ("12,345", "26 Jun 2022"), "es": ("12.345", "26 jun 2022"),
                "pt_BR": ("12.345", "26 de jun. de 2022"), "fr": ("12\u202f345", "26 juin 2022"),
                "de": ("12.345", "26. Juni 2022")}  # fmt: skip
    for locale, want in expected.items():
        with speaking(locale):
            assert (number(12345), day(date(2022, 6, 26))) == want, locale


@pytest.mark.parametrize(
    ("tag", "locale"),
    [("pt-BR", "pt_BR"), ("pt-PT", "pt_BR"), ("es-419", "es"), ("es-ES", "es"), ("es-LA", "es"),
     ("fr-CA", "fr"), ("de", "de"), ("en-US", "en"), ("ja", None), ("", None), ("zz-top", None)],
)  # fmt: skip
def test_platform_language_tags_find_a_shipped_locale(tag: str, locale: str | None) -> None:
    assert negotiate(tag) == locale


def test_the_first_language_trendbot_speaks_wins() -> None:
    assert choose("", "ja", "fr-FR", "de") == "fr"
    assert choose(None, "ko") == "en"
    assert translate("Settings saved", "de") == "Einstellungen gespeichert"
    assert translate("Settings saved", "xx") == "Settings saved"


@pytest.mark.parametrize(
    "question",
    ["¿Debería ver Backtrace?", "devo assistir Backtrace?", "Dois-je regarder Backtrace ?",
     "Soll ich Backtrace schauen?", "should I watch Backtrace?"],
)  # fmt: skip
def test_the_example_question_of_each_language_is_understood(question: str) -> None:
    watch = parse_question(question)
    assert watch is not None and watch.query == "Backtrace"
