"""Adapters (email, Slack, terminal) and the runtime that wires them to the desk core."""
