"""The system of record: SQLAlchemy models, engine and Alembic migrations."""
