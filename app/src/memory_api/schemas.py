"""Request and response models; the bounds here are the API's documented input limits."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

MAX_TEXT_CHARS = 10_000
MAX_TAGS = 20
MAX_METADATA_BYTES = 8_192
MAX_METADATA_DEPTH = 4
MAX_TOP_K = 50
MAX_PAGE_SIZE = 100
MAX_BODY_BYTES = 64 * 1024
TAG_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"
_TAG = re.compile(TAG_PATTERN)

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Filter integers: JSON's interoperable ("safe") range, exact as a double, so a client's JSON
# library and the schema's bounds agree on every value (int64 bounds do not survive as doubles).
SAFE_INT_MAX = 2**53 - 1

Tag = Annotated[str, StringConstraints(pattern=TAG_PATTERN)]
# Filter values: what both vector-store backends can compare.
FilterValue = (
    Annotated[str, Field(strict=True)]
    | Annotated[int, Field(strict=True, ge=-SAFE_INT_MAX, le=SAFE_INT_MAX)]
    | Annotated[bool, Field(strict=True)]
)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _storable(value: Any, where: str) -> None:
    """Refuse what one of the stores would reject later: non-finite numbers (PostgreSQL's JSON and the
    vector store refuse them), NUL characters (PostgreSQL text cannot hold them) and integers beyond
    int64 (the vector store's payload and filter type)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where} is {value}; only finite numbers are allowed")
    if isinstance(value, int) and not isinstance(value, bool) and not INT64_MIN <= value <= INT64_MAX:
        raise ValueError(f"{where} is an integer outside the 64-bit range; send it as a string")
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(f"{where} contains a NUL character (\\u0000); remove it")
    if isinstance(value, dict):
        for key, item in value.items():
            _storable(key, f"{where} key {key[:32]!r}")
            _storable(item, f"{where}.{key[:32]}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _storable(item, f"{where}[{index}]")


def check_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    _storable(metadata, "metadata")
    if _depth(metadata) > MAX_METADATA_DEPTH:
        raise ValueError(f"metadata nests deeper than {MAX_METADATA_DEPTH} levels; flatten it")
    size = len(json.dumps(metadata, separators=(",", ":")).encode())
    if size > MAX_METADATA_BYTES:
        raise ValueError(f"metadata is {size} bytes as JSON; the limit is {MAX_METADATA_BYTES}")
    return metadata


def check_tags(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))  # de-duplicate, keep order


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MemoryCreate(_Strict):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="The memory's content.")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Free-form JSON object (≤ 8 KiB).")
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS, description="Labels for filtering.")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("text must contain non-whitespace characters")
        _storable(text, "text")
        return text

    @field_validator("metadata")
    @classmethod
    def _metadata_bounds(cls, metadata: dict[str, Any]) -> dict[str, Any]:
        return check_metadata(metadata)

    @field_validator("tags")
    @classmethod
    def _unique_tags(cls, tags: list[str]) -> list[str]:
        return check_tags(tags)


class MemoryCreated(BaseModel):
    id: str
    created_at: datetime


class MemoryOut(BaseModel):
    id: str
    text: str
    metadata: dict[str, Any]
    tags: list[str]
    created_at: datetime


class MemoryPage(BaseModel):
    items: list[MemoryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end.")


class SearchRequest(_Strict):
    query: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    top_k: int = Field(10, ge=1, le=MAX_TOP_K, strict=True)
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS, description="All must match.")
    metadata: dict[str, FilterValue] = Field(
        default_factory=dict,
        max_length=MAX_TAGS,
        description="Top-level metadata keys that must be equal.",
        json_schema_extra={"propertyNames": {"pattern": TAG_PATTERN}},
    )
    score_threshold: float | None = Field(
        None, ge=-1.0, le=1.0, strict=True, description="Drop results below this."
    )

    @field_validator("query")
    @classmethod
    def _not_blank(cls, query: str) -> str:
        if not query.strip():
            raise ValueError("query must contain non-whitespace characters")
        return query

    @field_validator("metadata")
    @classmethod
    def _keys(cls, metadata: dict[str, FilterValue]) -> dict[str, FilterValue]:
        for key in metadata:
            if not _TAG.match(key):
                raise ValueError(f"metadata filter key '{key[:64]}' must match {TAG_PATTERN}")
        return metadata


class SearchHit(BaseModel):
    id: str
    score: float
    text: str
    metadata: dict[str, Any]
    tags: list[str]
    created_at: datetime


class SearchResponse(BaseModel):
    results: list[SearchHit]


class ErrorBody(BaseModel):
    code: str
    message: str
    request_id: str


class ErrorResponse(BaseModel):
    error: ErrorBody
