"""What an SLO file format is: it claims documents, checks their structure and builds the one SLO model.

Every format builds the same ``SLO``, so the checks that relate fields to each
other (windows, durations, templates) run once, on the model, for all formats.
A problem found on the model still has to point at the file: each built SLO
carries a FieldMap that says where its format writes each model field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from aegis.spec.model import SLO
from aegis.spec.problems import FieldIssue, FieldPath, format_path

# A field of the model: attribute names and list positions, e.g. ("burn_rate_rules", 0, "short_window").
ModelPath = tuple[str | int, ...]
_ANY = "*"


@dataclass(frozen=True)
class FieldMap:
    """Where one format writes each model field, with ``*`` standing for a list position.

    >>> fields = FieldMap({("rules", "*", "name"): ("spec", "rules", "*", "name")})
    >>> fields.file_path(("rules", 2, "name"))
    ('spec', 'rules', 2, 'name')
    """

    paths: Mapping[tuple[str, ...], tuple[str | int, ...]]

    def file_path(self, model_path: ModelPath) -> FieldPath:
        """The file path of a model field; the document itself when the format does not write it."""
        key = tuple(_ANY if isinstance(part, int) else part for part in model_path)
        template = self.paths.get(key)
        if template is None:
            return ()
        positions = iter([part for part in model_path if isinstance(part, int)])
        return tuple(next(positions, 0) if part == _ANY else part for part in template)

    def name(self, model_path: ModelPath) -> str:
        """The field's own name in the file: ``shortWindow``."""
        named = [part for part in self.file_path(model_path) if isinstance(part, str)]
        return named[-1] if named else str(model_path[-1])

    def dotted(self, model_path: ModelPath) -> str:
        """The field's full path in the file: ``spec.burnPolicy.rules[0].shortWindow``."""
        return format_path(self.file_path(model_path))


@dataclass(frozen=True)
class Built:
    """One SLO built from a document, and where its fields are written."""

    slo: SLO
    fields: FieldMap


class Format(Protocol):
    """An SLO file format. Register an instance in ``aegis.spec.formats.FORMATS``."""

    @property
    def name(self) -> str:
        """How docs and messages name the format, e.g. 'AegisSLO'."""
        ...

    @property
    def api_versions(self) -> tuple[str, ...]:
        """The apiVersion values it claims, listed when a document's apiVersion is unknown."""
        ...

    def claims(self, document: Mapping[str, Any]) -> bool:
        """Whether this format reads ``document`` (by its apiVersion and kind)."""
        ...

    def structure_issues(self, document: Mapping[str, Any]) -> list[FieldIssue]:
        """Every problem with the document's fields, types and ranges; [] means build() can run."""
        ...

    def build(self, document: Mapping[str, Any], source_file: str) -> list[Built]:
        """The SLOs in a document without structure issues (several for formats that group SLOs)."""
        ...


@runtime_checkable
class FileAware(Protocol):
    """A format whose documents refer to other documents of the same file.

    The loader hands it the file's documents before asking it about any of them; it answers
    with the format to use for that file (OpenSLO: an SLO's ``indicatorRef`` names an SLI). A
    document naming something of another file waits until the whole directory is read.
    """

    def for_file(self, documents: Sequence[object]) -> Format:
        """This format, bound to ``documents`` (every document of the file, as parsed; or, for
        documents that ``defers``, every document any file of the directory ``shares``)."""
        ...

    def shares(self, document: Mapping[str, Any]) -> bool:
        """Whether documents of other files may refer to ``document`` (an OpenSLO SLI)."""
        ...

    def defers(self, document: Mapping[str, Any]) -> bool:
        """Whether ``document`` refers to something its own file does not hold: the loader then
        builds it once every file is read, from a format bound to what the directory shares."""
        ...
