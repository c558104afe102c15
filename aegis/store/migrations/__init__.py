"""Alembic migrations of the audit database, shipped inside the package.

``env.py`` and ``versions/`` are read by alembic through ``aegis.store.migrate``,
which configures it in code: users never need an ``alembic.ini``.
"""
