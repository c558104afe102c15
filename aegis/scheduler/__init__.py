"""Scheduling evaluations: the catalog of SLOs, one evaluation, the loops, and where results go.

``Scheduler`` decides when; ``Evaluator`` makes one evaluation; ``SLOCatalog`` is the SLO set
(replaced as a whole on reload); the ``Journal`` (the audit) takes every result first, then
listeners (``EvaluationListener``) receive it, the latest-result cache (``LatestStates``) among
them; ``Ownership`` says which SLOs this process evaluates; ``Timer`` and ``Clock`` make time
injectable.
"""

from aegis.scheduler.catalog import CatalogChange, CatalogEntry, SLOCatalog
from aegis.scheduler.claims import EvaluationClaims, NoClaims
from aegis.scheduler.core import Scheduler
from aegis.scheduler.evaluator import Evaluator
from aegis.scheduler.journal import Journal, NoJournal
from aegis.scheduler.latest import LatestInMemory, LatestStates, SLOState
from aegis.scheduler.listeners import Evaluated, EvaluationListener
from aegis.scheduler.ownership import OwnAll, Ownership
from aegis.scheduler.timing import Clock, SystemTime, Timer, utc_now

__all__ = [
    "CatalogChange",
    "CatalogEntry",
    "Clock",
    "Evaluated",
    "EvaluationClaims",
    "EvaluationListener",
    "Evaluator",
    "Journal",
    "LatestInMemory",
    "LatestStates",
    "NoClaims",
    "NoJournal",
    "OwnAll",
    "Ownership",
    "SLOCatalog",
    "SLOState",
    "Scheduler",
    "SystemTime",
    "Timer",
    "utc_now",
]
