"""IX3xx: index coverage of documented queries, and index mistakes."""
