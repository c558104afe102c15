"""AegisSLO: a release gate that answers "is it safe to deploy right now?" from SLO burn rates."""

__version__ = "0.2.0"
