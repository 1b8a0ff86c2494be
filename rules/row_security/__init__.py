"""RL9xx: row level security of the tables a platform's API serves, and of every policy."""
