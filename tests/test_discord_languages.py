"""Discord in the languages trendbot speaks: replies follow the user's client (interaction
locale), alerts the guild's preferred locale, and an admin-pinned language overrides both; the
command schema carries each language's descriptions. The real discord.py client against
tests/fake_discord.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest

from adapters.discord_adapter import DiscordAdapter
from bot.core import Core
from bot.notify import Notifier
from tests.fake_discord import FakeDiscord
from tests.fakes import FakeClock
from tests.test_discord_adapter import ADMIN, Bot, config_for, embed_of, eventually, text_of

WEEK = date(2022, 6, 26)


@pytest.fixture
async def bot(core: Core, clock: FakeClock) -> AsyncIterator[Bot]:
    async with FakeDiscord() as fake:
        guild = fake.create_guild("Servidor", preferred_locale="de")
        adapter = DiscordAdapter(core, config_for(fake), guild_ready_timeout=0.05)
        await adapter.start()
        yield Bot(adapter, fake, guild, core, clock)
        await adapter.close()


async def _alert_text(bot: Bot) -> str:
    """Subscribe the guild's #alerts to US (from before June), queue the week, deliver it."""
    alerts = bot.channel("alerts")
    for path, options in (("config channel", {"channel": str(alerts)}),
                          ("config regions add", {"regions": "US"})):  # fmt: skip
        handle = await bot.fake.command(path, options, guild=bot.guild, permissions=ADMIN)
        await handle.answers()
    await bot.core.store._db.run(
        "UPDATE server_regions SET baseline_week = '2022-05-29' WHERE server_id = :server",
        {"server": str(bot.guild_id)},
    )
    notifier = Notifier(bot.core.store, {"discord": bot.adapter}, bot.clock)
    queued = await notifier.queue_week(await bot.core.analyst.week(WEEK))
    assert queued >= 1 and (await notifier.drain()).sent == queued
    texts = [text_of(e) for posted in bot.fake.sent_to(alerts) for e in posted.json["embeds"]]
    [backtrace] = [t for t in texts if "Backtrace" in t.splitlines()[0]]
    return backtrace


async def _trending_title(bot: Bot, locale: str) -> str:
    options = {"region": "US", "category": "films", "week": "2022-06-26"}
    handle = await bot.fake.command("trending", options, guild=bot.guild, locale=locale)
    [followup] = await handle.answers()
    return str(embed_of(followup)["title"])


async def test_a_reply_speaks_the_users_language_and_an_alert_the_guilds(bot: Bot) -> None:
    assert await _trending_title(bot, "pt-BR") == "Top 10 · Estados Unidos · Filmes"
    assert await _trending_title(bot, "es-419") == "Top 10 · Estados Unidos · Películas"
    assert await _trending_title(bot, "ja") == "Top 10 · Vereinigte Staaten · Filme"  # guild's
    assert await _trending_title(bot, "en-US") == "Top 10 · United States · Films"
    # the guild prefers German: the alert (for everyone in the channel) is in German
    text = await _alert_text(bot)
    assert text.startswith("⚡ Überraschung in Vereinigte Staaten · Filme: Backtrace"), text
    assert "Warum es überrascht" in text


async def test_a_guilds_new_language_moves_its_alerts(bot: Bot) -> None:
    await bot.fake.update_guild(bot.guild_id, preferred_locale="fr")

    async def recorded() -> bool:
        known = await bot.core.store.server_languages("discord", str(bot.guild_id))
        return known is not None and known[1] == "fr"

    await bot.core.admin.ensure("discord", str(bot.guild_id))
    await bot.fake.update_guild(bot.guild_id, preferred_locale="fr-FR")  # a change the bot sees
    await bot.fake.update_guild(bot.guild_id, preferred_locale="fr")
    await eventually(recorded)
    assert "Pourquoi c'est une surprise" in await _alert_text(bot)


async def test_config_language_pins_the_server_and_auto_unpins(bot: Bot) -> None:
    handle = await bot.fake.command(
        "config language", {"language": "es"}, guild=bot.guild, permissions=ADMIN, locale="fr"
    )
    [answer] = await handle.answers()
    assert "trendbot ahora habla Español aquí" in text_of(embed_of(answer))
    # pinned: every member reads Spanish, whatever their client says
    assert await _trending_title(bot, "pt-BR") == "Top 10 · Estados Unidos · Películas"
    handle = await bot.fake.command(
        "config language", {"language": "auto"}, guild=bot.guild, permissions=ADMIN, locale="fr"
    )
    [answer] = await handle.answers()
    assert "trendbot parle désormais ici la langue de chaque membre" in text_of(embed_of(answer))
    assert await _trending_title(bot, "pt-BR") == "Top 10 · Estados Unidos · Filmes"


async def test_an_unknown_language_lists_the_shipped_ones(bot: Bot) -> None:
    handle = await bot.fake.command(
        "config language", {"language": "klingon"}, guild=bot.guild, permissions=ADMIN
    )
    [answer] = await handle.answers()
    text = text_of(embed_of(answer))
    assert "“klingon” is not one of them" in text
    for name in ("English", "Español", "Português (Brasil)", "Français", "Deutsch"):
        assert name in text


async def test_the_schema_carries_each_languages_descriptions(bot: Bot) -> None:
    commands = {c["name"]: c for c in bot.fake.commands[None]}
    trending = commands["trending"]
    localized = trending["description_localizations"]
    assert set(localized) == {"es-ES", "es-419", "pt-BR", "fr", "de"}
    assert localized["pt-BR"] == "O Top 10 da Netflix desta semana, com movimentos e surpresas"
    assert localized["es-419"] == localized["es-ES"]
    # names stay English everywhere: help texts, Slack and people say "/trending"
    assert not any(c.get("name_localizations") for c in commands.values())
    region = next(o for o in trending["options"] if o["name"] == "region")
    assert region["description_localizations"]["de"] == "Land oder GLOBAL (Name oder ISO-Code)"
    # (the fake checked every localization against Discord's rules when the schema was synced)
    assert not bot.fake.violations
