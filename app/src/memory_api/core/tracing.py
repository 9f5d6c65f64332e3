"""OpenTelemetry tracing over OTLP/HTTP when an endpoint is configured, a no-op tracer otherwise."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from memory_api import __version__
from memory_api.core.config import Settings


def create_tracer_provider(settings: Settings) -> TracerProvider | None:
    """A provider exporting to ``{otlp_endpoint}/v1/traces``, or None when tracing is off."""
    if not settings.otlp_endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: PLC0415

    provider = TracerProvider(
        resource=Resource.create(
            {
                "service.name": "memory-api",
                "service.version": __version__,
                "deployment.environment": settings.environment,
            }
        )
    )
    endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, timeout=5)))
    return provider


def get_tracer(provider: TracerProvider | None) -> trace.Tracer | None:
    """The service's tracer, or None when tracing is off (the middleware then skips span work)."""
    if provider is None:
        return None
    return provider.get_tracer("memory_api", __version__)
