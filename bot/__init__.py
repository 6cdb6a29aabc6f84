"""trendbot: surprising entries in Netflix's weekly Top 10, for Discord and Slack."""

__version__ = "0.1.0"
# where /about points; pyproject.toml's [project.urls] say the same (tests/test_about.py checks)
SOURCE_URL = "https://github.com/trendbot/trendbot"
PRIVACY_URL = f"{SOURCE_URL}/blob/main/PRIVACY.md"
