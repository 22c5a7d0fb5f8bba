"""Incident category (Vorfall) of a story from cue words in its sources' headlines and leads.

Each category has cue words per language, matched against whole tokens (folded: "Brände" =
"brande"), never inside other words: "Titanfall" is no fall and "fired" no fire. German joins
words into compounds, so a German cue may also match as a word's beginning ("Unfallstelle",
"Impfstoff") or as its head at the end ("Verkehrsunfall", "Küchenbrand"); the head says what a
compound is: a "Gesundheitsminister" is a minister, so politics. A German cue is listed in its
base form and counts in its inflected ones too ("Sängers", "ermordete"). Strong cues name the
category ("Brand", "festgenommen"); weak ones only lean towards it ("Feuerwehr", "Polizei") and
count half. A headline's words count thrice. Incidents come first: when an accident, fire,
storm or crime is reported with enough evidence it is the story's category even if politics or
business words are more numerous, since that is what the reader wants to find. A story's
category is what most of its sources say, each source voting with its own headline and lead: one
"assault" among eight headlines about transit ridership does not make the story a crime. A source
without cues votes for "Sonstiges" with a third of a vote, so that a few sources naming a topic outweigh
many saying nothing in particular. A police release names its sender throughout: "Polizei" counts once
per text, and a missing person searched for is an incident of no category ("Sonstiges"), not a crime. A
crime that a book or a film tells of is the work's subject (culture). An English headline naming a
person with only a leaning word of show business ("fan", "video", "dance") is a star's story.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import zip_longest

from dedupe.location import persons_in
from dedupe.text import fold, guess_language, normalise, words

OTHER = "Sonstiges"
TITLE_WEIGHT = 3
TITLE_WORDS = 25          # some sources put the body into the title: words after these count as lead
LANGUAGE_WORDS = 200      # enough words to tell German from English
WEAK = 0.5
MIN_EVIDENCE = 2.0        # one headline cue, or two lead cues
INCIDENT_SHARE = 0.5      # an incident wins with at least this share of the best topic's score
MIN_COMPOUND = 7          # a compound is longer than its head: "Küchenbrand", not "brand" itself
INFLECTIONS = {"de": ("s", "es", "n", "en", "e")}
MIN_STEM = 4              # "Tore" is no inflected "tor"
SILENT_VOTE = 1 / 3     # the vote of a source whose words name no category: three weigh as one that names one
# Authorities that write or speak: a police release names its sender in its header, its text and
# its contact lines, and that says who reports, not what happened. Each counts once per text.
REPORTERS = frozenset({"polizei", "polizeiprasidium", "staatsanwaltschaft", "police"})


@dataclass(frozen=True)
class Cues:
    words: frozenset[str]                 # whole words
    starts: tuple[str, ...] = ()          # beginnings of German compounds
    ends: tuple[str, ...] = ()            # heads of German compounds
    weak: frozenset[str] = frozenset()    # whole words that count half
    not_: frozenset[str] = frozenset()    # words a start or end would wrongly catch


def _cues(words_: str, starts: str = "", ends: str = "", weak: str = "", not_: str = "") -> Cues:
    return Cues(frozenset(words_.split()), tuple(starts.split()), tuple(ends.split()), frozenset(weak.split()),
                frozenset(not_.split()))


# Incidents first: their order breaks ties (a burning car after a crash is a fire first). A missing
# person the police search for is an incident too, of no category of its own: no crime, whatever
# the police's words around it.
INCIDENTS = ("Brand", "Unfall", "Unwetter", "Kriminalität", OTHER)
TOPICS = ("Gesundheit", "Politik", "Wirtschaft", "Sport", "Technik", "Kultur")
CUES: dict[str, dict[str, Cues]] = {
    "de": {
        "Brand": _cues("brand brande branden brannte brannten brennt brennen brennende feuer flammen explosion "
                       "explodiert rauchvergiftung abgebrannt niedergebrannt ausgebrannt",
                       starts="brandstift brandursache brandort brandschaden brandanschlag feuerwehreinsatz losch",
                       ends="brand brande feuer gebrannt", weak="feuerwehr rauch geloscht loschen loscharbeiten"),
        "Unfall": _cues("unfall unfalle verungluckt verungluckte kollidiert kollision geprallt prallte prallt "
                        "uberschlagen uberschlug uberrollt entgleist absturz abgesturzt zusammenstoss angefahren verunfallt verunfallte",
                        starts="unfall verungluck zusammenstoss zusammenprall auffahr",
                        ends="unfall unfalle unfallen absturz",
                        weak="autofahrer autofahrerin fahrbahn pkw lkw motorradfahrer radfahrer fussganger "
                             "schwerverletzt verletzt leichtverletzt rettungswagen notarzt"),
        "Unwetter": _cues("unwetter sturm sturme gewitter hagel hochwasser orkan starkregen glatteis tornado lawine "
                          "erdbeben sturmflut schnee hitzewelle kaltfront",
                          starts="uberschwemm uberflut unwetter sturmtief starkregen schnee",
                          ends="unwetter hochwasser", weak="regen wetter wetterdienst dwd blitz"),
        "Kriminalität": _cues("festgenommen festnahme verhaftet haftbefehl mord morde mordes ermordet morder totschlag "
                              "erstochen erschossen erschlagen raub uberfall uberfallen einbruch eingebrochen einbrecher "
                              "diebstahl dieb diebe gestohlen betrug betruger tater taterin tatverdachtige tatverdachtiger "
                              "angeklagt anklage verurteilt haftstrafe korperverletzung vergewaltigt vergewaltigung "
                              "missbrauch schlagerei randale randalierer ubergriffe ubergriff geiselnahme erpressung "
                              "messerangriff messerstiche schusse straftat straftaten sachbeschadigung landfriedensbruch "
                              "drogeneinfluss betaubungsmittel betaubungsmitteln beleidigung beleidigt beleidigte "
                              "bedroht bedrohte bedrohung amtsanmassung handgemenge entwendet entwendete ausgeraubt "
                              "raubte geraubt rauberisch rauberischen exhibitionistischer tierqualerei rauber "
                              "niedergeschlagen geschlagen getreten tatlich tatlicher tatlichen auseinandersetzung "
                              "ruhestorung hausfriedensbruch exhibitionist gefalscht gefalschte gefalschten beschmiert "
                              "heruntergerissen",
                              starts="tatverdacht messerstich vergewaltig korperverletz strafverfahren ermittlungsverfahren "
                                     "kriminal strafanzeig strafermittl diebstahl einbruch beleidig bedroh raub drogen "
                                     "cannabis trunkenheit stichverletz schreckschuss",
                              ends="mord diebstahl raub betrug straftaten delikt delikte delikts rauber dieb diebe "
                                   "einbrecher schlagerei uberfall",
                              weak="polizei polizeiprasidium staatsanwaltschaft ermittler ermittelt ermittlungen gericht "
                                   "landgericht prozess angegriffen angriff attackiert messer waffe drogen opfer cannabis "
                                   "marihuana drogentest"),
        # Corona alone does not make a story a health story: in 2020 every business and political story named it.
        "Gesundheit": _cues("epidemie infiziert infektion infektionen infizierte impfstoff impfung quarantane krankenhaus "
                            "krankheit erkrankt erkrankte intensivstation gesundheit gesundheitsamt krebs pflegeheim "
                            "pflegeheime altenheim klinikum virologe virologin epidemiologe epidemiologin lockdown "
                            "maskenpflicht ausgangssperre kontaktverbot",
                            starts="impf infektion infiz erkrank krankenhaus gesundheits hygiene",
                            ends="krankheit infektion infektionen erkrankung erkrankungen",
                            weak="corona coronavirus covid pandemie virus klinik arzt arzte arztin patienten patient "
                                 "medizin maske masken getestet"),
        "Politik": _cues("regierung koalition minister ministerin ministerium bundestag landtag parlament wahl wahlen "
                         "partei kanzler kanzlerin bundeskanzler vizekanzler prasident senat abgeordnete abgeordneter "
                         "cdu csu spd fdp afd grunen linke ovp spo fpo neos bundesrat nationalrat stadtrat "
                         "gemeinderat burgermeister opposition fraktion bundesregierung landesregierung nato diplomaten "
                         "innenminister bundesminister prasidentin bundesprasident bundesprasidentin regierungschef "
                         "regierungschefin premierminister staatschef kabinett staatssekretar botschafter gipfel "
                         "embargo referendum volksabstimmung verfassung armee streitkrafte truppen soldaten miliz "
                         "milizen militar luftangriff luftangriffe waffenstillstand waffenruhe proteste protest "
                         "demonstranten kundgebung kundgebungen uno",
                         starts="wahlkampf wahlergebnis wahlschlappe regierungs koalitions minister partei parlaments sanktion "
                                "militar bundesprasident demonstr diplomat kabinett versammlung vergeltung einreise "
                                "grenzkontroll grenzschliess",
                         ends="wahl wahlen minister ministerin ministerium ministeriums regierung partei kanzler "
                              "prasident prasidentin reform reformen gipfel politik politiker politikerin burgermeister "
                              "burgermeisterin",
                         weak="politik politiker gesetz demonstration botschaft krieg eu ansprache",
                         not_="auswahl"),
        "Wirtschaft": _cues("aktie aktien borse konzern unternehmen umsatz gewinn inflation zinsen leitzins arbeitsmarkt "
                            "arbeitslosigkeit arbeitslose insolvenz pleite dax export exporte wirtschaft handelsabkommen "
                            "quartal bilanz investor investoren filiale aufsichtsrat vorstandsvorsitzender gmbh dgap "
                            "adhoc geschaftsjahr dividende aktionare anleger rendite devisen verlust verluste gewinne "
                            "umsatze hersteller produktion mittelstand kurzarbeit einzelhandel verbraucher "
                            "verbraucherin verbraucherinnen reiseveranstalter pauschalreise tourismus erstattung "
                            "ruckerstattung stornierung storniert stornieren gutschein gutscheine",
                            starts="aktien borsen konzern umsatz wirtschafts insolvenz handels export kurs verbraucher "
                                   "finanzierung kredit darlehen",
                            ends="wirtschaft konzern unternehmen bank handel industrie branche hersteller geschaft "
                                 "aktie aktien preise finanzierung kredit kredite darlehen",
                            # no "Euro": a sum of money is named in every kind of story (a donation, a fine)
                            weak="milliarden millionen firma firmen preise kunden verkauf kette ausblick "
                                 "prognose ag"),
        "Sport": _cues("fussball bundesliga liga trainer olympia olympische weltmeister weltmeisterschaft meisterschaft "
                       "pokal turnier tennis handball eishockey dfb fifa uefa stadion torwart "
                       "siegerehrung wettkampf spieltag",
                       starts="fussball bundesliga olympi weltmeister", ends="liga meisterschaft meister",
                       weak="spiel spieler tor tore saison verein sieg niederlage"),
        "Technik": _cues("internet software smartphone iphone ipad android app apps wlan computer digital digitalisierung "
                         "mobilfunk roboter videospiel google apple microsoft facebook twitter",
                         starts="digital software smartphone computer", ends="software",
                         weak="online daten technik"),
        "Kultur": _cues("film kino musik konzert theater museum ausstellung schauspieler schauspielerin sanger sangerin "
                        "album festival tatort oper premiere regisseur kunst roman buch song songs quote quoten einschaltquote "
                        "sendung moderator moderatorin fernsehen staffel krimi komodie lied lieder chor orchester "
                        "schriftsteller schriftstellerin lesung ard zdf rtl prosieben netflix",   # no "Autor": every paper names its own
                        starts="kunst theater konzert musik kino song fernseh schauspiel film oper",
                        ends="film filme festival theater museum serie sendung konzert konzerte musik show buch roman",
                        weak="serie star stars band tv zuschauer sender", not_="kunststoff kunststoffe operation"),
        OTHER: _cues("vermisst vermisste vermissten vermisster", starts="vermisst"),
    },
    "en": {
        "Brand": _cues("fire fires blaze blazes wildfire wildfires flames burned burning arson explosion exploded",
                       weak="firefighters smoke"),
        "Unfall": _cues("accident accidents crash crashes crashed collision collided derailed derailment overturned",
                        weak="injured driver"),
        "Unwetter": _cues("storm storms flood floods flooding hurricane tornado blizzard earthquake quake avalanche "
                          "heatwave typhoon cyclone snowstorm",
                          weak="weather snow rain"),
        "Kriminalität": _cues("arrest arrested murder murdered murders robbery theft burglary fraud stabbing stabbed "
                              "shooting kidnapped kidnapping rape assault charged convicted sentenced prosecutor "
                              "prosecutors suspect accused jailed jail prison homicide slaying gunman cartel",
                              weak="police court trial lawsuit criminal"),
        "Gesundheit": _cues("health virus vaccine vaccines cancer disease diseases outbreak ebola flu hiv obesity "
                            "medical patients hospital fda cdc diabetes alzheimer autism hospitals measles "
                            "vaccination infection infections epidemic pandemic surgery tobacco cigarettes smoking "
                            "pregnancy pregnant",
                            weak="study doctors doctor drug drugs"),
        "Politik": _cues("government minister parliament senate senator congress election elections vote sanctions "
                         "diplomat diplomats diplomatic lawmakers lawmaker mps president nato eu putin obama "
                         "governor mayor republican republicans democrats gop legislation legislature referendum "
                         "protest protests protesters",
                         weak="party military war administration policy bill campaign"),
        "Wirtschaft": _cues("stock stocks shares market markets investor investors earnings profit profits revenue bank "
                            "economy economic trade ceo merger acquisition ipo fed currency currencies yuan forex fx "
                            "sales dow nasdaq futures recall jobs employers hiring unemployment inflation taxes "
                            "billion buys bid economies recovery growth recession oecd imf gdp housing mortgage "
                            "mortgages sterling dollar euro yen bonuses layoffs tax offering shareholders shareholder "
                            "airline airlines trading traders hedge exporters exports imports retailer retailers "
                            "retail quarter quarterly analysts acquire acquires acquired takeover bankruptcy debt "
                            "bonds lending loans banks banking bankers gallon",
                            weak="deal million price prices company firm fund funds rates board industry inc corp ltd "
                                 "plc nyse"),
        "Sport": _cues("league championship nba nfl mlb nhl tournament coach quarterback olympic olympics soccer "
                       "football baseball basketball tennis playoff playoffs"),
        "Technik": _cues("tech technology app apps smartphone smartphones iphone ipad ios android google apple microsoft "
                         "software hackers xbox playstation gaming console wearables wearable gadget samsung windows "
                         "sdk internet twitter facebook outage gamers multiplayer pc ps4 consoles livestream "
                         "servers developers gadgets tablet tablets laptop laptops computer computers chip chips "
                         "processor browser chrome "
                         "cloud cyber hacker hacked malware smartwatch drone drones",
                         weak="online game games phone update download device devices streaming"),
        "Kultur": _cues("movie movies film films album song songs singer actor actress concert festival trailer "
                        "episode series music celebrity hollywood oscar oscars grammy premiere rapper comedy "
                        "performs performed tour audition auditions episodes spoilers spoiler recap finale sitcom "
                        "starring celeb celebs gossip royal royals prince princess duchess girlfriend boyfriend "
                        "actors actresses filmmaker sxsw billboard grammys emmy emmys hbo netflix broadway musical "
                        "theater theatre novel autograph autographs dancer mixtape star stars comedian",
                        weak="tv show shows video fan fans season performance dance book author fashion joke"),
    },
}


def categorise(headlines: Iterable[str], texts: Iterable[str], language: str | None = None) -> str:
    """The category most sources have; each source's is the one with the most cue evidence in its
    headline and text (an incident first), else "Sonstiges". ``headlines`` and ``texts`` are the
    sources', in the same order; ``language`` ("de", "en") is guessed from the words when not given.
    Ties go to the category with the most evidence over all sources."""
    sources = list(zip_longest(headlines, texts, fillvalue=""))
    language = language or guess_language([token for source in sources for text in source
                                           for token in _tokens(text)][:LANGUAGE_WORDS])
    votes: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for headline, text in sources:
        category, scores = _source_category(headline, text, language)
        votes[category] += SILENT_VOTE if category == OTHER else 1
        for name, score in scores:
            total[name] += score
    if not votes:
        return OTHER
    return max(votes, key=lambda category: (votes[category], total[category], category != OTHER))


@lru_cache(maxsize=50_000)
def _source_category(headline: str, text: str, language: str) -> tuple[str, tuple[tuple[str, float], ...]]:
    """One source's category and cue evidence (cached: a story's sources are read again each time
    it gains one, so its cost grows with the sources it gains, not with all it has)."""
    scores = Counter(dict(_cue_scores(headline, language, TITLE_WORDS)))
    scores.update(dict(_cue_scores(text, language, 0)))
    category = _decide(scores)
    # English news names a politician, a boss or an athlete with their topic's words; a person
    # named with none ("Miley Cyrus fan sneaks into …") is a celebrity, the news of shows and stars.
    if category == OTHER and language == "en" and scores["Kultur"] and persons_in(normalise(headline), language):
        category = "Kultur"
    return category, tuple(scores.items())


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(fold(token) for token in words(text))


def _cue_scores(text: str, language: str, title_words: int) -> tuple[tuple[str, float], ...]:
    """Cue evidence per category in one text whose first ``title_words`` words are a headline's."""
    scores: Counter[str] = Counter()
    named_reporters: set[str] = set()
    for position, token in enumerate(_tokens(text)):
        cue = _cue(token, language)
        if cue and token not in named_reporters:
            scores[cue[0]] += cue[1] * (TITLE_WEIGHT if position < title_words else 1)
            if token in REPORTERS:
                named_reporters.add(token)
    return tuple(scores.items())


