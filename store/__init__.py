"""The contract store: SQLModel tables, migrations, the engine, and keyword-only lookup functions."""
