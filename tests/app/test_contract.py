"""What the API promises in its OpenAPI document and headers, checked against what it does."""

from __future__ import annotations

import re

from tests.app.conftest import Api, SettingsFactory, start_api


def test_405_names_every_allowed_method(api: Api) -> None:
    response = api.client.put("/v1/memories", json={"text": "x"}, headers=api.key("acme"))
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_the_probes_document_their_503_and_the_api_its_413(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    assert "503" in paths["/health/ready"]["get"]["responses"]
    assert "503" in paths["/health/startup"]["get"]["responses"]
    assert "413" in paths["/v1/memories"]["post"]["responses"]
    assert "413" in paths["/v1/search"]["post"]["responses"]


def test_openapi_and_docs_are_counted_under_their_own_endpoint(api: Api) -> None:
    api.client.get("/openapi.json")
    api.client.get("/docs")
    text = api.client.get("/metrics").text
    assert 'http_requests_total{endpoint="/openapi.json",method="GET",status_code="200"}' in text
    assert 'http_requests_total{endpoint="/docs",method="GET",status_code="200"}' in text


def _csp_sources(policy: str, directive: str) -> list[str]:
    for part in policy.split(";"):
        name, *sources = part.split()
        if name == directive:
            return sources
    return []


def test_security_headers_on_every_response_and_a_csp_the_docs_page_works_with(api: Api) -> None:
    for path in ("/health/live", "/v1/memories", "/no/such/path"):
        headers = api.client.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        assert _csp_sources(headers["Content-Security-Policy"], "default-src") == ["'none'"]
    docs = api.client.get("/docs")
    policy = docs.headers["Content-Security-Policy"]
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', docs.text)
    styles = re.findall(r'<link[^>]+href="([^"]+\.css)"', docs.text)
    assert scripts and styles
    for url, directive in [(u, "script-src") for u in scripts] + [(u, "style-src") for u in styles]:
        origin = re.match(r"https://[^/]+", url)
        assert origin and origin.group(0) in _csp_sources(policy, directive), (url, policy)
    if "<script>" in docs.text:  # the inline bootstrap script
        assert "'unsafe-inline'" in _csp_sources(policy, "script-src")


def test_a_malformed_body_is_authenticated_and_rate_limited_first(make_settings: SettingsFactory) -> None:
    for api in start_api(make_settings(rate_limit_per_minute=2)):
        broken = b'{"text": '
        json_type = {"Content-Type": "application/json"}
        anonymous = api.client.post("/v1/memories", content=broken, headers=json_type)
        assert anonymous.status_code == 401
        wrong = api.client.post("/v1/memories", content=broken, headers={**json_type, "X-API-Key": "mem_x"})
        assert wrong.status_code == 401
        headers = {**api.key("acme"), **json_type}
        first = api.client.post("/v1/memories", content=broken, headers=headers)
        assert first.status_code == 422
        assert first.headers["RateLimit-Remaining"] == "1"
        api.client.post("/v1/search", content=broken, headers=headers)
        third = api.client.post("/v1/memories", content=broken, headers=headers)
        assert third.status_code == 429
        assert third.headers["Retry-After"]
