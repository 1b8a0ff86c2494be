"""MG4xx: migration ordering and safety."""
