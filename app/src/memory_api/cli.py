"""``memory-api``: serve the API, manage API keys, run migrations, rebuild the vector index.

memory-api serve                       # the API on MEMORY_API_HOST:MEMORY_API_PORT
memory-api keys create --tenant t1     # prints the new key once
memory-api keys revoke KEY_ID
memory-api keys list [--tenant t1]
memory-api migrate
memory-api reindex                     # rebuild the Qdrant collection from the database
memory-api outbox list [--parked]      # pending vector writes; parked = refused by the vector store
memory-api outbox retry (--all | ID...)
memory-api outbox discard ID...
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

    from memory_api.core.server import bounded_protocol  # noqa: PLC0415

    uvicorn.run(
        "memory_api.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=1,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        http=bounded_protocol(settings.max_request_header_bytes),
        h11_max_incomplete_event_size=settings.max_request_header_bytes,  # if h11 were used
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


def _outbox(settings: Settings, args: argparse.Namespace) -> int:
    from memory_api.db.engine import build_database  # noqa: PLC0415
    from memory_api.services import outbox  # noqa: PLC0415

    engine, sessions = build_database(settings)
    try:
        if args.outbox_command == "list":
            for row in outbox.list_rows(sessions, parked_only=args.parked):
                print(
                    json.dumps(
                        {
                            "id": row.id,
                            "memory_id": row.memory_id,
                            "tenant_id": row.tenant_id,
                            "operation": row.operation,
                            "attempts": row.attempts,
                            "parked": row.parked_at is not None,
                            "last_error": row.last_error,
                        }
                    )
                )
            return 0
        if args.outbox_command == "retry":
            if not args.all and not args.ids:
                print(
                    "memory-api: give outbox row ids (from `outbox list --parked`) or --all", file=sys.stderr
                )
                return 2
            count = outbox.retry_rows(sessions, None if args.all else args.ids)
            print(json.dumps({"retried": count}))
            print("A running API picks them up at its next poll.", file=sys.stderr)
            return 0 if count or args.all else 1
        count = outbox.discard_rows(sessions, args.ids)
        print(json.dumps({"discarded": count}))
        return 0 if count else 1
    finally:
        engine.dispose()


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
    outbox_parser = commands.add_parser("outbox", help="Inspect and retry vector writes the store refused")
    outbox_commands = outbox_parser.add_subparsers(dest="outbox_command", required=True)
    outbox_list = outbox_commands.add_parser("list", help="Outbox rows as JSON lines (no memory text)")
    outbox_list.add_argument("--parked", action="store_true", help="Only parked (dead-letter) rows")
    outbox_retry = outbox_commands.add_parser("retry", help="Queue parked rows again with fresh attempts")
    outbox_retry.add_argument("ids", nargs="*", type=int, help="Outbox row ids")
    outbox_retry.add_argument("--all", action="store_true", help="Every parked row")
    outbox_discard = outbox_commands.add_parser("discard", help="Drop parked rows (the memories stay)")
    outbox_discard.add_argument("ids", nargs="+", type=int, help="Outbox row ids")
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
    if args.command == "outbox":
        return _outbox(settings, args)
    from memory_api.db.engine import build_database  # noqa: PLC0415

    engine, _ = build_database(settings)
    engine.dispose()
    print(json.dumps({"migrated": True}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
