"""Reporters: one module per output format, over findings and rule metadata only."""
