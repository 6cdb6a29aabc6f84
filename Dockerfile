# trendbot: one process serving Discord and/or Slack, the scheduler and /healthz + /metrics.
#   docker build -t trendbot --build-arg REVISION="$(git rev-parse HEAD)" .
# Two stages: `build` makes wheels (it has the compilers a source distribution may need), the
# runtime installs them into a clean slim image. Dependencies come from requirements/runtime.txt,
# hash-checked, and are installed before the code is copied, so a code change rebuilds one layer.
#
# The base is Docker's official python:3.11-slim (Python 3.11.15 on Debian 13 "trixie") pinned by
# its multi-platform index digest; to move on, take the new digest of the tag from
# docker-library/repo-info (repos/python/remote/3.11-slim.md) or `docker buildx imagetools inspect`.
ARG PYTHON_IMAGE=python:3.11-slim@sha256:90744cff8f32887f075c47d747a173ff333e9e98801667af93c357fa9f5e28ff

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
# Debian's compilers of the pinned base release, for any dependency without a wheel on this platform
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY requirements/runtime.txt requirements/build.txt requirements/
RUN pip wheel --require-hashes --no-deps --wheel-dir /wheels/deps -r requirements/runtime.txt \
    && pip install --require-hashes --no-deps -r requirements/build.txt
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY adapters ./adapters
RUN pip wheel --no-deps --no-build-isolation --no-index --wheel-dir /wheels/app .

FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="trendbot" \
      org.opencontainers.image.description="A Discord and Slack bot that tells you when something unexpected enters Netflix's Top 10." \
      org.opencontainers.image.source="https://github.com/trendbot/trendbot" \
      org.opencontainers.image.url="https://github.com/trendbot/trendbot" \
      org.opencontainers.image.documentation="https://github.com/trendbot/trendbot#readme" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11-slim" \
      org.opencontainers.image.base.digest="sha256:90744cff8f32887f075c47d747a173ff333e9e98801667af93c357fa9f5e28ff"

# the database lives in the /data volume; matplotlib's font cache outside it, built below
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    TRENDBOT_DB=/data/trendbot.db \
    TRENDBOT_WEB_HOST=0.0.0.0 \
    MPLCONFIGDIR=/var/cache/trendbot/matplotlib

RUN groupadd --system --gid 10001 trendbot \
    && useradd --system --uid 10001 --gid trendbot --home-dir /data --no-create-home trendbot \
    && mkdir -p /data /config "$MPLCONFIGDIR" \
    && chown trendbot:trendbot /data "$MPLCONFIGDIR"

# dependencies first (this layer changes only with requirements/runtime.txt), then trendbot
RUN --mount=type=bind,from=build,source=/wheels/deps,target=/wheels \
    pip install --no-index --no-deps /wheels/*.whl
RUN --mount=type=bind,from=build,source=/wheels/app,target=/wheels \
    pip install --no-index --no-deps /wheels/*.whl
COPY config.example.toml /config/config.toml

USER 10001:10001
RUN python -c "import matplotlib.pyplot"
VOLUME ["/data"]
EXPOSE 8080

# /healthz on the port the config names: 503 when the database or a chat connection is down
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot.healthcheck", "--config", "/config/config.toml"]

# secrets come from the environment (docker run -e DISCORD_TOKEN=… or --env-file), never the image
CMD ["trendbot", "run", "--config", "/config/config.toml"]
