"""Business logic and the clients of Redis, Qdrant and the embedding model."""
