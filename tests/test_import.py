"""`newsagg import`, `newsagg regroup` and `newsagg stories` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from crawlers.pipelines import clean_article
from db.schema import connect
from scheduler.cli import cli

DATA = Path(__file__).parent / "data"
GOOD = {"url": "https://www.rosenheim24.de/rosenheim/brand-123.html", "title": "Brand in der Altstadt",
        "teaser": "Die Feuerwehr war mit 40 Kräften im Einsatz.", "published": "2026-05-18T10:00:00+02:00",
        "authors": ["Anna Muster"], "section": "ignored"}


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_bad_lines_are_reported_by_number_and_skipped_while_good_lines_are_kept(tmp_path):
    source = tmp_path / "mixed.jsonl"
    source.write_text("\n".join([
        json.dumps(GOOD),
        "{not json",
        json.dumps({"title": "no url"}),
        json.dumps({"url": "https://example.org/x"}),
        json.dumps({**GOOD, "url": "https://example.org/date", "published": "gestern"}),
        json.dumps({**GOOD, "url": "https://example.org/ok2", "title": "Zweite Meldung"}),
    ]) + "\n", encoding="utf-8")
    result = run("import", str(source), "--db", str(tmp_path / "news.db"))
    assert result.exit_code == 1
    for expected in ("line 2: not JSON", "line 3: no url", "line 4: no title", "line 5: unreadable date 'gestern'"):
        assert expected in result.output
    assert "2 of 6 lines imported" in result.output
    conn = connect(str(tmp_path / "news.db"))
    rows = conn.execute("SELECT url, story_id FROM articles ORDER BY url").fetchall()
    assert [row["url"] for row in rows] == ["https://example.org/ok2", GOOD["url"]]
    assert all(row["story_id"] is not None for row in rows)


def test_a_clean_file_exits_0_and_fills_outlet_canonical_url_and_hash(tmp_path):
    source = tmp_path / "good.jsonl"
    source.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    result = run("import", str(source), "--db", str(tmp_path / "news.db"))
    assert result.exit_code == 0, result.output
    row = connect(str(tmp_path / "news.db")).execute("SELECT * FROM articles").fetchone()
    assert (row["outlet"], row["canonical_url"], json.loads(row["authors"])) == (
        "www.rosenheim24.de", GOOD["url"], ["Anna Muster"])
    assert len(row["content_hash"]) == 64


def test_an_imported_article_is_cleaned_exactly_as_a_crawled_one(tmp_path):
    # Made up for this test: the damage a page's text often has — a soft hyphen, white space at the
    # ends of lines, empty lines, mojibake, an author named twice — in an import line.
    line = {**GOOD, "title": " Brand in der Alt\u00adstadt ", "teaser": "Die Feuerwehr war fÃ¼r Stunden da.",
            "body": "Erster Absatz,  \nzweite Zeile.\n\n\n  Zweiter Absatz. ", "authors": ["Anna Muster ", "Anna Muster"]}
    source = tmp_path / "damaged.jsonl"
    source.write_text(json.dumps(line) + "\n", encoding="utf-8")
    assert run("import", str(source), "--db", str(tmp_path / "news.db")).exit_code == 0
    row = dict(connect(str(tmp_path / "news.db")).execute("SELECT * FROM articles").fetchone())
    crawled = clean_article({**line, "canonical_url": line["url"], "outlet": "www.rosenheim24.de"})
    assert {key: row[key] for key in ("title", "teaser", "body")} == {key: crawled[key] for key in ("title", "teaser", "body")} == {
        "title": "Brand in der Altstadt", "teaser": "Die Feuerwehr war für Stunden da.",
        "body": "Erster Absatz,\nzweite Zeile.\n\nZweiter Absatz."}
    assert json.loads(row["authors"]) == crawled["authors"] == ["Anna Muster"]


def test_importing_the_same_file_again_changes_nothing(tmp_path):
    db = str(tmp_path / "news.db")
    source = DATA / "semeval-de-pairs-sample.jsonl"
    run("import", str(source), "--db", db)
    before = connect(db).execute("SELECT url, story_id, copy_of FROM articles ORDER BY url").fetchall()
    result = run("import", str(source), "--db", db)
    assert "(0 new, 0 updated, 4 unchanged)" in result.output
    after = connect(db).execute("SELECT url, story_id, copy_of FROM articles ORDER BY url").fetchall()
    assert [tuple(row) for row in before] == [tuple(row) for row in after]


def test_stories_lists_the_newest_merged_stories_with_their_sources(tmp_path):
    db = str(tmp_path / "news.db")
    run("import", str(DATA / "uci-news-sample.jsonl"), "--db", db)
    text = run("stories", "--db", db, "--limit", "2")
    assert text.exit_code == 0
    assert text.output.count("\n#") + text.output.startswith("#") == 2
    assert "sources," in text.output and "http" in text.output
    lines = run("stories", "--db", db, "--json", "--limit", "3").output.splitlines()
    stories = [json.loads(line) for line in lines]
    assert len(stories) == 3
    assert all(story["sources"] and story["source_count"] == len(story["sources"]) for story in stories)
    assert stories[0]["last_updated"] >= stories[-1]["last_updated"]


def test_stories_since_skips_older_stories(tmp_path):
    db = str(tmp_path / "news.db")
    run("import", str(DATA / "uci-news-sample.jsonl"), "--db", db)
    assert run("stories", "--db", db, "--since", "2030-01-01").output == ""


def test_regroup_rebuilds_the_same_stories(tmp_path):
    db = str(tmp_path / "news.db")
    run("import", str(DATA / "uci-news-sample.jsonl"), "--db", db)
    before = connect(db).execute("SELECT url, story_id FROM articles ORDER BY url").fetchall()
    result = run("regroup", "--db", db)
    assert result.exit_code == 0 and result.output.endswith(" stories\n")
    after = connect(db).execute("SELECT url, story_id FROM articles ORDER BY url").fetchall()
    assert [tuple(row) for row in before] == [tuple(row) for row in after]


def test_check_names_each_story_that_disagrees_with_its_articles_and_repair_rewrites_it(tmp_path):
    db = str(tmp_path / "news.db")
    assert run("import", str(DATA / "uci-news-sample.jsonl"), "--db", db).exit_code == 0
    assert run("check", "--db", db).output == "every story agrees with its articles\n"
    conn = connect(db)
    story_id = conn.execute("SELECT id FROM stories ORDER BY source_count DESC LIMIT 1").fetchone()[0]
    conn.execute("UPDATE stories SET source_count = 0 WHERE id = ?", (story_id,))   # what a lost rewrite leaves
    conn.close()
    found = run("check", "--db", db)
    assert found.exit_code == 1
    assert f"story {story_id}: source_count 0, its articles give 10" in found.output
    repaired = run("check", "--db", db, "--repair")
    assert (repaired.exit_code, repaired.output.splitlines()[-1]) == (0, "1 story rewritten from their articles")
    assert run("check", "--db", db).exit_code == 0


def test_a_line_that_would_change_another_outlets_article_is_a_bad_line_and_the_rest_is_imported(tmp_path):
    db = str(tmp_path / "news.db")
    first = tmp_path / "first.jsonl"
    first.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    assert run("import", str(first), "--db", db).exit_code == 0
    second = tmp_path / "second.jsonl"   # made up: the same address claimed by another outlet, then a good line
    second.write_text(json.dumps({**GOOD, "outlet": "made-up-other", "title": "Fremder Titel"}) + "\n"
                      + json.dumps({**GOOD, "url": "https://example.org/ok3", "title": "Dritte Meldung"}) + "\n", encoding="utf-8")
    result = run("import", str(second), "--db", db)
    assert result.exit_code == 1
    assert "line 1: " in result.output and "www.rosenheim24.de" in result.output
    conn = connect(db)
    titles = {row["url"]: (row["outlet"], row["title"]) for row in conn.execute("SELECT url, outlet, title FROM articles")}
    assert titles[GOOD["url"]] == ("www.rosenheim24.de", GOOD["title"])
    assert titles["https://example.org/ok3"][1] == "Dritte Meldung"
