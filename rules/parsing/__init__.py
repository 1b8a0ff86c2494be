"""PS0xx: input and parsing."""
