"""The status page: server-rendered HTML at ``/`` (every SLO) and ``/slo/{id}`` (one SLO).

``calls`` reads through the API's own pipeline (so the page is protected like the read-scope
RPCs), ``pages`` renders HTML with inline SVG (no build step, no script), ``routes`` serves them.
See docs/status-page.md.
"""
