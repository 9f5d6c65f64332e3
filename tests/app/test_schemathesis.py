"""Schemathesis against the API's own OpenAPI document, on both backends, through the real server
(uvicorn with the service's protocol): every generated request, valid or not, gets an answer the
document allows (no 5xx, documented status codes, headers and shapes, invalid input refused, auth not ignored).

Left out: ``positive_data_acceptance``. Some documented limits cannot be written in JSON Schema
(metadata at most 8 KiB as JSON, no NUL in any nested string, cursors only as this API returned
them), so schema-valid input can still be refused with a 422 that names the limit.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from memory_api.core.config import Settings
from memory_api.core.server import bounded_protocol
from memory_api.main import create_app
from memory_api.services.keys import create_key
from requests.structures import CaseInsensitiveDict
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.openapi.loaders import from_dict
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.app.app_servers import free_port
from tests.app.conftest import SettingsFactory

MAX_EXAMPLES = 30  # per operation and backend: the module stays within a minute or two

# The document as the app serves it (building it needs no started app). Schemathesis' fixture-based
# loader relies on a pytest internal that pytest 9 removed, so the schema is loaded here and every
# call goes to the fixture's server.
schema = from_dict(create_app(Settings(_env_file=None, data_dir=Path(tempfile.gettempdir()))).openapi())


@dataclass
class Served:
    base_url: str
    key: str
    session: requests.Session


@pytest.fixture
def served(make_settings: SettingsFactory) -> Iterator[Served]:
    app_settings = make_settings(
        rate_limit_per_minute=10**6,
        rate_limit_per_hour=10**6,
        ip_rate_limit_per_minute=10**6,
        ip_rate_limit_per_hour=10**6,
        auth_failures_per_minute=10**6,
    )
    app = create_app(app_settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            http=bounded_protocol(app_settings.max_request_header_bytes),
            log_config=None,
            access_log=False,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    with app.state.memory_api.sessions() as session:
        key = create_key(session, "fuzz").secret
    with requests.Session() as http:
        yield Served(f"http://127.0.0.1:{port}", key, http)
    server.should_exit = True
    thread.join(timeout=30)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_generated_request_gets_a_documented_answer(
    case: schemathesis.Case[Any], served: Served
) -> None:
    header_info = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    if header_info is None or header_info.mode is not GenerationMode.NEGATIVE:
        if case.headers is None:
            case.headers = CaseInsensitiveDict()
        case.headers["X-API-Key"] = served.key
    # else: the generator broke the headers on purpose (e.g. dropped the key): send them as they are
    case.call_and_validate(
        base_url=served.base_url, session=served.session, excluded_checks=[positive_data_acceptance]
    )
