"""trendbot: surprising entries in Netflix's weekly Top 10, for Discord and Slack."""

__version__ = "0.1.0"
