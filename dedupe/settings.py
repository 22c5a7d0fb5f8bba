"""Grouping thresholds and time window; defaults tuned on the shared dev data only."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GroupingSettings:
    threshold: float = 0.5        # score at which an article joins a story
    copy_threshold: float = 0.95  # score at which it is marked as a copy of an article
    window_hours: float = 72.0    # only stories seen within this window are candidates
