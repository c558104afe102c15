"""A service descriptor and the object that implements it: what both surfaces are built from."""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.descriptor import ServiceDescriptor


@dataclass(frozen=True)
class ServiceBinding:
    """A gRPC service descriptor and the servicer instance whose methods implement it."""

    descriptor: ServiceDescriptor
    servicer: object
