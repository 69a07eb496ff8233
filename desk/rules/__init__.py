"""Business rules as pure functions (no I/O); each cites the section of shared/domain.md it implements."""
