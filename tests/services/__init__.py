"""Real local servers for tests: Dovecot IMAP and aiosmtpd SMTP."""
