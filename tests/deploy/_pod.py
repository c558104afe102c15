"""A rendered Deployment's pod, laid out on the local disk so the real server can run it.

Each volume mount's ConfigMap or Secret data is written where the pod would see it, under a scratch
root; absolute paths in the container's args and in the mounted files are moved under that root.
What the test then starts is the container's own command line, not a copy of it.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.deploy._k8s import one

# Absolute paths of the pod, after a space or an '=' (YAML values, --flag=value).
POD_PATH = re.compile(r"(?<=[ =])(?=/etc/aegis/|/data\b|/tmp\b)")


@dataclass
class Pod:
    deployment: dict[str, Any]
    objects: list[dict[str, Any]]

    @classmethod
    def of(cls, objects: list[dict[str, Any]]) -> Pod:
        return cls(one(objects, "Deployment"), objects)

    @property
    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = self.deployment["spec"]["template"]["spec"]
        return spec

    def container(self, name: str = "aegis") -> dict[str, Any]:
        containers = self.spec["containers"] + self.spec.get("initContainers", [])
        return next(c for c in containers if c["name"] == name)

    def volume(self, name: str) -> dict[str, Any]:
        return next(v for v in self.spec["volumes"] if v["name"] == name)

    def source_data(self, volume: dict[str, Any]) -> dict[str, str] | None:
        """The files a ConfigMap or Secret volume shows; None for other volumes and objects made elsewhere."""
        if "configMap" in volume:
            kind, name = "ConfigMap", volume["configMap"]["name"]
        elif "secret" in volume:
            kind, name = "Secret", volume["secret"]["secretName"]
        else:
            return None
        found = [o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == name]
        if not found:
            return None
        obj = found[0]
        data = dict(obj.get("data") or {})
        if kind == "Secret":
            data = {k: base64.b64decode(v).decode() for k, v in data.items()}
            data.update(obj.get("stringData") or {})
        return data

    def mount_for(self, path: str, container: str = "aegis") -> dict[str, Any] | None:
        mounts = self.container(container).get("volumeMounts", [])
        return next(
            (m for m in mounts if path == m["mountPath"] or path.startswith(m["mountPath"] + "/")), None
        )

    def lay_out(self, root: Path, container: str = "aegis") -> None:
        """Write every ConfigMap and Secret the container mounts under ``root``, as the kubelet would."""
        for mount in self.container(container).get("volumeMounts", []):
            target = inside(root, mount["mountPath"])
            target.mkdir(parents=True, exist_ok=True)
            data = self.source_data(self.volume(mount["name"]))
            for key, content in (data or {}).items():
                (target / key).write_text(relocated(root, content))


def inside(root: Path, path: str) -> Path:
    return root / path.lstrip("/")


def relocated(root: Path, text: str) -> str:
    """``text`` with the pod's absolute paths moved under ``root`` (in one pass: root may be under /tmp)."""
    return POD_PATH.sub(str(root), text)


def relocated_args(root: Path, args: list[str]) -> list[str]:
    return [relocated(root, f" {arg}")[1:] if arg.startswith("/") else relocated(root, arg) for arg in args]