def _decide(scores: Counter[str]) -> str:
    incidents = INCIDENTS
    if scores["Kultur"] >= MIN_EVIDENCE and scores["Kriminalität"]:
        # A crime that a book, a film or a play tells of is the work's subject: it counts half, and as no incident.
        scores = Counter({**scores, "Kriminalität": scores["Kriminalität"] * WEAK})
        incidents = tuple(name for name in INCIDENTS if name != "Kriminalität")
    order = INCIDENTS + TOPICS
    ranked = sorted(scores, key=lambda name: (-scores[name], order.index(name)))
    if not ranked or scores[ranked[0]] < MIN_EVIDENCE:
        return OTHER
    reported = [name for name in ranked if name in incidents and scores[name] >= MIN_EVIDENCE]
    if reported and scores[reported[0]] >= INCIDENT_SHARE * scores[ranked[0]]:
        return reported[0]
    return ranked[0]


@lru_cache(maxsize=100_000)
def _cue(token: str, language: str) -> tuple[str, float] | None:
    """(category, strength) of a folded token, or None."""
    table = CUES.get(language, CUES["de"])
    # A German word is listed in its base form: "Sängers", "Parteien", "Soldaten" are inflected.
    forms = [token, *(token[: -len(ending)] for ending in INFLECTIONS.get(language, ())
                      if token.endswith(ending) and len(token) - len(ending) >= MIN_STEM)]
    for category, cues in table.items():
        if any(form in cues.words for form in forms):
            return category, 1.0
    for category, cues in table.items():
        if any(form in cues.weak for form in forms):
            return category, WEAK
    compound = len(token) >= MIN_COMPOUND
    for category, cues in table.items():
        if compound and token not in cues.not_ and token.endswith(cues.ends):
            return category, 1.0
    for category, cues in table.items():
        if token not in cues.not_ and token.startswith(cues.starts):
            return category, 1.0
    return None
