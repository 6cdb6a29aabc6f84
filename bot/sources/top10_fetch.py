"""Getting a Top 10 file: a conditional, size-capped aiohttp GET held in memory, or a read from
disk (large title files stream to disk instead: bot/sources/download.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bot.errors import SourceError, SourceUnavailable
from bot.retry_after import FEED_MAX, parse_retry_after
from bot.sources.netflix import Fetched


def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = 60.0,
    max_bytes: int = 64 * 1024 * 1024,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Fetched:
    """GET `url` conditionally; SourceUnavailable for network trouble, SourceError for junk."""
    headers = {"Accept": "text/tab-separated-values, text/plain;q=0.9, */*;q=0.1"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with session.get(
            url,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout),
            allow_redirects=True,
            max_redirects=5,
        ) as response:
            if response.status == 304:
                return Fetched(url, None, etag, last_modified)
            if response.status in (408, 429) or response.status >= 500:
                retry = parse_retry_after(
                    response.headers.get("Retry-After"), now=clock(), maximum=FEED_MAX
                )
                raise SourceUnavailable(f"{url}: HTTP {response.status}", retry_after=retry)
            if response.status != 200:
                raise SourceError(f"{url}: HTTP {response.status} {response.reason or ''}".strip())
            if response.content_length is not None and response.content_length > max_bytes:
                raise SourceError(f"{url}: {response.content_length} bytes is over the cap")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.content.iter_chunked(1 << 16):
                size += len(chunk)
                if size > max_bytes:
                    raise SourceError(f"{url}: more than {max_bytes} bytes; refusing to read on")
                chunks.append(chunk)
            return Fetched(
                url,
                b"".join(chunks),
                response.headers.get("ETag"),
                response.headers.get("Last-Modified"),
            )
    except TimeoutError:
        raise SourceUnavailable(f"{url}: no complete answer within {timeout:g} s") from None
    except aiohttp.TooManyRedirects:
        raise SourceError(f"{url}: too many redirects") from None
    except aiohttp.ClientError as exc:
        raise SourceUnavailable(f"{url}: {type(exc).__name__}: {exc}") from None


def read_local(path: Path, max_bytes: int = 64 * 1024 * 1024) -> Fetched:
    """Read a TSV from disk with the same size cap as a download."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceError(f"{path}: {size} bytes is over the cap of {max_bytes}")
        return Fetched(str(path), path.read_bytes())
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SourceError(f"{path}: is a directory, not a TSV file") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror})") from None
