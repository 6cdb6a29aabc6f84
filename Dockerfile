# trendbot: one process serving Discord and/or Slack, the scheduler and /healthz + /metrics.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TRENDBOT_DB=/data/trendbot.db \
    TRENDBOT_WEB_HOST=0.0.0.0

RUN groupadd --system trendbot && useradd --system --gid trendbot --home-dir /data trendbot \
    && mkdir -p /data /config && chown trendbot:trendbot /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
RUN pip install .
COPY config.example.toml /config/config.toml

USER trendbot
VOLUME /data
EXPOSE 8080

# /healthz answers 503 when the database or a chat connection is down
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"

# secrets come from the environment (docker run -e DISCORD_TOKEN=… or --env-file), never the image
CMD ["trendbot", "run", "--config", "/config/config.toml"]
