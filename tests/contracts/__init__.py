"""Contracts: what Discord and Slack accept, read from their official specs (tests/data/specs)."""

from __future__ import annotations

import hashlib
import json
import lzma
from functools import cache
from pathlib import Path
from typing import Any

SPECS = Path(__file__).resolve().parents[1] / "data" / "specs"


@cache
def load_spec(name: str) -> Any:
    """A vendored spec file, decompressed when it is stored as .xz."""
    raw = (SPECS / name).read_bytes()
    return json.loads(lzma.decompress(raw) if name.endswith(".xz") else raw)


def git_blob_id(name: str) -> str:
    """`git hash-object` of a vendored spec's uncompressed bytes (its upstream blob id)."""
    raw = (SPECS / name).read_bytes()
    data = lzma.decompress(raw) if name.endswith(".xz") else raw
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
