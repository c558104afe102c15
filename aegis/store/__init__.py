"""The audit log: every evaluation, queryable by on-call engineers."""
