"""Prometheus metrics; names and labels are the contract with the alert rules (METRICS.md)."""

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)

HTTP_REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "endpoint", "status_code"])
HTTP_DURATION = Histogram(
    "http_request_duration_seconds", "HTTP request duration", ["method", "endpoint"], buckets=LATENCY_BUCKETS
)
MEMORY_OPERATIONS = Counter("memory_operations_total", "Memory operations", ["operation", "status"])
EMBEDDING_DURATION = Histogram(
    "embedding_generation_duration_seconds",
    "Time to embed one batch of texts",
    ["embedder"],
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0),
)
VECTOR_STORE_OPERATIONS = Counter("vector_store_operations_total", "Vector store operations", ["operation"])
VECTOR_STORE_ERRORS = Counter(
    "vector_store_operation_errors_total", "Vector store operations that failed", ["operation"]
)
DATABASE_CONNECTION_ERRORS = Counter("database_connection_errors_total", "Database connection failures")
DATABASE_CONNECTIONS_ACTIVE = Gauge("database_connections_active", "Checked-out pool connections")
DATABASE_CONNECTIONS_MAX = Gauge("database_connections_max", "Pool size plus max overflow")
RATE_LIMIT_EXCEEDED = Counter("rate_limit_exceeded_total", "Requests refused by the rate limit", ["window"])
OUTBOX_PENDING = Gauge("vector_outbox_pending", "Outbox rows waiting to be indexed (retries included)")
OUTBOX_PARKED = Gauge("vector_outbox_parked", "Outbox rows the vector store refused too often (dead letter)")
OUTBOX_ROW_FAILURES = Counter(
    "vector_outbox_row_failures_total", "Outbox rows the vector store refused for their content"
)
OUTBOX_ROWS_PARKED = Counter("vector_outbox_rows_parked_total", "Outbox rows moved to the dead letter")
AUTH_FAILURES_REFUSED = Counter(
    "auth_failures_refused_total", "Requests refused because their address sent too many unknown keys"
)
CACHE_HITS = Counter("cache_hits_total", "Cache hits", ["cache"])
CACHE_MISSES = Counter("cache_misses_total", "Cache misses", ["cache"])

for _operation in ("create", "get", "list", "delete", "search"):
    for _status in ("success", "error"):
        MEMORY_OPERATIONS.labels(_operation, _status)
for _window in ("minute", "hour"):
    RATE_LIMIT_EXCEEDED.labels(_window)
for _cache in ("memory", "embedding"):
    CACHE_HITS.labels(_cache)
    CACHE_MISSES.labels(_cache)
for _vector_operation in ("upsert", "delete", "search", "ensure_collection"):
    VECTOR_STORE_OPERATIONS.labels(_vector_operation)
    VECTOR_STORE_ERRORS.labels(_vector_operation)
