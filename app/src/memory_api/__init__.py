"""Memory API: a multi-tenant service that stores text memories and searches them by meaning."""

__version__ = "0.1.0"
