"""``memory-api``: serve the API, manage API keys, run migrations, rebuild the vector index.

memory-api serve                       # the API on MEMORY_API_HOST:MEMORY_API_PORT
memory-api keys create --tenant t1     # prints the new key once
memory-api keys revoke KEY_ID
memory-api keys list [--tenant t1]
memory-api migrate
memory-api reindex                     # rebuild the Qdrant collection from the database
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from memory_api.core.config import Settings


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        print(f"memory-api: invalid settings:\n{error}", file=sys.stderr)
        raise SystemExit(2) from error


def _serve(settings: Settings) -> int:
    import uvicorn  # noqa: PLC0415

    uvicorn.run(
        "memory_api.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=1,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )
    return 0


def _keys(settings: Settings, args: argparse.Namespace) -> int:
    from memory_api.db.engine import build_database  # noqa: PLC0415
    from memory_api.services import keys  # noqa: PLC0415

    engine, sessions = build_database(settings)
    try:
        with sessions() as session:
            if args.keys_command == "create":
                try:
                    issued = keys.create_key(session, args.tenant, args.name)
                except ValueError as error:
                    print(f"memory-api: {error}", file=sys.stderr)
                    return 2
                print(
                    json.dumps(
                        {"key_id": issued.key_id, "tenant_id": issued.tenant_id, "api_key": issued.secret}
                    )
                )
                print("Store the api_key now: it is not shown again.", file=sys.stderr)
                return 0
            if args.keys_command == "revoke":
                if not keys.revoke_key(session, args.key_id):
                    print(f"memory-api: no active key with id {args.key_id}", file=sys.stderr)
                    return 1
                print(json.dumps({"key_id": args.key_id, "revoked": True}))
                return 0
            for key in keys.list_keys(session, args.tenant):
                print(
                    json.dumps(
                        {
                            "key_id": key.id,
                            "tenant_id": key.tenant_id,
                            "name": key.name,
                            "created_at": key.created_at.isoformat(),
                            "revoked": key.revoked_at is not None,
                        }
                    )
                )
            return 0
    finally:
        engine.dispose()


def _reindex(settings: Settings) -> int:
    from memory_api.db.engine import build_database  # noqa: PLC0415
    from memory_api.services.embedder import create_embedder  # noqa: PLC0415
    from memory_api.services.outbox import reindex  # noqa: PLC0415
    from memory_api.services.vector_store import VectorStore  # noqa: PLC0415

    engine, sessions = build_database(settings)
    store = VectorStore.from_settings(settings)
    try:
        count = reindex(sessions, store, create_embedder(settings.embedder, settings.embedding_dim))
    finally:
        store.close()
        engine.dispose()
    print(json.dumps({"reindexed": count, "collection": settings.qdrant_collection}))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="memory-api", description="Memory API service and admin tool.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="Run the API (settings from MEMORY_API_* env vars)")
    commands.add_parser("migrate", help="Upgrade the database schema to the latest version")
    commands.add_parser(
        "reindex",
        help="Rebuild the Qdrant collection from the database (stop the API first on embedded defaults)",
    )
    key_parser = commands.add_parser("keys", help="Create, revoke and list tenant API keys")
    key_commands = key_parser.add_subparsers(dest="keys_command", required=True)
    create = key_commands.add_parser("create", help="Create a key for a tenant; prints it once")
    create.add_argument("--tenant", required=True, help="Tenant id, e.g. acme")
    create.add_argument("--name", default="", help="A label for the key")
    revoke = key_commands.add_parser("revoke", help="Revoke a key by its key_id")
    revoke.add_argument("key_id")
    listing = key_commands.add_parser("list", help="List keys (never their secrets)")
    listing.add_argument("--tenant", default=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = _settings()
    if args.command == "serve":
        return _serve(settings)
    from memory_api.core.logging import configure_logging  # noqa: PLC0415

    configure_logging(settings.log_level, to_stderr=True)
    if args.command == "keys":
        return _keys(settings, args)
    if args.command == "reindex":
        return _reindex(settings)
    from memory_api.db.engine import build_database  # noqa: PLC0415

    engine, _ = build_database(settings)
    engine.dispose()
    print(json.dumps({"migrated": True}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
