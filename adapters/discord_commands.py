"""The Discord slash-command schema: names, options, choices and permissions, each callback only
forwarding its options to the adapter (descriptions come from bot.words.about.COMMAND_TEXT), and
the translator that gives Discord those descriptions in each language trendbot speaks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.words.about import COMMAND_TEXT
from bot.words.i18n import SOURCE, negotiate, translate
from bot.words.settings import FORM, language_choices

if TYPE_CHECKING:
    from adapters.discord_adapter import DiscordAdapter


# Command and option names stay as they are in every language: help texts, the README, Slack and
# people telling each other "try /trending" use one set of names.
_NAMES = (
    app_commands.TranslationContextLocation.command_name,
    app_commands.TranslationContextLocation.group_name,
    app_commands.TranslationContextLocation.parameter_name,
)


class CatalogTranslator(app_commands.Translator):
    """Descriptions and choice names from trendbot's message catalogs, for each Discord locale
    trendbot speaks (es-ES and es-419 read Spanish, pt-BR Brazilian Portuguese …)."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if context.location in _NAMES:
            return None
        found = negotiate(locale.value)
        if found is None or found == SOURCE:
            return None
        text = translate(string.message, found)
        return text if text != string.message else None


class _ChannelId(app_commands.Transformer):
    """A channel option handed to the core as its id; Discord offers text and announcement ones."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> str:
        return str(getattr(value, "id", value))


def commands(
    adapter: DiscordAdapter,
) -> list[app_commands.Command[Any, ..., None] | app_commands.Group]:
    """The slash-command schema; each callback only forwards its options to the core."""
    text = COMMAND_TEXT
    run = adapter._answer_command
    category_choices = [
        app_commands.Choice(name=FORM.films, value="films"),
        app_commands.Choice(name=FORM.tv, value="tv"),
    ]
    both = FORM.films_and_tv

    async def region_options(
        i: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await adapter._complete(i, "region", current)

    async def title_options(i: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await adapter._complete(i, "title", current)

    async def region_list(i: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await adapter._complete_list(i, current)

    @app_commands.command(name="trending", description=text["trending"])
    @app_commands.describe(region=text["region"], category=text["category"], week=text["week"])
    @app_commands.choices(category=category_choices)
    @app_commands.autocomplete(region=region_options)
    async def trending(
        i: discord.Interaction, region: str | None = None, category: str | None = None,
        week: str | None = None,
    ) -> None:  # fmt: skip
        await run(i, "trending", {"region": region, "category": category, "week": week})

    @app_commands.command(name="surprises", description=text["surprises"])
    @app_commands.describe(region=text["region"])
    @app_commands.autocomplete(region=region_options)
    async def surprises(i: discord.Interaction, region: str | None = None) -> None:
        await run(i, "surprises", {"region": region})

    @app_commands.command(name="watch", description=text["watch"])
    @app_commands.describe(title=text["title"], region=text["region"])
    @app_commands.autocomplete(title=title_options, region=region_options)
    async def watch(i: discord.Interaction, title: str, region: str | None = None) -> None:
        await run(i, "watch", {"title": title, "region": region})

    @app_commands.command(name="help", description=text["help"])
    async def help_(i: discord.Interaction) -> None:
        await run(i, "help", {}, defer=False)

    @app_commands.command(name="about", description=text["about"])
    async def about(i: discord.Interaction) -> None:
        await run(i, "about", {}, defer=False)

    config = app_commands.Group(
        name="config",
        description=text["config"],
        allowed_contexts=app_commands.AppCommandContext(guild=True),  # not in DMs
        default_permissions=discord.Permissions(manage_guild=True),
    )
    regions = app_commands.Group(name="regions", description=text["config regions"], parent=config)

    @regions.command(name="add", description=text["config regions add"])
    @app_commands.describe(regions=text["regions"])
    @app_commands.autocomplete(regions=region_list)
    async def regions_add(i: discord.Interaction, regions: str) -> None:
        await run(i, "config regions add", {"regions": regions})

    @regions.command(name="remove", description=text["config regions remove"])
    @app_commands.describe(regions=text["regions"])
    @app_commands.autocomplete(regions=region_list)
    async def regions_remove(i: discord.Interaction, regions: str) -> None:
        await run(i, "config regions remove", {"regions": regions})

    @regions.command(name="list", description=text["config regions list"])
    async def regions_list(i: discord.Interaction) -> None:
        await run(i, "config regions list", {})

    @config.command(name="channel", description=text["config channel"])
    @app_commands.describe(channel=text["channel"])
    async def channel(
        i: discord.Interaction, channel: app_commands.Transform[str, _ChannelId]
    ) -> None:
        await run(i, "config channel", {"channel": channel})

    @config.command(name="threshold", description=text["config threshold"])
    @app_commands.describe(value=text["value"])
    async def threshold(i: discord.Interaction, value: app_commands.Range[int, 0, 100]) -> None:
        await run(i, "config threshold", {"value": value})

    @config.command(name="categories", description=text["config categories"])
    @app_commands.describe(categories=text["categories"])
    @app_commands.choices(
        categories=[*category_choices, app_commands.Choice(name=both, value="films tv")]
    )
    async def categories(i: discord.Interaction, categories: str) -> None:
        await run(i, "config categories", {"categories": categories})

    @config.command(name="digest", description=text["config digest"])
    @app_commands.describe(value=text["digest value"])
    @app_commands.choices(
        value=[
            app_commands.Choice(name=FORM.on, value="on"),
            app_commands.Choice(name=FORM.off, value="off"),
        ]
    )
    async def digest(i: discord.Interaction, value: str) -> None:
        await run(i, "config digest", {"value": value})

    @config.command(name="language", description=text["config language"])
    @app_commands.describe(language=text["language"])
    @app_commands.choices(
        language=[app_commands.Choice(name=c.name, value=c.value) for c in language_choices()]
    )
    async def language(i: discord.Interaction, language: str) -> None:
        await run(i, "config language", {"language": language})

    @config.command(name="show", description=text["config show"])
    async def show(i: discord.Interaction) -> None:
        await run(i, "config show", {})

    @config.command(name="forget", description=text["config forget"])
    @app_commands.describe(confirm=text["confirm"])
    async def forget(i: discord.Interaction, confirm: bool = False) -> None:
        await run(i, "config forget", {"confirm": confirm})

    return [trending, surprises, watch, help_, about, config]
