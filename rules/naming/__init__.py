"""NC1xx: naming collisions (PostgreSQL namespaces, truncation, keywords, conventions)."""
