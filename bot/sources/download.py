"""Large files (title datasets, engagement reports) fetched to disk: conditional, capped, streamed.

Unlike the Top 10 files, these can be hundreds of MB (IMDb's title.basics is ~200 MB gzipped), so
the body goes to a temporary file chunk by chunk and never sits in memory. A 304 means unchanged.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.errors import SourceError, SourceUnavailable

CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class Downloaded:
    """Where a download landed (None: unchanged since the validators given)."""

    url: str
    path: Path | None
    etag: str | None
    last_modified: str | None


async def download(
    session: aiohttp.ClientSession,
    url: str,
    directory: Path,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = 600.0,
    max_bytes: int = 1 << 30,
) -> Downloaded:
    """GET `url` into a new file in `directory`; SourceUnavailable for trouble worth retrying,
    SourceError for an answer that is not the file. The caller deletes the file when done."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    handle, name = tempfile.mkstemp(prefix="trendbot-", dir=directory)
    path = Path(name)
    keep = False
    try:
        with os.fdopen(handle, "wb") as out:
            async with session.get(
                url,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
                max_redirects=5,
            ) as response:
                if response.status == 304:
                    return Downloaded(url, None, etag, last_modified)
                if response.status in (408, 429) or response.status >= 500:
                    raise SourceUnavailable(f"{url}: HTTP {response.status}")
                if response.status != 200:
                    raise SourceError(f"{url}: HTTP {response.status}")
                size = 0
                async for chunk in response.content.iter_chunked(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise SourceError(f"{url}: more than {max_bytes:,} bytes; refused")
                    out.write(chunk)
                keep = True
                return Downloaded(
                    url, path, response.headers.get("ETag"), response.headers.get("Last-Modified")
                )
    except TimeoutError:
        raise SourceUnavailable(f"{url}: no complete answer within {timeout:g} s") from None
    except aiohttp.TooManyRedirects:
        raise SourceError(f"{url}: too many redirects") from None
    except aiohttp.ClientError as exc:
        raise SourceUnavailable(f"{url}: {type(exc).__name__}") from None
    finally:
        if not keep:
            path.unlink(missing_ok=True)
