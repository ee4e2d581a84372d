"""A guest's submission: validation, admission by code or link, idempotency, the Plex invite, the log and totals."""
