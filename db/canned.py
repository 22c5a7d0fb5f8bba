"""The canned queries `newsagg serve` offers in datasette, each with the words a reader sees.

Every query without parameters must answer in well under 50 ms on a store of a million
articles (``benchmarks/serve.py``): they walk the indexes of migration 2 in ``db/schema.py``
and bound their results with LIMIT, never scanning ``articles`` or ``stories`` whole.
``escape_fts`` is the SQL function datasette registers: it quotes each word of a search,
so that "Berlin-Mitte" or a stray quote is a search and not an FTS5 syntax error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@dataclass(frozen=True)
class CannedQuery:
    name: str
    title: str
    description: str
    sql: str

    @property
    def parameters(self) -> list[str]:
        """The named parameters (``:story_id``) a reader fills in, in order of appearance."""
        return list(dict.fromkeys(_PARAMETER.findall(self.sql)))

    def as_metadata(self) -> dict[str, Any]:
        """The query in the form datasette's metadata ``queries`` block takes."""
        return {"title": self.title, "description": self.description, "sql": self.sql, "hide_sql": True}


# The first five outlets of a story ("t-online, Berliner Zeitung and 3 more"): reading five
# articles per story, not all of them, keeps a list of big stories as fast as one of small ones.
# Outlet titles where the outlet is declared, else the stored name (a host name when imported).
_OUTLETS_OF_STORY = """(
        SELECT group_concat(name, ', ') FROM (
            SELECT DISTINCT coalesce(outlets.title, articles.outlet) AS name
            FROM articles LEFT JOIN outlets ON outlets.name = articles.outlet
            WHERE articles.story_id = stories.id LIMIT 5
        )
    ) || CASE WHEN stories.outlet_count > 5 THEN ' and ' || (stories.outlet_count - 5) || ' more' ELSE '' END"""

LATEST_STORIES = CannedQuery(
    name="latest_stories",
    title="Latest stories",
    description=(
        "The 50 most recently updated merged stories, newest first, with how many articles "
        "and how many different outlets report each. Open a story's sources with "
        "'Sources of one story' and its story_id."
    ),
    sql=f"""SELECT stories.id AS story_id, stories.title, stories.category, stories.location,
    stories.source_count AS articles, stories.outlet_count AS outlets,
    {_OUTLETS_OF_STORY} AS reported_by,
    stories.first_seen, stories.last_updated
FROM stories
ORDER BY stories.last_updated DESC, stories.id DESC
LIMIT 50""",
)

MOST_COVERED_STORIES = CannedQuery(
    name="most_covered_stories",
    title="Most covered stories of the latest day",
    description=(
        "Stories updated in the 24 hours before the newest update in the store, ranked by the "
        "number of outlets that report them: what everyone is writing about."
    ),
    sql=f"""SELECT stories.id AS story_id, stories.title, stories.category, stories.location,
    stories.outlet_count AS outlets, stories.source_count AS articles,
    {_OUTLETS_OF_STORY} AS reported_by,
    stories.last_updated
FROM stories
WHERE stories.last_updated >= (
    SELECT strftime('%Y-%m-%dT%H:%M:%S', max(last_updated), '-1 day') FROM stories
)
ORDER BY stories.outlet_count DESC, stories.source_count DESC, stories.last_updated DESC
LIMIT 50""",
)

STORY_SOURCES = CannedQuery(
    name="story_sources",
    title="Sources of one story",
    description=(
        "Every article of one merged story, oldest first, with its outlet and a link to the "
        "original. 'copy of' marks an article that repeats another one (the same agency text)."
    ),
    sql="""SELECT articles.published, coalesce(outlets.title, articles.outlet) AS outlet,
    articles.title, articles.url,
    CASE WHEN articles.copy_of IS NOT NULL THEN 'copy of article ' || articles.copy_of END AS copy,
    articles.id AS article_id
FROM articles LEFT JOIN outlets ON outlets.name = articles.outlet
WHERE articles.story_id = :story_id
ORDER BY articles.published, articles.id""",
)

SINGLE_OUTLET_STORIES = CannedQuery(
    name="single_outlet_stories",
    title="Stories only one outlet reports",
    description=(
        "The 50 most recently updated stories that a single outlet covers: exclusives, "
        "local news, or events the grouping failed to join with another outlet's report."
    ),
    sql="""SELECT stories.id AS story_id, stories.title, stories.category, stories.location,
    (SELECT coalesce(outlets.title, articles.outlet)
     FROM articles LEFT JOIN outlets ON outlets.name = articles.outlet
     WHERE articles.story_id = stories.id LIMIT 1) AS outlet,
    stories.source_count AS articles, stories.last_updated
FROM stories
WHERE stories.outlet_count = 1
ORDER BY stories.last_updated DESC, stories.id DESC
LIMIT 50""",
)

