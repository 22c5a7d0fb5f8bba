"""Grouping behaviour on small real examples: joins, separations, copies, determinism, merged text."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from db.schema import connect
from db.stories import furniture_day, merge_stories, sources_of, story_assignments, story_members
from db.store import transaction, upsert_article
from dedupe.assign import Grouper, group_article, regroup
from dedupe.consistency import disagreements
from dedupe.importing import import_file, parse_line
from dedupe.merge import merged_story
from dedupe.settings import GroupingSettings
from scheduler.config import parse_config

DATA = Path(__file__).parent / "data"
SEMEVAL = "https://semeval2022-task8.invalid/"
SURFERS = (SEMEVAL + "1604904073", SEMEVAL + "1604593351")          # one event, two outlets
WATTENSCHEID = (SEMEVAL + "1525121781", SEMEVAL + "1501397961")     # two events, same town and day


def lines(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path):
    conn = connect(str(tmp_path / "news.db"))
    yield conn
    conn.close()


def imported(store, tmp_path, rows: list[dict], settings: GroupingSettings = GroupingSettings()) -> dict[str, int]:
    result = import_file(store, write(tmp_path / f"in-{random.random()}.jsonl", rows), settings)
    assert not result.errors
    return {url: story_id for url, story_id, _ in story_assignments(store)}


def partition(assignments: dict[str, int]) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    for url, story_id in assignments.items():
        groups.setdefault(story_id, set()).add(url)
    return {frozenset(group) for group in groups.values()}


def test_two_outlets_reporting_one_event_join_one_story(store, tmp_path):
    stories = imported(store, tmp_path, lines("semeval-de-pairs-sample.jsonl"))
    assert stories[SURFERS[0]] == stories[SURFERS[1]]


def test_two_events_on_one_day_in_the_same_town_stay_apart(store, tmp_path):
    stories = imported(store, tmp_path, lines("semeval-de-pairs-sample.jsonl"))
    assert stories[WATTENSCHEID[0]] != stories[WATTENSCHEID[1]]


# What a site wraps every article in (written for this test): a consent banner, a picture credit,
# share buttons, a "read more" link.
PAGE_FURNITURE = (
    "Wir verwenden Cookies und ähnliche Technologien, um Inhalte und Werbung zu personalisieren und die "
    "Zugriffe auf unsere Website zu analysieren. Mit einem Klick auf „Akzeptieren“ stimmen Sie der "
    "Verarbeitung Ihrer Daten durch uns und unsere Partner zu. Ihre Einwilligung können Sie jederzeit in "
    "den Datenschutz-Einstellungen widerrufen.\nFoto: Wiebke Quastenberg/dpa\nJetzt teilen:\n"
)


def test_two_events_from_one_site_sharing_its_consent_banner_stay_apart(store, tmp_path):
    sample = lines("semeval-de-labeled-sample.jsonl")
    police, child = (dict(sample[index]) for index in (5, 12))   # Erster Mai / Junge überrollt
    for row in (police, child):
        row["body"] = PAGE_FURNITURE + row["body"] + "\nLesen Sie auch: Die wichtigsten Nachrichten des Tages"
    stories = imported(store, tmp_path, [police, child])
    assert stories[police["url"]] != stories[child["url"]]


def test_english_headlines_of_three_stories_form_three_main_groups(store, tmp_path):
    rows = lines("uci-news-sample.jsonl")
    stories = imported(store, tmp_path, rows)
    for label in {row["story"] for row in rows}:
        members = [stories[row["url"]] for row in rows if row["story"] == label]
        biggest = max(members.count(story_id) for story_id in set(members))
        others = {stories[row["url"]] for row in rows if row["story"] != label}
        assert biggest >= 5, label                     # at least half of a story's headlines are together …
        assert not set(members) & others, label        # … and never with another story's


# Real headlines of two Google News stories from the UCI News Aggregator data (CC BY 4.0), an
# hour apart: bands at SXSW, and Lena Dunham (her SXSW keynote among other news of hers).
SXSW_BANDS = ("SXSW: The bands our music guy will be seeing",
              "The Anti- SXSW: A Festival for the Disheveled at Couch By Couchwest",
              "List: The 20 bands to see at SXSW 2014")
LENA_DUNHAM = ("Lena Dunham Apologizes For Molestation Joke On Twitter",
               "Lena Dunham admits molestation joke was off-colour",
               "Lena Dunham at SXSW 2014: 'Female stars of Girls are being typecast'",
               "Lena Dunham calls out Hollywood sexism in SXSW keynote speech")


def test_two_stories_sharing_only_a_festival_name_stay_apart(store, tmp_path):
    rows = [{"url": f"https://uci-news.invalid/{hour}/{number}", "title": title,
             "published": f"2014-03-11T{hour}:00:0{number}+00:00"}
            for hour, titles in (("08", SXSW_BANDS), ("09", LENA_DUNHAM)) for number, title in enumerate(titles)]
    groups = partition(imported(store, tmp_path, rows))
    assert {url for url in (row["url"] for row in rows) if "/09/" in url} in groups
    assert {url for url in (row["url"] for row in rows) if "/08/" in url} in groups


def test_every_imported_article_gets_a_story_singletons_their_own(store, tmp_path):
    fixture_rows = [{"url": f"https://example.org/{name}", "title": title, "published": "2026-05-18T10:00:00+02:00"}
                    for name, title in (("a", "Brand in Rosenheimer Altstadt"), ("b", "Neuer Trainer für den TSV 1860"))]
    stories = imported(store, tmp_path, fixture_rows)
    assert None not in stories.values() and len(set(stories.values())) == 2


def test_an_agency_copy_in_a_second_outlet_is_marked_as_copy_of_the_first(store, tmp_path):
    original = lines("semeval-de-pairs-sample.jsonl")[0]
    copy = {**original, "url": "https://other-outlet.example/copy", "outlet": "other",
            "published": "2020-06-15T13:00:00+00:00"}
    imported(store, tmp_path, [original, copy])
    rows = {url: (story_id, copy_of) for url, story_id, copy_of in story_assignments(store)}
    original_id = store.execute("SELECT id FROM articles WHERE url = ?", (original["url"],)).fetchone()[0]
    assert rows[copy["url"]] == (rows[original["url"]][0], original_id)
    assert rows[original["url"]][1] is None


def test_the_same_headline_ten_days_later_is_another_story(store, tmp_path):
    first = {"url": "https://example.org/1", "title": "Großbrand in Kolbermoor: Lagerhalle zerstört",
             "published": "2026-05-01T08:00:00+02:00"}
    later = {**first, "url": "https://example.org/2", "published": "2026-05-11T08:00:00+02:00"}
    stories = imported(store, tmp_path, [first, later])
    assert stories[first["url"]] != stories[later["url"]]


def test_stories_are_the_same_whatever_order_the_file_has(tmp_path):
    rows = lines("uci-news-sample.jsonl") + lines("semeval-de-pairs-sample.jsonl")
    shuffled = rows[:]
    random.Random(4).shuffle(shuffled)
    results = []
    for name, order in (("sorted", rows), ("shuffled", shuffled)):
        conn = connect(str(tmp_path / f"{name}.db"))
        import_file(conn, write(tmp_path / f"{name}.jsonl", order), GroupingSettings())
        results.append(story_assignments(conn))
        conn.close()
    assert results[0] == results[1]


def test_regroup_equals_incremental_grouping(store, tmp_path):
    rows = sorted(lines("uci-news-sample.jsonl"), key=lambda row: row["published"])
    imported(store, tmp_path, rows[:12])
    imported(store, tmp_path, rows[12:])                # a second crawl, later articles
    incremental = story_assignments(store)
    regroup(store, GroupingSettings())
    assert story_assignments(store) == incremental


def test_grouper_places_a_crawled_article_inside_the_crawl_transaction(store):
    settings = GroupingSettings()
    grouper = Grouper(store, settings)
    first, second = (parse_line(json.dumps(row), "2026-05-18T10:00:00+00:00")
                     for row in lines("semeval-de-pairs-sample.jsonl")[:2])
    with transaction(store):
        first_id, _ = upsert_article(store, first)
        first_story = grouper.add(first_id)
    with transaction(store):
        second_id, _ = upsert_article(store, second)
        second_story = group_article(store, second_id, settings)   # the one-call form, no held state
    assert first_story == second_story
    assert [source["article_id"] for source in sources_of(store, [first_story])[first_story]] == [first_id, second_id]


def test_grouper_recovers_when_the_transaction_that_opened_a_story_rolled_back(store):
    grouper = Grouper(store, GroupingSettings())
    first, second = (parse_line(json.dumps(row), "2026-05-18T10:00:00+00:00")
                     for row in lines("semeval-de-pairs-sample.jsonl")[:2])
    with pytest.raises(RuntimeError), transaction(store):
        grouper.add(upsert_article(store, first)[0])
        raise RuntimeError("the pipeline failed after grouping")
    with transaction(store):
        article_id, _ = upsert_article(store, second)
        story_id = grouper.add(article_id)
    assert store.execute("SELECT story_id FROM articles WHERE id = ?", (article_id,)).fetchone()[0] == story_id


def test_articles_grouped_by_another_connection_meanwhile_are_matched(store, tmp_path):
    """Two crawls at once (the daemon's outlets): each sees what the other grouped after it loaded."""
    other = connect(str(tmp_path / "news.db"))
    first, second = (parse_line(json.dumps(row), "2026-05-18T10:00:00+00:00")
                     for row in lines("semeval-de-pairs-sample.jsonl")[:2])
    made_up_unrelated = parse_line(json.dumps({"url": "https://made-up.invalid/weather", "title": "Wetter: Sonniges Wochenende erwartet",
                                               "published": first["published"]}), "2026-05-18T10:00:00+00:00")
    mine, theirs = Grouper(store, GroupingSettings()), Grouper(other, GroupingSettings())
    with transaction(other):
        theirs.add(upsert_article(other, made_up_unrelated)[0])  # their window is loaded now
    with transaction(store):
        first_story = mine.add(upsert_article(store, first)[0])
    with transaction(other):
        second_story = theirs.add(upsert_article(other, second)[0])
    other.close()
    assert second_story == first_story


def test_stories_filled_before_another_connections_merge_is_noticed_are_still_written(store, tmp_path):
    """Two imports at once: one merged away a story the other still holds; the other's batch must
    still write every story it filled before it noticed."""
    other = connect(str(tmp_path / "news.db"))
    surfers, wattenscheid_fire, wattenscheid_other = (
        parse_line(json.dumps(row), "2026-05-18T10:00:00+00:00") for row in lines("semeval-de-pairs-sample.jsonl")
        if row["url"] in (SURFERS[0], *WATTENSCHEID))
    mine = Grouper(store, GroupingSettings())
    with transaction(store):
        fire_story = mine.add(upsert_article(store, wattenscheid_fire)[0])
        kept_story = mine.add(upsert_article(store, wattenscheid_other)[0])
    with transaction(other):   # what the other import's merge does: the fire story is gone
        merge_stories(other, kept_story, fire_story)
    other.close()
    # The fire report again at an address that sorts after the surfers', so that it comes second in the batch.
    repeat = {**wattenscheid_fire, "url": SEMEVAL + "9-repeat", "canonical_url": SEMEVAL + "9-repeat"}
    with transaction(store):
        ids = [upsert_article(store, surfers)[0], upsert_article(store, repeat)[0]]
        placed = mine.add_many(ids)
    assert disagreements(store) == []
    assert store.execute("SELECT source_count FROM stories WHERE id = ?", (placed[ids[0]],)).fetchone()[0] == 1


def test_merged_story_attributes_every_paragraph_to_its_outlet(store, tmp_path):
    stories = imported(store, tmp_path, lines("semeval-de-pairs-sample.jsonl"))
    store.execute("UPDATE articles SET outlet = 'Berliner Zeitung' WHERE url = ?", (SURFERS[1],))
    members = story_members(store, stories[SURFERS[0]])
    story = merged_story(members)
    paragraphs = story["body"].split("\n\n")
    assert all(paragraph.startswith(("Laut semeval: ", "Laut Berliner Zeitung: ")) for paragraph in paragraphs)
    assert any(paragraph.startswith("Laut Berliner Zeitung: ") for paragraph in paragraphs)
    assert (story["source_count"], story["outlet_count"]) == (2, 2)


def test_grouping_settings_come_from_the_config_grouping_table():
    config = parse_config({"grouping": {"threshold": 0.3, "window_hours": 48, "decay_hours": 6}})
    assert (config.grouping.threshold, config.grouping.window_hours, config.grouping.decay_hours) == (0.3, 48.0, 6.0)


def police_releases() -> list[dict]:
    return lines("police-de-sample.jsonl")


def test_releases_of_one_police_office_on_one_day_stay_apart(store, tmp_path):
    releases = [row for row in police_releases() if row["published"].startswith("2025-01-01")]
    stories = imported(store, tmp_path, releases)
    assert len(releases) >= 10
    assert len({stories[row["url"]] for row in releases}) == len(releases)


def test_no_two_police_releases_of_different_incidents_share_a_story(store, tmp_path):
    releases = police_releases()
    stories = imported(store, tmp_path, releases)
    incidents_of: dict[int, set[str]] = {}
    for row in releases:
        incidents_of.setdefault(stories[row["url"]], set()).add(row["incident"])
    assert all(len(incidents) == 1 for incidents in incidents_of.values())


def test_a_follow_up_release_joins_its_first_release_two_weeks_later(store, tmp_path):
    stories = imported(store, tmp_path, police_releases())
    first, follow_up = (row for row in police_releases() if "Modeon" in row["title"])
    assert stories[first["url"]] == stories[follow_up["url"]]


def test_a_follow_up_citing_a_release_number_joins_that_release(store, tmp_path):
    first = next(row for row in police_releases() if "Nr. 0014" in row["body"])
    # Made up for this test: a follow-up in Polizei Berlin's format that cites the first release.
    follow_up = {"url": "https://made-up.invalid/polizei/folgemeldung", "outlet": first["outlet"],
                 "title": "Folgemeldung zu Nr. 0014: Weitere Festnahmen nach Silvester",
                 "body": "Nr. 0052\nFolgemeldung zu Nr. 0014 vom 1. Januar 2025\nInzwischen wurden drei weitere Männer festgenommen.",
                 "published": "2025-01-04T12:00:00+01:00"}
    stories = imported(store, tmp_path, police_releases() + [follow_up])
    assert stories[first["url"]] == stories[follow_up["url"]]


def test_a_follow_up_of_one_member_at_a_storys_edge_does_not_join_that_story(store, tmp_path):
    # Made up for this test: six outlets report a fire, another adds the rescued cat (a member at
    # the story's edge, outside its core); four days later that outlet writes about the cat again,
    # naming the day.
    # It matches the cat report alone, none of the story's core: it starts a story of its own.
    def report(outlet: str, title: str, published: str) -> dict:
        return {"url": f"https://made-up.invalid/{outlet}/{len(title)}", "outlet": f"made-up-{outlet}",
                "title": title, "published": published}
    fire = [report("a", "Lagerhalle einer Spedition in Flammen: Millionenschaden", "2026-03-02T08:00:00+01:00"),
            report("b", "Spedition: Lagerhalle in Flammen, Millionenschaden", "2026-03-02T09:00:00+01:00"),
            report("c", "Millionenschaden: Lagerhalle einer Spedition brennt nieder", "2026-03-02T10:00:00+01:00"),
            report("e", "Lagerhalle in Flammen: Millionenschaden bei Spedition", "2026-03-02T10:30:00+01:00"),
            report("f", "Spedition: Millionenschaden, Lagerhalle in Flammen", "2026-03-02T10:40:00+01:00"),
            report("g", "Lagerhalle einer Spedition brennt: Millionenschaden", "2026-03-02T10:50:00+01:00")]
    cat = report("d", "Brand bei Spedition: Feuerwehr rettet Katze aus der Lagerhalle", "2026-03-02T11:00:00+01:00")
    later = report("d", "Feuerwehr rettete Katze am 2. März: Tierheim sucht nun Besitzer der Katze", "2026-03-06T10:00:00+01:00")
    stories = imported(store, tmp_path, fire + [cat, later])
    assert len({stories[row["url"]] for row in fire + [cat]}) == 1
    assert stories[later["url"]] != stories[cat["url"]]


@pytest.mark.parametrize("named_day", ["in der Silvesternacht", "am 31. Dezember"])
def test_a_follow_up_naming_new_years_eve_joins_the_report_of_that_night_days_later(store, tmp_path, named_day):
    # Made up for this test: an office's report on New Year's Eve, and its follow-up five days
    # later that names the night by name or by its date without a year.
    office = "made-up-polizei"
    first = {"url": "https://made-up.invalid/polizei/1", "outlet": office,
             "title": "Kugelbombe auf dem Emstaler Platz gezündet: Polizist schwer verletzt",
             "body": "In der Silvesternacht zündeten Unbekannte auf dem Emstaler Platz in Tegel eine Kugelbombe. "
                     "Ein Polizist wurde durch die Explosion schwer verletzt.",
             "published": "2025-01-01T09:00:00+01:00"}
    follow_up = {"url": "https://made-up.invalid/polizei/2", "outlet": office,
                 "title": "Kugelbombe auf dem Emstaler Platz: Tatverdächtiger ermittelt",
                 "body": f"Nach der Explosion einer Kugelbombe {named_day} auf dem Emstaler Platz in Tegel, bei der "
                         "ein Polizist schwer verletzt wurde, ermittelte die Polizei einen Tatverdächtigen.",
                 "published": "2025-01-06T14:00:00+01:00"}
    stories = imported(store, tmp_path, police_releases() + [first, follow_up])
    assert stories[first["url"]] == stories[follow_up["url"]]


def test_a_newspaper_report_of_a_police_release_joins_its_story(store, tmp_path):
    release = next(row for row in police_releases() if row["title"].startswith("Raub am Modeon"))
    # Made up for this test: a regional paper's rewrite of the release, as such papers print them.
    report = {"url": "https://made-up.invalid/allgaeu/raub-modeon", "outlet": "made-up-allgaeuer-zeitung",
              "title": "Marktoberdorf: Jugendliche stoßen 13-Jährigen am Modeon vom Fahrrad und rauben es",
              "body": "Zwei unbekannte Jugendliche haben am Freitagnachmittag in Marktoberdorf einen 13-Jährigen im Bereich "
                      "des Modeons vom Fahrrad gestoßen und sind mit dem weißen Mountainbike der Marke Cube davongefahren. "
                      "Der Junge wurde bei dem Sturz leicht am Kopf verletzt, sein Mobiltelefon beschädigt. Die Polizei "
                      "Marktoberdorf sucht Zeugen.",
              "published": "2026-08-08T14:30:00+02:00"}
    stories = imported(store, tmp_path, police_releases() + [report])
    assert stories[release["url"]] == stories[report["url"]]


def test_regroup_of_police_releases_equals_two_imports_of_a_shuffled_file(store, tmp_path):
    releases = sorted(police_releases(), key=lambda row: row["published"])
    earlier, later = releases[:15], releases[15:]
    for part in (earlier, later):
        random.Random(7).shuffle(part)
        incremental = imported(store, tmp_path, part)
    regroup(store, GroupingSettings())
    regrouped = {url: story_id for url, story_id, _ in story_assignments(store)}
    assert partition(regrouped) == partition(incremental)
    assert len(partition(regrouped)) < len(releases)   # the follow-ups joined, so the test can fail


# Real SemEval articles of one day: two pairs rated "same story" (animal tests for a Corona vaccine;
# Guterres on the world's fight against the virus), Austria's vice-chancellor on a "Lerneffekt", and
# two headlines of one prison riot in Mexico, one of them run on into an unrelated question box.
ANIMAL_TESTS = (SEMEVAL + "1586893419", SEMEVAL + "1587582551")
GUTERRES = (SEMEVAL + "1564750167", SEMEVAL + "1564478228")
LERNEFFEKT = SEMEVAL + "1569283195"
PRISON_RIOT = (SEMEVAL + "1484152927", SEMEVAL + "1483963364")


def test_reports_sharing_only_their_subject_corona_stay_apart(store, tmp_path):
    stories = imported(store, tmp_path, lines("semeval-de-subjects-sample.jsonl"))
    assert stories[ANIMAL_TESTS[0]] == stories[ANIMAL_TESTS[1]]
    assert stories[GUTERRES[0]] == stories[GUTERRES[1]]
    assert len({stories[ANIMAL_TESTS[0]], stories[GUTERRES[0]], stories[LERNEFFEKT]}) == 3


def test_two_headlines_saying_the_same_join_although_one_page_carries_unrelated_text(store, tmp_path):
    stories = imported(store, tmp_path, lines("semeval-de-subjects-sample.jsonl"))
    assert stories[PRISON_RIOT[0]] == stories[PRISON_RIOT[1]]


def test_a_days_furniture_kept_in_the_store_is_learned_again_once_an_article_of_that_day_arrives(store, tmp_path):
    imported(store, tmp_path, police_releases())
    kept = furniture_day(store, "2026-08-07")
    assert kept is not None and "Schwaben" in kept
    late = {"url": "https://made-up.invalid/polizei/spaet", "outlet": "made-up-outlet",   # made up for this test
            "title": "Nachgereichte Meldung", "published": "2026-08-07T23:00:00+02:00"}
    imported(store, tmp_path, [late])
    # The releases of 2026-08-08 loaded with the late one are weighed by a profile of 08-07 again.
    assert '"made-up-outlet": [1, ' in furniture_day(store, "2026-08-07")
    assert furniture_day(store, "2026-08-01") is not None


def test_stories_name_places_in_the_configured_language(store, tmp_path):
    german = imported(store, tmp_path, lines("semeval-de-pairs-sample.jsonl"))
    location = "SELECT location FROM stories WHERE id = ?"
    # "Wattenscheid: Stichflamme in Werkstatt-Tankstelle Eppendorf": the town named first, not Hamburg's Eppendorf.
    assert store.execute(location, (german[WATTENSCHEID[0]],)).fetchone()[0] == "Wattenscheid, Deutschland"
    regroup(store, GroupingSettings(place_names="en"))
    english = {url: story_id for url, story_id, _ in story_assignments(store)}
    assert store.execute(location, (english[WATTENSCHEID[0]],)).fetchone()[0] == "Wattenscheid, Germany"
