"""Who has access: tiers of libraries, grants with their end dates, everyone on the server (shares made outside the
portal included, and adopting them), changes to one or many people, and reconciliation with plex.tv."""
