"""Metrics adapters: where good and total event counts come from."""
