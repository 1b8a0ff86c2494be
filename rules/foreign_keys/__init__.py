"""FK2xx: foreign keys and delete semantics."""
