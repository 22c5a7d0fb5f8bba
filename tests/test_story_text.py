"""What a reader sees of a merged story: the sources' own text (repaired where it enters, never
normalised), a headline, a teaser, a body attributed to outlets by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawlers.pipelines import clean_article
from db.schema import connect
from db.stories import story_members
from dedupe.merge import merged_story
from dedupe.text import MAX_HEADLINE_CHARS, split_headline
from scheduler.cli import cli

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "story-text-sample.jsonl"
FIXTURES = Path(__file__).parent / "fixtures" / "pages"


def sample(url_end: str) -> dict:
    (row,) = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if url_end in line]
    return row


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """The sample and the SemEval pairs sample, imported with the real command."""
    db = str(tmp_path_factory.mktemp("story-text") / "news.db")
    for source in (SAMPLE, DATA / "semeval-de-pairs-sample.jsonl"):
        result = CliRunner().invoke(cli, ["import", str(source), "--db", db])
        assert result.exit_code == 0, result.output
    return connect(db)


def story_of(store, url: str) -> dict:
    return dict(store.execute("SELECT stories.* FROM stories JOIN articles ON articles.story_id = stories.id "
                              "WHERE articles.url = ?", (url,)).fetchone())


def sources_of(store, story: dict) -> list[dict]:
    return [dict(row) for row in store.execute("SELECT * FROM articles WHERE story_id = ?", (story["id"],))]


def paragraphs(story: dict) -> list[str]:
    return (story["body"] or "").split("\n\n")


WEARHOUSE = "http://www.wltx.com/story/money/2014/03/11/mens-warehouse-jos-a-bank/6290291/"
GESCHMACKLOS = "https://semeval2022-task8.invalid/1484038179"


def test_story_title_keeps_the_apostrophes_of_the_source_headline(store):
    story = story_of(store, WEARHOUSE)
    assert story["title"] in {source["title"] for source in sources_of(store, story)}
    assert story["title"].startswith("Men's Wearhouse")


def test_german_quotes_stay_in_the_story_title(store):
    story = story_of(store, GESCHMACKLOS)
    assert story["title"].endswith("„geschmacklos“")


def test_mojibake_in_an_imported_line_is_repaired(store):
    stored = {row["url"]: dict(row) for row in store.execute("SELECT url, title, body FROM articles")}
    plain = stored["https://semeval2022-task8.invalid/1604288758"]
    assert plain["title"].startswith("Bayern will neues Konzept für Versammlungen ausarbeiten\n")
    # Mojibake someone ran through NFKC ("Ã¼" became "Ã1⁄4") is repaired too.
    nfkc_damaged = stored["https://semeval2022-task8.invalid/1602657540"]
    assert "Demo in München" in nfkc_damaged["title"]
    assert not any("Ã" in (row["title"] + (row["body"] or "")) for row in stored.values())


def test_mojibake_in_a_crawled_page_is_repaired_and_its_quotes_kept():
    real = sample("1604288758")   # its real mojibake text as a page might deliver it; the teaser is made up
    title, _, body = real["title"].partition("\n")
    item = {"url": real["url"], "title": title, "teaser": "Der Streit um „Versammlungen“ geht weiter", "body": body}
    article = clean_article(item)
    assert article["title"] == "Bayern will neues Konzept für Versammlungen ausarbeiten"
    assert "Ã" not in article["body"]
    assert article["teaser"] == "Der Streit um „Versammlungen“ geht weiter"


@pytest.mark.parametrize(("url_end", "headline"), [
    ("1489887316", "CNN veröffentlicht Satellitenbilder der beschädigten Militärbasis im Irak"),   # "… Irak Der TV-Sender …"
    ("1489822363", "Die akzeptierte Judenfeindlichkeit"),                                         # headline said twice
    ("1519996737", "Partnerschaft Thore Schölermann wäre Daten «viel zu anstrengend»"),          # "Rust (dpa) - …"
])
def test_a_title_with_text_run_on_is_cut_to_its_headline(store, url_end, headline):
    story = story_of(store, f"https://semeval2022-task8.invalid/{url_end}")
    assert story["title"] == headline


def test_every_story_title_is_a_source_headline_or_its_start_and_none_is_a_paragraph(store):
    stories = [dict(row) for row in store.execute("SELECT * FROM stories WHERE source_count > 0")]
    assert len(stories) >= 8
    for story in stories:
        assert any(source["title"].startswith(story["title"]) for source in sources_of(store, story)), story["title"]
        assert len(story["title"]) <= MAX_HEADLINE_CHARS


def test_a_long_headline_is_cut_at_a_clause_never_mid_word():
    title = sample("1484038179")["title"] + " " + sample("1489887316")["body"]   # made up: two real texts run together
    headline, rest = split_headline(title)
    assert len(headline) <= MAX_HEADLINE_CHARS and title.startswith(headline)
    assert title[len(headline)] in " -–,:"


def test_a_story_whose_sources_have_text_has_their_lead_as_teaser_and_the_body_does_not_repeat_it(store):
    texts = [dict(row) for row in store.execute(
        "SELECT * FROM stories WHERE id IN (SELECT story_id FROM articles WHERE url LIKE '%semeval%')")]
    assert texts and all(story["teaser"] for story in texts)
    story = story_of(store, "https://semeval2022-task8.invalid/1489887316")
    assert story["teaser"].startswith("Der TV-Sender CNN hat am Mittwoch Satellitenbilder veröffentlicht")
    assert all(story["teaser"] not in paragraph and story["title"] not in paragraph for paragraph in paragraphs(story))


def test_a_sources_own_teaser_is_the_story_teaser():
    expected = json.loads((FIXTURES / "t_online" / "TOnline_2026_01_07.expected.json").read_text(encoding="utf-8"))
    member = {"id": 1, "url": expected["source_url"], "outlet": "t_online", "outlet_title": "t-online",
              "title": expected["title"], "teaser": expected["teaser"], "body": "\n\n".join(expected["paragraphs"]),
              "published": None, "fetched_at": "2026-05-18T10:00:00+00:00", "dateline": None, "copy_of": None}
    story = merged_story([member])
    assert story["teaser"] == " ".join(expected["teaser"].split())
    assert story["title"] == expected["title"].strip()
    assert paragraphs(story)[0].startswith("Laut t-online: ")


def test_body_names_each_outlet_by_its_publisher_and_never_repeats_the_title(store):
    story = story_of(store, WEARHOUSE)
    body = paragraphs(story)
    assert len(body) >= 2
    publishers = {"WLTX.com", "Washington Post", "Buffalo News", "Slate Magazine (blog)", "The Patriot-News (blog)",
                  "WIVB", "CBS News", "24/7 Wall St."}
    named = {paragraph.removeprefix("According to ").split(": ", 1)[0] for paragraph in body}
    assert named <= publishers
    assert all(paragraph.split(": ", 1)[1] != story["title"] for paragraph in body)


def test_a_copy_adds_no_paragraph_to_the_body(store):
    members = story_members(store, story_of(store, "https://semeval2022-task8.invalid/1604593351")["id"])
    assert len(members) == 2
    whole = merged_story(members)
    copied = merged_story([members[0], {**members[1], "outlet": "copy-outlet", "copy_of": members[0]["id"]}])
    assert any(p.startswith(f"Laut {members[1]['outlet']}:") for p in paragraphs(whole))
    assert not any("copy-outlet" in p for p in paragraphs(copied))


def test_a_title_on_several_lines_is_its_first_line_and_the_rest_is_text():
    headline, rest = split_headline(sample("1604288758")["title"])
    assert headline == "Bayern will neues Konzept fÃ¼r Versammlungen ausarbeiten"   # as the line has it, unrepaired
    assert rest.startswith("Joachim Herrmann (CSU), Innenminister von Bayern")


def test_a_headline_without_text_run_on_is_kept_whole():
    headline = "Durchsuchungen wegen des Verdachts auf gewerbsmäßigen Betrug und Geldwäsche im Zusammenhang mit dem Betrieb einer Autovermietung sowie auf Rauschgifthandel"
    assert split_headline(headline) == (headline, "")   # a real 155-character police headline, one line
