"""Helpr domain package: Plex gateway, stores, validation and settings."""
