"""`benchgen refresh`: plan what is stale, measure it with failures isolated, keep every result."""
