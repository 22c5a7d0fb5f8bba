"""Grouping thresholds and time window; defaults tuned on the shared dev data only."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GroupingSettings:
    threshold: float = 0.5            # similarity at which an article joins a story
    copy_threshold: float = 0.95      # headline+lead likeness at which it is marked as a copy
    window_hours: float = 72.0        # only stories seen within this window are candidates
    merge_threshold: float = 0.5      # two stories an article matches both are merged at this likeness
    decay_hours: float = 24.0         # after this long without news a story needs twice the similarity
    blocking_terms: int = 8           # distinctive terms per article used to look up candidates
    blocking_min_weight: float = 1.0  # terms lighter than this never open a candidate
    max_candidates: int = 50          # stories scored per article, those sharing most first
