"""LV5xx: live verification. The live verifier (checker.live) produces these
findings on a real server; each module documents one code and yields them."""
