"""Everything that talks to plex.tv: the gateway, its transport, error sorting, retries, status and libraries."""
