"""Where traces go with `IMOOX_OTEL=1`: the OpenTelemetry SDK, configured by OTEL_* variables.

A tracer provider set up before the gateway (by `opentelemetry-instrument`, or a test) is used
as it is; otherwise one is made that batches spans to an OTLP/HTTP collector
(`OTEL_EXPORTER_OTLP_ENDPOINT`, default http://localhost:4318; `OTEL_SERVICE_NAME`, default
`imoox-gateway`).
"""

from __future__ import annotations

import os

from gateway.errors import ConfigurationError


def tracing_configured() -> bool:
    """Make sure spans go somewhere; `ConfigurationError` without the `otel` extra."""
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        raise ConfigurationError(
            "IMOOX_OTEL=1 needs the otel extra: pip install '.[otel]' (or unset IMOOX_OTEL)."
        ) from None
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        service = os.environ.get("OTEL_SERVICE_NAME", "imoox-gateway")
        provider = TracerProvider(resource=Resource.create({"service.name": service}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
    return True
