"""The admin: sign-in, throttling, sessions, the second factor, secrets at rest, and the dashboard."""
