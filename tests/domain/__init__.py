"""Domain tests: services against a real, migrated database."""
