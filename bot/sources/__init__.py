"""Data sources: Netflix's Top 10 files, the offline title catalog, OMDb and TMDB."""
