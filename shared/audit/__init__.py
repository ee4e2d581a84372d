"""The audit trail: who changed what on the admin API, when, from where, and how it ended."""
