"""The desk's domain core: business rules, the inquiry pipeline, resolvers and drafting.

Nothing in this package talks to Slack, IMAP or SMTP; adapters in ``bot/`` call into it.
"""
