"""One module per schema revision, oldest first (``rev_NNNN_slug.py``); see docs/audit.md."""
