"""One reading of dates for pages, feeds, imports, grouping and the store (db.dates)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from crawlers.extract import extract_article
from db.dates import epoch_seconds, iso_datetime, parse_datetime, publication_datetime
from dedupe.features import event_time

BERLIN_NOON_UTC = datetime(2026, 5, 18, 10, tzinfo=timezone.utc).timestamp()   # 12:00 in Berlin (summer time)


def test_a_time_without_offset_is_a_berlin_time_in_extraction_and_in_grouping_alike():
    assert iso_datetime("2026-05-18T12:00:00") == "2026-05-18T12:00:00+02:00"
    assert epoch_seconds("2026-05-18T12:00:00") == BERLIN_NOON_UTC
    assert event_time({"published": "2026-05-18 12:00"}) == BERLIN_NOON_UTC


@pytest.mark.parametrize("value", ["2026-05-18T12:00:00+02:00", "2026-05-18T10:00:00Z", "Mon, 18 May 2026 12:00:00 +0200",
                                   "18.05.2026, 12:00 Uhr", "2026-05-18T12:00:00+02:00[Europe/Berlin]",
                                   "18. Mai 2026, 12:00 Uhr", "Veröffentlicht am 18. Mai 2026 um 12:00"])
def test_every_form_a_page_or_feed_writes_reads_as_the_same_moment(value):
    assert epoch_seconds(value) == BERLIN_NOON_UTC
    assert parse_datetime(value).timestamp() == BERLIN_NOON_UTC


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "gestern", "", None, 5])
def test_a_date_beyond_the_calendar_or_unreadable_is_none_never_an_exception(value):
    assert (iso_datetime(value), publication_datetime(value)) == (None, None)


def test_a_placeholder_publication_date_gives_way_to_the_next_date_on_the_page():
    # Made up: a page whose JSON-LD carries a CMS placeholder, and whose meta tag the real date.
    ld = json.dumps({"@type": "NewsArticle", "headline": "Brand in der Altstadt", "datePublished": "0001-01-01T00:00:00Z"})
    page = f"""<html><head><title>Brand in der Altstadt</title>
        <meta property="article:published_time" content="2026-05-18T12:00:00+02:00">
        <script type="application/ld+json">{ld}</script></head>
        <body><article><h1>Brand in der Altstadt</h1>
        <p>{"Die Feuerwehr war mit vierzig Kräften im Einsatz, um den Brand in der Altstadt zu löschen. " * 6}</p>
        <p>{"Verletzt wurde niemand, die Polizei ermittelt nun zur Ursache des Feuers im Dachstuhl. " * 6}</p>
        </article></body></html>"""
    article = extract_article(page.encode(), "https://example.org/brand.html", ())
    assert article["published"] == "2026-05-18T12:00:00+02:00"


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "9999-12-31T00:00:00+00:00", "1970-01-01T00:00:00Z", "2099-01-01T00:00:00Z"])
def test_a_placeholder_is_no_publication_date(value):
    assert iso_datetime(value) is not None
    assert publication_datetime(value) is None
