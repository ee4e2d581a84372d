"""Rate limits across instances, which limits apply to which request, and who a request came from."""
