"""Rendering the managers' report: Japanese tables (terminal, CSV, JSON), charts (matplotlib) and a
self-contained HTML page. The numbers come from :mod:`store.reports`; nothing here queries the store."""
