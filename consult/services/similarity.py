"""Whether two statements are the same, similar (worth offering back), or different.

Dissent must never be turned away: two texts that differ by a negation, a number, a sign
("+10%" and "-10%") or an opposite word ("cheap" and "expensive", "before" and "after") say
opposite or distinct things, however alike their letters are, so they are never "same" nor
"similar".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from difflib import SequenceMatcher
from enum import StrEnum

from consult.services.text import SIGNS, normalize_for_comparison

# Normalised texts at least this alike (difflib ratio) are offered back as "similar". Offering
# back costs the citizen one click, so it reaches further than the old 0.9 refusal did.
SIMILAR_RATIO = 0.85
TYPO_RATIO = 0.8  # an opposite word and another this alike: a misspelling, not a change


def _folded(*lines: str) -> frozenset[str]:
    # Folded as the texts are (Arabic hamza and Latin accents are dropped), so that they match.
    return frozenset(normalize_for_comparison(word) for line in lines for word in line.split())


# Negation words after normalize_for_comparison (lower case, accents and apostrophes folded:
# "don't" becomes "don t", "n'est" becomes "n est"). The one list, for every language.
NEGATIONS = _folded(
    # English; "t" is what is left of n't ("don t", "can t", "isn t").
    "not no never none nobody nothing neither nor without cannot t",
    "dont doesnt didnt isnt arent wasnt werent cant couldnt shouldnt wouldnt",
    "wont mustnt neednt hasnt havent hadnt aint",
    # French; "n" is what is left of n' ("n est").
    "ne n pas non jamais aucun aucune rien sans ni personne",
    # Spanish.
    "no nunca jamás ningún ninguno ninguna nada sin ni tampoco nadie",
    # Arabic.
    "لا لن لم ليس ليست غير بدون ما عدم",
)
# Arabic writes "and"/"so" joined to the next word: ولا is "and not".
_ARABIC_PREFIXES = ("و", "ف")

# Numbers written as words count as numbers too (a small, common set per language).
NUMBER_WORDS = _folded(
    "zero one two three four five six seven eight nine ten eleven twelve fifteen twenty",
    "thirty forty fifty sixty seventy eighty ninety hundred thousand million",
    "half double twice triple",
    "zéro un une deux trois quatre cinq six sept huit neuf dix onze douze quinze vingt trente",
    "quarante cinquante soixante cent mille million moitié",
    "cero uno una dos tres cuatro cinco seis siete ocho nueve diez once doce quince veinte",
    "treinta cuarenta cincuenta sesenta cien ciento mil millón mitad doble",
    "واحد اثنان اثنين ثلاث ثلاثة أربع أربعة خمس خمسة ست ستة سبع سبعة ثمان ثمانية تسع تسعة",
    "عشر عشرة عشرين ثلاثين أربعين خمسين مائة مئة ألف مليون نصف ضعف",
)


# Words that turn a statement round when one stands where the other did: directions and
# comparisons, amounts, permission, approval, price and time of day. "Parking is too cheap"
# and "... too expensive" are opposite opinions, not one opinion worded twice. Families of
# meaning, each language's common forms; a text differing in one of these is never similar.
# One word of a pair is enough (the other differs at the same place); words that mostly
# come as an added qualifier ("at least", "au moins", "always", "often") are left out: a
# qualifier added is still the same opinion, offered back.
OPPOSITES = _folded(
    # English.
    "more less fewer higher lower high low above below over under",
    "before after earlier later early late sooner",
    "increase increased increases increasing decrease decreased decreases decreasing",
    "raise raised raising rise rises lowered lowering cut cuts fall falls up down",
    "expand expanded expanding extend extended reduce reduced reducing reduction shorten",
    "allow allowed allowing permit permitted ban banned banning forbid forbidden",
    "prohibit prohibited legal illegal mandatory optional compulsory voluntary",
    "approve approved reject rejected support supports oppose opposes pro anti",
    "cheap cheaper expensive dearer free paid minimum maximum min max pm",
    "good bad better worse best worst private slower against",
    "open opened opening reopen reopened close closed closing shut near nearer far farther",
    "safe safer safest dangerous separate separated integrated rarely seldom",
    # French.
    "plus davantage haut hauts haute hautes bas basse basses élevé élevés élevée élevées",
    "avant après tôt tard augmenter augmente augmentation diminuer diminue diminution",
    "baisser baisse hausse réduire réduit réduction autoriser autorisé autorisés autorisée",
    "interdire interdit interdits interdite permettre permis cher chers chère chères gratuit",
    "payant approuver rejeter pour contre supérieur inférieur dessus dessous",
    "bon bonne mauvais mauvaise mieux pire meilleur meilleure privé privée lent lente",
    "ouvrir ouvert ouverte ouverts fermer fermé fermée fermés près loin dangereux",
    "dangereuse séparé séparée séparées intégré intégrée rarement",
    # Spanish.
    "más menos mayor menor alto altos alta altas bajo bajos baja bajas antes después",
    "temprano tarde aumentar aumento aumente disminuir disminución reducir reducción",
    "subir suba bajar baje permitir permitido permitida prohibir prohibido prohibida",
    "caro caros cara barato baratos gratis gratuito aprobar rechazar encima debajo",
    "bueno buena malo mala mejor peor privado privada lento lenta contra",
    "abrir abierto abierta cerrar cerrado cerrada cerca lejos peligroso",
    "peligrosa separado separada separados integrado integrada",
    # Arabic.
    "أكثر أقل قبل بعد زيادة تقليل خفض رفع تخفيض السماح سماح منع حظر مسموح ممنوع أعلى أدنى",
    "فوق تحت فتح فتحت إغلاق أغلق مفتوح مغلق قريب قريبة بعيد بعيدة آمن آمنة خطير خطيرة",
    "منفصل منفصلة نادرا",
)
# A prefix that says "not" before a word the other text has: "safe" and "unsafe".
_NEGATING_PREFIXES = ("un", "in", "im", "il", "ir", "dis", "non", "des", "dés")


class Likeness(StrEnum):
    SAME = "same"
    SIMILAR = "similar"
    DIFFERENT = "different"


def compare(a: str, b: str) -> Likeness:
    """Compare two texts already passed through normalize_for_comparison."""
    if a == b:
        return Likeness.SAME
    # ratio = 2·matches / (len a + len b) cannot exceed this bound; skip the costly match.
    if 2 * min(len(a), len(b)) / (len(a) + len(b)) < SIMILAR_RATIO:
        return Likeness.DIFFERENT
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.quick_ratio() < SIMILAR_RATIO or matcher.ratio() < SIMILAR_RATIO:
        return Likeness.DIFFERENT
    differing = _differing_tokens(a, b)
    if any(_changes_meaning(token) for token in differing):
        return Likeness.DIFFERENT
    if _turned_round(differing):
        return Likeness.DIFFERENT
    return Likeness.SIMILAR


def length_bounds(length: int) -> tuple[int, int]:
    """Lengths a text may have and still be SIMILAR to one of `length` (a little wider)."""
    # From compare's first test: 2·min / (la + lb) >= SIMILAR_RATIO.
    factor = SIMILAR_RATIO / (2 - SIMILAR_RATIO)
    return int(length * factor) - 1, int(length / factor) + 1


def similar_to(text: str, others: Iterable[tuple[int, str]]) -> Iterator[int]:
    """The ids of the `others` (id, normalised text) that compare() calls SIMILAR to `text`.

    The same answers as compare() on each pair, found faster: cheap tests that can only
    rule a pair out (never in) run first, so the costly alignment runs on few pairs.
    """
    meaning = _meaning_tokens(text)
    letters = Counter(text)
    for other_id, other in others:
        total = len(text) + len(other)
        if text == other or 2 * min(len(text), len(other)) / total < SIMILAR_RATIO:
            continue
        # difflib's quick_ratio, an upper bound of the ratio: shared letters, in any order.
        if 2 * (letters & Counter(other)).total() / total < SIMILAR_RATIO:
            continue
        # A negation or number that one text has more often than the other cannot be matched
        # word for word, so it is among the differing tokens: compare() says DIFFERENT.
        if _meaning_tokens(other) != meaning:
            continue
        if compare(text, other) is Likeness.SIMILAR:
            yield other_id


def _meaning_tokens(text: str) -> Counter[str]:
    return Counter(token for token in text.split() if _changes_meaning(token))


def _differing_tokens(a: str, b: str) -> set[str]:
    """The words of either text that the other does not have at the same place."""
    words_a, words_b = a.split(), b.split()
    matcher = SequenceMatcher(None, words_a, words_b, autojunk=False)
    differing: set[str] = set()
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            differing.update(words_a[i1:i2], words_b[j1:j2])
    return differing


def _turned_round(differing: set[str]) -> bool:
    """An opposite word (OPPOSITES) where the other text has another word, unless that word
    only misspells it ("barato", "barrato"); or a word and itself with a negating prefix
    ("safe", "unsafe")."""
    for token in differing:
        if token in OPPOSITES and not _misspelt_in(token, differing):
            return True
        if any(token.startswith(p) and token[len(p) :] in differing for p in _NEGATING_PREFIXES):
            return True
    return False


def _misspelt_in(token: str, differing: set[str]) -> bool:
    """Another differing word, itself no opposite, spelt nearly like `token`."""
    return any(
        other not in OPPOSITES and SequenceMatcher(None, token, other).ratio() >= TYPO_RATIO
        for other in differing - {token}
    )


def _changes_meaning(token: str) -> bool:
    if any(ch.isdigit() for ch in token) or token in SIGNS:
        return True
    if token in NEGATIONS or token in NUMBER_WORDS:
        return True
    return token.startswith(_ARABIC_PREFIXES) and token[1:] in NEGATIONS
