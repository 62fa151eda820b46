"""Words that never name a theme: function words and the vocabulary of note-taking."""

from __future__ import annotations

_WORDS = """
    a able about above across after again against al all also although always an and another
    any anything appendix approach approaches are aren around article as at author authors bad
    based be because been before being below best better between both but by can can't clear
    could demonstrate demonstrates did didn different do does doesn doing don down during e.g
    each eq equation et etc even existing few fig figure figures first for from further get
    gets given good got had has have having he hence her here hers high higher him his how
    however i i.e if important in interesting into is isn it it's its itself just key kind
    kinds large larger last let lets like long longer look looked looks lot lots low lower
    made main make makes many may maybe me method methods might mine more most much must my
    myself need needed needs never new next nice no nor not note notes novel number numbers of
    off often old on once one only onto or other our ours out over own page pages paper papers
    part parts per perhaps present presents previous problem problems propose proposed
    proposes provide provides quite read reading real really result results same second
    section sections see seem seemed seems seen set sets several shall she short shorter
    should show shown shows similar simple since small smaller so some something still studies
    study such table tables task tasks than that that's the their them then there there's
    therefore these they thing things think third this those though thought three through thus
    time times to todo too tried try two type types unclear under until up upon us use used
    uses using various versus very via vs want wants was wasn way ways we well were what when
    where whether which while who whom whose why will with within without won't work works
    would year years yet you your
"""
STOP_WORDS = frozenset(_WORDS.split())

__all__ = ["STOP_WORDS"]
