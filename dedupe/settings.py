"""Grouping thresholds and time window, defaults tuned on the shared dev data only
(benchmarks/group_quality.py), read from the [grouping] table of the config; and what one
imported line may hold ([import])."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GroupingSettings:
    threshold: float = 0.15           # similarity (cosine of weighted terms) at which a headline joins a story
    text_threshold: float = 0.05      # the same for an article with text, its two strongest shared terms left out
    copy_threshold: float = 0.95      # headline+lead likeness (rapidfuzz ratio / 100) at which it is a copy
    merge_threshold: float = 0.12     # two stories one article matches are merged at this story likeness
    text_merge_threshold: float = 0.1 # the same when that article has text (two strongest shared terms left out)
    merge_agreement: float = 0.3      # … and between headlines this share of the smaller story's share two terms with the other
    merge_small_story: int = 2        # a story of at most this many articles needs no such agreement
    core_size: int = 5                # a story's core: its members closest to it when they joined …
    core_agreement: float = 0.2       # … of which an article must match this share on its own to join
    merge_core_agreement: float = 0.1 # two stories merge when this share of the pairs across their cores match
    same_outlet_factor: float = 2.0   # two reports of one outlet within a day need this many times the likeness
    window_hours: float = 72.0        # only stories seen within this window are candidates
    decay_hours: float = 3.0          # after this long without news a story needs twice the similarity
    blocking_terms: int = 30          # distinctive terms per article used to look up candidates
    blocking_min_weight: float = 0.5  # terms lighter than this never open a candidate
    max_candidates: int = 50          # stories scored per article, those sharing most first
    place_names: str = "de"           # the language stories name places in: "Vereinigte Staaten" ("en": "United States")


@dataclass(frozen=True)
class ImportLimits:
    """What one line may hold ([import] in the config); a line over a limit is a bad line."""

    max_line_bytes: int = 2_000_000  # longer lines are not read into memory at all
    max_text_chars: int = 200_000    # per title, teaser, body; a long article has some 50,000
