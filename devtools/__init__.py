"""Local development tooling: the Plex simulator, the local functions host and the run/test scripts."""
