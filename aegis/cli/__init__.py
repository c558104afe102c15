"""Command-line entry points: ``aegis`` (offline tools such as ``validate``) and ``aegis-server``."""