# The outlets that were ever crawled, read from the crawl_runs_outlet_started index one
# outlet at a time (a skip scan), so the cost grows with outlets, not with runs.
CRAWL_HEALTH = CannedQuery(
    name="crawl_health",
    title="Crawl health per outlet",
    description=(
        "For every outlet: its last crawl (when, status, articles fetched, new, failed, first "
        "error), the runs and failed runs of the last 7 days, new articles per day over those "
        "7 days and the newest article stored. Status is ok, partial (some pages failed), "
        "failed, interrupted or running."
    ),
    sql="""WITH RECURSIVE crawled(outlet) AS (
    SELECT min(outlet) FROM crawl_runs
    UNION ALL
    SELECT (SELECT min(outlet) FROM crawl_runs WHERE outlet > crawled.outlet)
    FROM crawled WHERE crawled.outlet IS NOT NULL
),
known(outlet) AS (
    -- Declared outlets have their hosts; an outlet only named by an import (domains '[]') is never crawled.
    SELECT outlet FROM crawled WHERE outlet IS NOT NULL UNION SELECT name FROM outlets WHERE domains != '[]'
),
week(since) AS (SELECT strftime('%Y-%m-%dT%H:%M:%S', 'now', '-7 days'))
SELECT known.outlet, outlets.title,
    last_run.started_at AS last_run, last_run.status AS last_status,
    last_run.fetched AS last_fetched, last_run.new AS last_new, last_run.failed AS last_failed,
    json_extract(last_run.errors, '$[0]') AS last_error,
    (SELECT count(*) FROM crawl_runs
     WHERE outlet = known.outlet AND started_at >= week.since) AS runs_7d,
    (SELECT count(*) FROM crawl_runs
     WHERE outlet = known.outlet AND started_at >= week.since
       AND status IN ('failed', 'partial', 'interrupted')) AS failed_runs_7d,
    (SELECT round(coalesce(sum(new), 0) / 7.0, 1) FROM crawl_runs
     WHERE outlet = known.outlet AND started_at >= week.since) AS new_articles_per_day,
    (SELECT max(published) FROM articles WHERE outlet = known.outlet) AS newest_article
FROM known CROSS JOIN week
LEFT JOIN outlets ON outlets.name = known.outlet
LEFT JOIN crawl_runs AS last_run ON last_run.id = (
    SELECT id FROM crawl_runs WHERE outlet = known.outlet ORDER BY started_at DESC LIMIT 1
)
ORDER BY known.outlet""",
)

# A story matches through its own text or through any of its sources, since the story shows
# only its representative article's words; each story is listed once, at its best match (in a
# GROUP BY with min(), SQLite takes the other columns from the row holding the minimum).
SEARCH_STORIES = CannedQuery(
    name="search_stories",
    title="Search stories",
    description=(
        "Full-text search over every merged story and every one of its sources (title, teaser "
        "and body), best match first. Each word must occur; accents and umlauts are folded "
        "(Munchen finds München); put words in double quotes to search for a phrase."
    ),
    sql="""WITH matches(story_id, rank, match) AS (
    SELECT stories_fts.rowid, stories_fts.rank, snippet(stories_fts, -1, '»', '«', '…', 12)
    FROM stories_fts WHERE stories_fts MATCH escape_fts(:q)
    UNION ALL
    SELECT articles.story_id, articles_fts.rank, snippet(articles_fts, -1, '»', '«', '…', 12)
    FROM articles_fts JOIN articles ON articles.id = articles_fts.rowid
    WHERE articles_fts MATCH escape_fts(:q) AND articles.story_id IS NOT NULL
),
best AS (SELECT story_id, min(rank) AS rank, match FROM matches GROUP BY story_id)
SELECT stories.id AS story_id, stories.title, best.match,
    stories.category, stories.location,
    stories.source_count AS articles, stories.outlet_count AS outlets, stories.last_updated
FROM best JOIN stories ON stories.id = best.story_id
ORDER BY best.rank, stories.id
LIMIT 50""",
)

CANNED_QUERIES: tuple[CannedQuery, ...] = (
    LATEST_STORIES,
    MOST_COVERED_STORIES,
    STORY_SOURCES,
    SINGLE_OUTLET_STORIES,
    CRAWL_HEALTH,
    SEARCH_STORIES,
)
