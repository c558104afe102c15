"""SLO definitions: the model, duration syntax, loading and validation."""
