"""Table Storage: the app's tables, stored values, and running independent storage calls side by side."""
