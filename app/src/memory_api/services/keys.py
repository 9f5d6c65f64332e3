"""API keys: random secrets shown once, stored only as SHA-256 hashes, revocable."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from memory_api.db.models import ApiKey

KEY_PREFIX = "mem_"
TENANT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    tenant_id: str
    secret: str


@dataclass(frozen=True)
class Principal:
    key_id: str
    tenant_id: str


def hash_key(secret: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is enough (no password stretching needed).
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(session: Session, tenant_id: str, name: str = "") -> IssuedKey:
    if not TENANT_PATTERN.match(tenant_id):
        raise ValueError(
            f"tenant id '{tenant_id}' is invalid: use 1-64 lowercase letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id="key_" + secrets.token_hex(8),
        tenant_id=tenant_id,
        name=name,
        key_hash=hash_key(secret),
        created_at=datetime.now(UTC),
    )
    session.add(key)
    session.commit()
    return IssuedKey(key.id, tenant_id, secret)


def revoke_key(session: Session, key_id: str) -> bool:
    key = session.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        return False
    key.revoked_at = datetime.now(UTC)
    session.commit()
    return True


def list_keys(session: Session, tenant_id: str | None) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.created_at)
    if tenant_id:
        query = query.where(ApiKey.tenant_id == tenant_id)
    return list(session.scalars(query))


def find_principal(session: Session, secret: str) -> Principal | None:
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(secret)))
    if key is None or key.revoked_at is not None:
        return None
    return Principal(key.id, key.tenant_id)
