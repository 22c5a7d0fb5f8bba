"""A merged story's location (Ort) and category (Vorfall), on the real fixture pages and small examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dedupe.category import categorise
from dedupe.location import dateline_of, locate
from dedupe.merge import merged_story

DATA = Path(__file__).parent / "data"
FIXTURES = Path(__file__).parent / "fixtures" / "pages"


def fixture_story(outlet: str, page: str) -> dict:
    expected = json.loads((FIXTURES / outlet / f"{page}.expected.json").read_text(encoding="utf-8"))
    member = {"id": 1, "url": expected["source_url"], "outlet": outlet, "title": expected["title"],
              "teaser": expected.get("teaser"), "body": "\n\n".join(expected.get("paragraphs") or []) or None,
              "published": None, "fetched_at": "2026-05-18T10:00:00+00:00", "dateline": None, "copy_of": None}
    return merged_story([member])


def semeval_story(url_end: str) -> dict:
    rows = [json.loads(line) for line in (DATA / "semeval-de-labeled-sample.jsonl").read_text(encoding="utf-8").splitlines()]
    (row,) = [row for row in rows if row["url"].endswith(url_end)]
    return merged_story([{"id": 1, "teaser": None, "dateline": None, "copy_of": None, "fetched_at": row["published"], **row}])


def test_a_dateline_written_at_home_about_abroad_gives_the_place_abroad():
    story = fixture_story("rosenheim24", "Merkur_2023_04_28")     # "München/London – Kurz vor der Krönung …"
    assert story["location"] == "London, Vereinigtes Königreich"
    assert story["category"] == "Sonstiges"


def test_a_common_german_noun_is_not_taken_for_a_town_abroad():
    story = fixture_story("berliner_zeitung", "BerlinerZeitung_2026_05_18")   # "Kitas", "Berliner Imam"
    assert story["location"] == "Berlin, Deutschland"


def test_a_ship_name_is_not_taken_for_a_village_abroad():
    story = fixture_story("t_online", "TOnline_2026_01_07")       # the tanker "Bella 1"
    assert story["location"] in ("Vereinigte Staaten", "Russland")
    assert story["category"] == "Politik"


@pytest.mark.parametrize(("url_end", "location", "category"), [
    ("1605060190", "Tokio, Japan", "Wirtschaft"),              # TOKIO (dpa-AFX) - Das Elektronik-Geschäft von Sony …
    ("1483980843", "Essen, Deutschland", "Brand"),             # Essen: Einsatz wegen Randale endet mit Brand an Polizeiauto
    ("1483961516", "Schwandorf, Deutschland", "Brand"),        # below the old gazetteer's size limit, named "Schwandorf in Bayern" there
    ("1484791563", "Nordkorea", "Politik"),                    # no town: the country
    ("1510754896", "Göttingen, Deutschland", "Kriminalität"),  # Mit Machete auf den Vater eingeschlagen
])
def test_real_german_articles_get_their_place_and_incident(url_end, location, category):
    story = semeval_story(url_end)
    assert (story["location"], story["category"]) == (location, category)


@pytest.mark.parametrize(("headline", "lead", "expected"), [
    ("Das Essen war kalt", "Nach dem Essen. Danach gingen alle heim.", None),
    ("Großeinsatz in Essen", "", "Essen, Deutschland"),
    ("Essen: Einsatz endet mit Brand", "", "Essen, Deutschland"),
    ("Feier im Vereinsheim", "Die Mitglieder der KAB in Fuchsmühl feierten.", "Fuchsmühl, Deutschland"),
    ("Unfall", "Bild-Infos Download Hamburg (ots) Zeit: 15.06.2020", "Hamburg, Deutschland"),
])
def test_a_town_whose_name_is_also_a_word_counts_only_where_used_as_a_place(headline, lead, expected):
    assert locate([], [headline], [lead], "de") == expected


def test_a_dateline_town_the_gazetteer_lacks_takes_the_country_of_the_places_named():
    lead = "STEINFISCHBACH - (red). Am Neujahrsmorgen prallte eine Autofahrerin in Richtung Idstein gegen eine Mauer."
    assert locate([dateline_of(lead)], ["Steinmauer durchbrochen"], [lead], "de") == "Steinfischbach, Deutschland"


def test_datelines_of_several_places_from_home_take_the_first():
    assert dateline_of("Köln / Göttingen. Aktionstag gegen Tierversuche") == "Köln/Göttingen"
    assert locate(["Stuttgart/Berlin"], ["Vogelsterben"], ["NABU teilte in Berlin mit"], "de") == "Stuttgart, Deutschland"
    assert dateline_of("Die Polizei meldet. Text") is None
    assert locate([], ["Trump – der Präsident in der Krise"], [""], "de") is None


@pytest.mark.parametrize(("headline", "expected"), [
    ("Light earthquake felt in Anchorage", "Anchorage, Vereinigte Staaten"),
    ("Mark Carney faces lawmakers over FX", None),                         # a person, not Carney, Oklahoma
    ("White House: $179B Fannie/Freddie profits expected", None),          # not Casablanca's translated name
    ("Colorado collects $2M in recreational pot taxes", "Vereinigte Staaten"),  # a US state: the country
])
def test_english_headlines_name_places_in_english(headline, expected):
    assert locate([], [headline], [""], "en") == expected


@pytest.mark.parametrize(("headline", "lead", "expected"), [
    ("Titanfall to Thunder Into Game Stores Monday Night", "", "Sonstiges"),   # no "fall", no fire
    ("Yahoo CEO fired after earnings miss", "", "Wirtschaft"),
    ("Küchenbrand in Landshut", "Die Feuerwehr löschte die Flammen.", "Brand"),
    ("Verkehrsunfall auf der B15", "Ein Autofahrer wurde schwer verletzt.", "Unfall"),
    ("Brandenburg beschließt Haushalt", "", "Sonstiges"),                      # not a fire
    ("Festnahme nach Messerangriff", "Die Polizei ermittelt gegen den Tatverdächtigen.", "Kriminalität"),
    ("Minister besucht Unfallstelle", "Der Innenminister sprach mit der Landesregierung über den Unfall.", "Unfall"),
    ("Geselligkeit im Vordergrund", "Die Mitglieder haben das Jahr gemütlich ausklingen lassen.", "Sonstiges"),
])
def test_category_comes_from_whole_cue_words_incidents_first(headline, lead, expected):
    assert categorise([headline], [lead]) == expected


def test_english_cues_are_whole_words_of_the_given_language():
    assert categorise(["Dick's Sporting Goods Q4 earnings top expectations"], [""], "en") == "Wirtschaft"
    assert categorise(["Brand new iPhone shown"], [""], "en") == "Technik"


def test_merged_story_takes_a_small_towns_dateline_and_names_the_fire():
    member = {"id": 1, "url": "https://www.rosenheim24.de/a.html", "outlet": "rosenheim24", "teaser": None,
              "title": "Großbrand in Lagerhalle: Feuerwehr kämpft gegen Flammen", "published": None,
              "body": "Kolbermoor – In der Nacht brach in einer Lagerhalle ein Feuer aus.",
              "fetched_at": "2026-05-18T10:00:00+00:00", "dateline": None, "copy_of": None}
    story = merged_story([member])
    assert (story["location"], story["category"]) == ("Kolbermoor, Deutschland", "Brand")


@pytest.mark.parametrize(("headlines", "false_town"), [
    (["Deal – Best Buy Offering Titanfall for $15, But Of Course, There's a Catch"], "Deal"),
    (["Lena Dunham - Lena Dunham Apologises For Molestation Tweet"], "Dunham"),
    (["Mark Carney on Scotland, rates, QE and the housing boom", "Forex investigation 'extremely serious' - Carney"],
     "Carney"),
    (["Men's Wearhouse to Buy Jos. A. Bank", "JOS A BANK agrees to deal"], "Jos"),
    (["Virtu Financial files for IPO", "IPO of Virtu delayed"], "Ipo"),
    (["SXSW Film Roundup - Day One"], "Roundup"),
    (["GM Taps Former Lehman Investigator to Lead Recall"], "Lead"),
    (["Google Chromecast Review: Coming To \"Many More Countries\" Soon"], "Many"),
    (["Send business to Google Apps; make big bucks"], "Google"),
])
def test_a_common_word_or_a_persons_name_is_no_town(headlines, false_town):
    location = locate([], headlines, [""] * len(headlines), "en") or ""
    assert false_town not in location


def test_a_surname_named_with_its_first_name_once_is_a_person_in_every_source():
    headlines = ["Carney says UK economy not close to overheating", "BoE's Mark Carney tells MPs"]
    assert locate([], headlines, ["", ""], "en") == "Vereinigtes Königreich"


def test_the_datelines_of_most_sources_win_over_one_sources_other_place():
    # Story 6 of the SemEval import: one source from Tehran, two from "Bagdad/Washington".
    datelines = ["Teheran", "Bagdad/Washington", "Bagdad/Washington"]
    leads = ["Das iranische Außenministerium hat den Geschäftsträger der Schweizer Botschaft in Teheran einbestellt.",
             "Die versuchte Erstürmung der amerikanischen Botschaft in Bagdad hat die Spannungen verschärft.",
             "Die versuchte Erstürmung der amerikanischen Botschaft in Bagdad hat die Spannungen verschärft."]
    headlines = ["Irak-Krise: Iran bestellt Schweizer Diplomaten ein", "Angriffe auf US-Botschaft im Irak",
                 "Spannungen mit Iran verschärft"]
    assert locate(datelines, headlines, leads, "de") == "Bagdad, Irak"


def test_a_country_has_one_name_in_the_products_language_whatever_the_articles():
    assert locate([], ["U.S. Stock-Index Futures Are Little Changed"], [""], "en") == "Vereinigte Staaten"
    assert locate([], ["USA stoppen Geisterschiff"], [""], "de") == "Vereinigte Staaten"
    assert locate([], ["U.S. Stock-Index Futures Are Little Changed"], [""], "en", names_language="en") == "United States"


def test_a_part_of_a_big_city_is_the_city():
    lead = "Gestern Nachmittag warf in Hellersdorf ein Unbekannter pyrotechnische Gegenstände nach einem Heranwachsenden."
    assert locate([], ["Gefährliche Körperverletzung durch Pyrotechnik"], [lead], "de") == "Berlin, Deutschland"


def test_a_compound_word_is_not_read_as_someone_from_a_town():
    assert locate([], ["Deutsche Bahn schult Flüchtlinge um"], ["Der Konzern baut seine Programme aus."], "de") is None


def test_a_compound_opening_a_headline_like_a_dateline_names_no_town_abroad():
    # The real SemEval headline that gave "Corona, Vereinigte Staaten"; the lead is made up.
    headline = "Corona-Appell – Kogler weist Freizeitsportler zurecht"
    assert locate([], [headline], ["Der Vizekanzler mahnte zur Vorsicht."], "de") != "Corona, Vereinigte Staaten"
    assert locate([], ["Hamburg-Besuch – Kanzler trifft Bürgermeister"], [""], "de") == "Hamburg, Deutschland"


@pytest.mark.parametrize(("headline", "expected"), [
    ("Den Haag: Fünf Surfer vor niederländischer Küste getötet", "Den Haag, Niederlande"),   # real SemEval headline
    ("Papst empfängt Pilger in Rom", "Rom, Italien"),                                        # made up, as the next
    ("Messe in Mailand eröffnet", "Mailand, Italien"),
])
def test_a_foreign_city_under_its_german_name_is_found(headline, expected):
    assert locate([], [headline], [""], "de") == expected


def test_the_category_is_what_most_sources_say():
    headlines = ["Public transit ridership mostly down in Tenn.",
                 "More People Rode Public Transit Last Year Than Any Time In The Last 60 Years",
                 "Americans make most journeys on public transport for 50 years",
                 "American Transit Ridership Hits 57-Year High",
                 "Is spitting in TriMet driver's face 'assault'? Union wants hostile riders taken more seriously"]
    assert categorise(headlines, [""] * len(headlines), "en") == "Sonstiges"
    assert categorise(headlines[-1:], [""], "en") == "Kriminalität"


def test_a_few_sources_naming_a_topic_outweigh_more_saying_nothing_in_particular():
    headlines = ["Justice Department probing GM recall", "GM Facing Criminal Probe Over Recall",
                 "What to do when your car is on a list", "GM faces investigations", "How GM got here"]
    assert categorise(headlines, [""] * len(headlines), "en") == "Wirtschaft"


@pytest.mark.parametrize(("headline", "lead", "expected"), [
    ("Gesundheitsminister legt Gesetzentwurf vor", "", "Politik"),          # a minister of health is a minister
    ("Trump sieht USA auf dem Weg zur Erholung", "Die Arbeitslosenquote sank, sagten Mitglieder des Kongresses.",
     "Sonstiges"),                                                          # no "Quote" of a show, no "Lieder"
])
def test_a_german_compound_is_of_the_kind_its_head_names(headline, lead, expected):
    assert categorise([headline], [lead], "de") == expected


@pytest.mark.parametrize(("headline", "lead", "expected"), [
    # Offences and the police units that investigate them, as police releases name them (leads shortened from real ones).
    ("Unberechtigt mit Blaulicht gefahren", "Es wurde ein Strafermittlungsverfahren wegen Amtsanmaßung eingeleitet.",
     "Kriminalität"),
    ("Vor Ticketkontrolle geflüchtet", "An der Haltestelle entstand ein Handgemenge. Er gab an, die Kontrolleure "
     "hätten sein Ticket entwendet.", "Kriminalität"),
    # Real police headlines (leads left out): robbery and drug driving in compounds, assaults.
    ("Raubüberfall am U-Bahnhof", "", "Kriminalität"),
    ("Drogenfahrt in Neu-Ulm", "", "Kriminalität"),
    ("Mann mit Flasche niedergeschlagen", "", "Kriminalität"),
    # Heads of state, armed forces, protests and reforms are politics.
    ("Versammlungen mit Bezug zum Nahostkonflikt am Silvestertag", "", "Politik"),
    ("Trump deutet auf einen Vergeltungsschlag gegen Saudi-Arabien hin", "", "Politik"),
    ("Neujahrsansprache der Bundespräsidentin", "Sie kaufte Brot in einer Bäckerei.", "Politik"),
    ("Milizen im Irak", "Die US-Luftangriffe auf die Milizen gehen nach hinten los.", "Politik"),
    ("Proteste bei Silvesterfeiern", "Tausende Demonstranten zogen durch die Stadt.", "Politik"),
    ("Fünf Jahre nach der Gemeindestrukturreform", "", "Politik"),
    # A firm's disclosure is business even when it blames the pandemic again and again.
    ("DGAP-Adhoc: Brauholding AG nimmt Prognose zurück", "Wegen der Covid-19-Pandemie sinkt der Absatz. Die Pandemie "
     "trifft die Gastronomie; Covid-19 …", "Wirtschaft"),
    ("Quoten: Komödie vor Krimireihe", "5,3 Millionen Zuschauer sahen die Sendung im Ersten.", "Kultur"),
    # A bank's loans are business (shortened from a real advertorial).
    ("Individuelle Finanzierungslösungen", "Sprechen Sie mit unseren Experten über Wohnbaudarlehen und die "
     "Finanzierung Ihres Hausbaus.", "Wirtschaft"),
    # A sum of money is named in every kind of story: a donation is no business news.
    ("Schützenverein spendet 500 Euro", "Die 500 Euro gehen an den Kindergarten, weitere 200 Euro an die Tafel.",
     "Sonstiges"),
])
def test_german_cues_name_what_a_reader_calls_the_category(headline, lead, expected):
    assert categorise([headline], [lead], "de") == expected


def test_a_missing_person_the_police_search_for_is_no_crime():
    # Shortened from a real release of the Hamburg police: the police's name, a clinic, no offence.
    title = ("POL-HH: Vermisstenfahndung nach einem 48-Jährigen\nPolizei Hamburg\nSeit Montag wird der 48-Jährige aus "
             "Billstedt vermisst. Die Polizei fahndet mit einem Lichtbild nach dem Mann.")
    lead = "Er hielt sich zuletzt zu einer Behandlung in einer Klinik auf. Hinweise nimmt die Polizei entgegen."
    assert categorise([title], [lead], "de") == "Sonstiges"
    assert categorise(["Polizei sucht vermisste Seniorin"], ["Die Polizei bittet um Hinweise."], "de") == "Sonstiges"


def test_the_police_named_again_and_again_as_a_releases_sender_is_named_once():
    title = ("Hund im Stadtpark entlaufen\nPolizei Hamburg\nDie Polizei bittet um Hinweise. Zeugen melden sich "
             "bei der Polizei Hamburg.")
    assert categorise([title], [""], "de") == "Sonstiges"
    assert categorise(["Mann in Billstedt niedergeschlagen\nPolizei Hamburg"], [""], "de") == "Kriminalität"


@pytest.mark.parametrize(("headline", "lead", "expected"), [
    # A crime that a book or a film tells of is the work's subject (shortened from a real review).
    ("„Wir, Mädchen in Auschwitz“", "Am Ende des Krieges ermordete ein SS-Kommando 20 Kinder. Die Morde fanden 1945 "
     "statt. Ein neues Buch erzählt davon; der Schriftsteller schrieb darüber auch einen Roman.", "Kultur"),
    ("Krimi zum Sonntag: Der Mörder ist immer der Gärtner", "Im neuen Film ermittelt die Kommissarin.", "Kultur"),
    ("Mann nach Raubüberfall festgenommen", "Er hatte das Buch eines Kunden entwendet.", "Kriminalität"),
])
def test_a_crime_told_in_a_work_is_culture(headline, lead, expected):
    assert categorise([headline], [lead], "de") == expected


@pytest.mark.parametrize(("headline", "lead", "expected"), [
    # In 2020 every story named Corona: who may enter a country is politics, customers' money back business.
    ("Neue Ausnahmebestimmungen für Einreise nach Österreich", "An den Grenzen gelten in Zeiten des Coronavirus "
     "verschärfte Bestimmungen, teilte das Gesundheitsministerium mit.", "Politik"),
    ("Coronavirus: Bei ausgefallenen China-Reisen bekommen Kunden Geld zurück", "Viele Reiseveranstalter haben "
     "Pauschalreisen abgesagt, wegen der neuen Lungenerkrankung. Corona …", "Wirtschaft"),
])
def test_a_corona_story_is_of_the_kind_its_subject_is(headline, lead, expected):
    assert categorise([headline], [lead], "de") == expected


@pytest.mark.parametrize(("headline", "expected"), [
    ("Justin Bieber & Selena Gomez Get Intimate On The Dance Floor", "Kultur"),   # real UCI headlines
    ("Video: Check out Justin Bieber's belligerent deposition", "Kultur"),
    ("Playhouse set to be delivered to Hunter Ellis Monday", "Sonstiges"),       # a person, no show: no star
])
def test_an_english_headline_naming_a_person_with_a_word_of_show_business_is_culture(headline, expected):
    assert categorise([headline], [""], "en") == expected


@pytest.mark.parametrize(("headline", "expected"), [
    ("Familie des toten Sängers entsetzt", "Kultur"),
    ("Auf der Spur des Mörders", "Kriminalität"),
])
def test_a_german_cue_counts_in_its_inflected_forms(headline, expected):
    assert categorise([headline], [""], "de") == expected


@pytest.mark.parametrize(("headline", "expected"), [
    # Real UCI headlines: the economy and firms' money, shows and celebrities, games and devices.
    ("OECD: Emerging Economies Holding Back Global Recovery", "Wirtschaft"),
    ("American Airlines, JetBlue End Partnership Agreement", "Wirtschaft"),
    ("'The Voice' Recap: Things Get 'Crazy' As Blind Auditions Continue", "Kultur"),
    ("Prince Harry and girlfriend Cressida Bonas cosy up at We Day UK", "Kultur"),
    ("Titanfall's Huge Installation Size Causing Problems For Gamers", "Technik"),
    ("How to easily watch any movie from your computer for free", "Technik"),
    ("Ind. sex offender jailed in Colo. triple slaying", "Kriminalität"),
    ("Reality star apologises for tweet", "Kultur"),          # made up: a "star" alone is a celebrity
])
def test_english_cues_name_what_a_reader_calls_the_category(headline, expected):
    assert categorise([headline], [""], "en") == expected


def test_only_a_titles_headline_counts_as_one_not_the_text_run_on_after_it():
    # Real SemEval title: the headline, then the text on the next line.
    title = ("Fußgängerin auf Schutzweg in Bad Hall angefahren\nBei der Verletzten handelt es sich um eine 46-Jährige "
             "aus dem Bezirk Steyr-Land. Am Steuer saß eine Frau aus dem Bezirk Steyr-Land.")
    assert locate([], [title], [""], "de") == "Bad Hall, Österreich"


@pytest.mark.parametrize(("headline", "lead", "language", "false_town"), [
    ("Wohnungsbrand", "Dabei wurde der Bewohner schwer verletzt.", "de", "Dabei"),        # an alternate name of Dubai
    ("Uno-Report zur Gleichstellung", "Die Vertreter des Gender-Entwicklungsprogramms in vielen Ländern", "de",
     "Gend"),                                                                           # a name of Ghent
    ("Uno-Report zur Gleichstellung", "In vielen Ländern fehlt es an Gleichstellung.", "de", "Länden"),  # of London
    ("Hang W/ 50 Cent At South By Southwest", "", "en", "Hang"),
    ("Wohnungsbrand", "Es brannte in der Peter-Auzinger-Straße.", "de", "Pet"),         # "Pet" is Perth's, "Peter" a word
    ("Carney: RBS could leave independent Scotland", "", "en", "Carney"),              # a surname, no first name given
    ("Kursänderung des Bundes bei Coronamassnahmen", "", "de", "Bunde"),               # "Bundes" is a word, not Bünde's
    ("Ex von Prinz Harry ist tot: Freund von Caroline Flack trauert", "", "de", "Caroline"),   # a name of Carolina, PR
])
def test_a_word_a_first_name_or_a_surname_is_no_town(headline, lead, language, false_town):
    assert false_town not in (locate([], [headline], [lead], language) or "")


def test_a_towns_adjective_names_the_town_but_not_in_a_papers_name():
    assert locate([], ["Wohnungsbrand – Untergiesing"], ["Es ermittelt die Münchner Kriminalpolizei."], "de") == \
        "München, Deutschland"
    assert locate([], ["Ein Göttinger Student"], [""], "de") == "Göttingen, Deutschland"
    assert locate([], ["Zeichen in Österreich stehen auf Schwarz-grün"],
                  ["Noch nicht bei den Wolfsburger Nachrichten? Kommentar-Profil anlegen"], "de") == "Österreich"
    assert locate([], ["Deutsche Bahn schult 400 Flüchtlinge um"],
                  ["Das sagte eine Konzern-Sprecherin der Düsseldorfer Rheinischen Post."], "de") is None


def test_a_country_as_a_compounds_first_part_says_whose_rather_than_where():
    headline = "Angriff auf US-Botschaft: Teheran demonstriert in Bagdad seine Macht"   # real SemEval headline
    lead = ("Mit Wucht hat sich ein Krisenherd zurückgemeldet: der Irak. Die US-Botschaft ist schwer beschädigt, "
            "US-Präsident Trump droht.")                                                # shortened, the end made up
    assert locate([], [headline], [lead], "de") == "Bagdad, Irak"


def test_a_party_of_one_countrys_politics_names_the_country():
    # The real SemEval headline; the lead is shortened.
    lead = "Karl Nehammer wird Innenminister, Klaudia Tanner (beide ÖVP) übernimmt das Verteidigungsministerium."
    assert locate([], ["Koalition: Neues Kabinett nimmt Form an"], [lead], "de") == "Österreich"
    assert locate([], ["SVP verlangt baldige Kursänderung des Bundes bei Coronamassnahmen"], [""], "de") == "Schweiz"


@pytest.mark.parametrize(("headline", "language", "expected"), [
    ("Wohnungseinbruch in Bogenhausen", "de", "München, Deutschland"),      # a part of Munich, which GeoNames calls so
    ("Oktoberfest cancelled in Munich", "en", "München, Deutschland"),
    ("Großeinsatz in Köln", "de", "Köln, Deutschland"),
])
def test_a_big_city_at_home_has_one_name_in_the_products_language(headline, language, expected):
    assert locate([], [headline], [""], language) == expected
    assert locate([], ["Oktoberfest cancelled in Munich"], [""], "en", names_language="en") == "Munich, Germany"
