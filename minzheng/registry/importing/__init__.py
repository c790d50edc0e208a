"""Import of the household registry from Excel/CSV (one row per person)."""
