"""Settings from the environment, secrets from Key Vault, and settings the admin changes at run time."""
