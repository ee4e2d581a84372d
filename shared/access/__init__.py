"""Who has access: tiers of libraries, grants with their end dates, and managing the people invited."""
