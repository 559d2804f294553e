"""Small talk: greetings, thanks, "who are you", "ok", laughter, goodbyes, emoji-only messages.

Such messages are not questions about the rules, yet the engine would still find the clause
closest to them (a thank-you drew the Party Secretary thanking the people). They are told apart
by whole-message patterns: the message, diacritics folded, must consist only of small-talk
phrases from a short lexicon plus forms of address and particles ("bot", "ad", "nhé", "ạ").
A single word of content ("chào bot, tôi có được ra ngoài không") makes it a question, so a
real question is never swallowed; a missed pleasantry only costs a search that abstains.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Literal

from .text import clean_input, fold, words

Kind = Literal["greeting", "thanks", "identity", "ack", "bye", "laughter", "emoji"]

# Which kind a message with several phrases is: the one a reply most needs to address.
_PRIORITY: tuple[Kind, ...] = ("identity", "thanks", "bye", "greeting", "laughter", "ack", "emoji")

# Folded, space-separated phrases. Chat spellings ("dc", "j", "ko") are included where common.
_PHRASES: dict[Kind, tuple[str, ...]] = {
    "greeting": (
        "xin chao", "chao", "chao buoi sang", "chao buoi trua", "chao buoi chieu", "chao buoi toi",
        "hello", "helo", "hi", "hey", "alo", "a lo", "good morning", "good afternoon",
        "good evening", "chao ca nha", "chao moi nguoi",
    ),
    "thanks": (
        "cam on", "camon", "cam ta", "thanks", "thank", "thank you", "thankyou", "thanks you",
        "thx", "tks", "ty", "many thanks",
    ),
    "identity": (
        "ban la ai", "may la ai", "bot la ai", "em la ai", "ai day", "ai vay", "ai the",
        "ban ten gi", "ban ten la gi", "ten ban la gi", "ten gi", "ban la gi", "bot la gi",
        "ban lam duoc gi", "ban lam dc gi", "ban lam gi", "ban lam j", "ban lam dc j",
        "ban lam duoc nhung gi", "ban giup duoc gi", "ban giup dc gi", "ban giup gi",
        "ban co the lam gi", "ban biet lam gi", "ban biet gi", "bot lam duoc gi", "bot lam dc gi",
        "bot biet lam gi", "ban la nguoi hay may", "ban la nguoi that", "ban la bot",
        "ban la robot", "ban la nguoi", "la nguoi hay may", "who are you", "what can you do",
    ),
    "ack": (
        "ok", "oke", "okay", "okie", "oki", "okela", "okla", "uh", "u", "uhm", "um", "uk", "uki",
        "o", "vang", "da", "da vang", "roi", "duoc roi", "dc roi", "hieu roi", "biet roi",
        "ok roi", "yes", "yep", "yeah", "dung roi", "good", "great", "nice", "cool", "tot",
        "tot qua", "hay qua", "hay", "tuyet", "tuyet voi", "hieu", "duoc", "dc", "fine",
    ),
    "bye": (
        "tam biet", "bye", "bye bye", "byebye", "bai", "bai bai", "pp", "bb", "hen gap lai",
        "chuc ngu ngon", "ngu ngon", "good night", "goodnight", "see you", "di day", "chao nhe",
        "mot ngay tot lanh", "buoi toi vui ve", "cuoi tuan vui ve",
    ),
    "laughter": ("ha ha", "hi hi", "he he", "ha ha ha", "hi hi hi", "he he he"),
}
# Forms of address, particles and intensifiers: allowed around phrases, never enough alone.
_FILLERS = frozenset(
    "ban bot ad admin em anh chi oi nhe nha nhen nghe nhieu lam a ah vay the nhi ha minh toi "
    "ca nha moi nguoi rat qua thi day ro that su nhung rulebot chatbot so much chuc".split()
)
_LAUGH = re.compile(r"(?:h[aeiou]){2,}h?|(?:k[ae]){2,}|k{2,}|lol|lmao|=+\)+|:+\)+")
_EMOTICON = re.compile(r"^(?:[:;=xX8][-']?[)(DPpOo3|\]\[/\\*]+|<3+|\^_*\^|[tT]_[tT]|\s)+$")
_REPEAT = re.compile(r"(\w)\1{2,}")  # "okkk", "chaooo", "hiii": elongation for emphasis
_MAX_WORDS = 12
_MAX_PHRASE = max(len(p.split()) for ps in _PHRASES.values() for p in ps)
_LEXICON: dict[tuple[str, ...], Kind] = {
    tuple(p.split()): kind for kind, ps in _PHRASES.items() for p in ps
}


def small_talk_kind(text: object) -> Kind | None:
    """The kind of small talk the whole message is, or None for anything else (never raises)."""
    try:
        return _kind(text)
    except Exception:  # a classifier of pleasantries must not take the bot down
        return None


def is_small_talk(text: object) -> bool:
    return small_talk_kind(text) is not None


def _kind(text: object) -> Kind | None:
    if not isinstance(text, str):
        return None
    text = clean_input(text)
    if not text:
        return None
    if _EMOTICON.match(text):
        return "emoji"
    raw = words(fold(text))
    if not raw:
        return "emoji" if any(unicodedata.category(c) == "So" for c in text) else None
    tokens = [_REPEAT.sub(r"\1", w) for w in raw]
    if len(tokens) > _MAX_WORDS:
        return None
    found: set[Kind] = set()
    i = 0
    while i < len(tokens):
        for n in range(min(_MAX_PHRASE, len(tokens) - i), 0, -1):
            kind = _LEXICON.get(tuple(tokens[i:i + n]))
            if kind:
                found.add(kind)
                i += n
                break
        else:
            tok = tokens[i]
            if _LAUGH.fullmatch(raw[i]) or _LAUGH.fullmatch(tok):
                found.add("laughter")
            elif tok not in _FILLERS:
                return None  # a word of content: this is a question or a statement
            i += 1
    return next((k for k in _PRIORITY if k in found), None)

