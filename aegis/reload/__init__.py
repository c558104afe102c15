"""Hot reload: one seam (``Reloader``) over every source configured from files.

``SLOFiles`` (the SLO directory, last good versions kept), ``KeysFile`` (API keys),
``Backends`` (the backends file) and ``NotificationsFile`` are ``Reloadable``, and so is
``aegis.api.tls_reload.TlsFiles``, which the server adds; the application builds one Reloader
over them, called by its SIGHUP handler and by its polling watcher (docs/operations.md#hot-reload).
"""

from aegis.reload.keys_file import KeysFile
from aegis.reload.last_good import Merged, keep_last_good
from aegis.reload.reloader import Offload, Reloadable, Reloader, ReloadResult
from aegis.reload.slo_files import SLOFiles

__all__ = [
    "KeysFile",
    "Merged",
    "Offload",
    "ReloadResult",
    "Reloadable",
    "Reloader",
    "SLOFiles",
    "keep_last_good",
]
