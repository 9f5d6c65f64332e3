"""Cross-cutting pieces: settings, logging, metrics, tracing, errors."""
