"""The email channel: parsing raw mail, IMAP intake and the SMTP outbox."""
