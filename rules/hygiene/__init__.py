"""HY8xx: schema hygiene, on the final simulated schema (pg-index-health's static checks)."""
