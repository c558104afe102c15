"""Replay: what the policy would have decided over past data, with other thresholds if asked.

``span`` bounds the work, ``history`` reads one measurement per step from any adapter (a range
query where the adapter can), ``timeline`` turns the evaluations into transitions, time per
decision and burns, ``runner`` ties them together, ``overrides`` changes the policy for one
replay, and ``picture`` draws it as SVG. Nothing here records anything: the audit is untouched.
"""
