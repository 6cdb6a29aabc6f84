"""Thin translators between chat platforms (console, Discord, Slack) and the neutral core."""
