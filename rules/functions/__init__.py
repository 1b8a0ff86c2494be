"""FN7xx: function, trigger and view bodies checked against the schema."""
