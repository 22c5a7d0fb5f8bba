"""Incident category (Vorfall) of a story from words in its sources' headlines and leads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from dedupe.text import fold, words

OTHER = "Sonstiges"
# Folded word beginnings and endings (compound heads: "Verkehrsunfall", "Wohnungsbrand") per
# category, German and English. Order breaks ties: the more specific incident first.
_CUES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Unfall": (("unfall", "unfalle", "verungluck", "zusammenstoss", "zusammenprall", "kollision",
                "uberschlag", "absturz", "abgesturzt", "entgleis", "accident", "crash", "collision",
                "derail"), ("unfall", "unfalle", "absturz")),
    "Brand": (("feuer", "flammen", "brande", "brandstift", "explosion", "explodiert", "blaze",
               "fire", "wildfire"), ("brand", "brande", "feuer")),
    "Unwetter": (("unwetter", "sturm", "gewitter", "hagel", "hochwasser", "uberschwemm", "uberflut",
                  "orkan", "starkregen", "schnee", "schneechaos", "glatteis", "tornado", "storm", "flood",
                  "hurricane", "blizzard", "lawine", "avalanche"), ("sturm", "unwetter", "hochwasser")),
    "Kriminalität": (("festgenommen", "festnahme", "verhaftet", "mord", "ermordet", "totschlag",
                      "messer", "raub", "uberfall", "einbruch", "eingebroch", "diebstahl", "gestohlen",
                      "betrug", "tatverdacht", "taterin", "tater", "staatsanwalt", "erschossen",
                      "schusse", "vergewaltig", "korperverletz", "angriff", "angegriffen", "geschlagen", "attack", "arrest", "murder", "robbery", "theft",
                      "stabbing", "shooting", "trespass", "burglar", "prosecutor", "charged", "kidnap"),
                     ("mord", "raub", "diebstahl", "betrug", "tater")),
    "Politik": (("regierung", "koalition", "minister", "bundestag", "landtag", "parlament", "wahl",
                 "partei", "kanzler", "prasident", "senat", "abgeordnet", "sanktion", "cdu", "csu",
                 "spd", "fdp", "afd", "grunen", "ovp", "government", "president", "parliament",
                 "senator", "senate", "congress", "election", "sanction", "diplomat", "nationalrat",
                 "bundesrat", "landesrat", "gemeinderat", "stadtrat"),
                ("regierung", "minister", "wahl", "politik", "politiker", "kanzler")),
    "Wirtschaft": (("aktie", "borse", "konzern", "unternehmen", "umsatz", "gewinn", "inflation",
                    "zinsen", "arbeitsmarkt", "arbeitslos", "stock", "shares", "market", "investor", "earnings", "profit", "bank",
                    "economy"), ("konzern", "wirtschaft", "bank")),
    "Sport": (("fussball", "bundesliga", "trainer", "olympi", "weltmeister", "match",
               "league", "championship"), ("liga", "meisterschaft")),
}
TITLE_WEIGHT = 3
MIN_EVIDENCE = 2


def categorise(headlines: Iterable[str], texts: Iterable[str]) -> str:
    """The category with the most cue words (a headline's count thrice), else "Sonstiges"."""
    scores: Counter[str] = Counter()
    for weight, passages in ((TITLE_WEIGHT, headlines), (1, texts)):
        for passage in passages:
            for token in words(passage):
                category = _category_of(fold(token))
                if category:
                    scores[category] += weight
    if not scores:
        return OTHER
    order = list(_CUES)
    best = max(scores, key=lambda name: (scores[name], -order.index(name)))
    return best if scores[best] >= MIN_EVIDENCE else OTHER


def _category_of(token: str) -> str | None:
    for category, (starts, ends) in _CUES.items():
        if token.startswith(starts) or (len(token) > 6 and token.endswith(ends)):
            return category
    return None
