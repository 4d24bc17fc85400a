"""Text from the engines (reasons, explanations) made fit for a page in the reader's language:
vocabulary codes in words, other identifiers marked up as ``<code>``.

Why here: engines write plain text that names codes (``facts.hte_field``, ``green_tech``); a
page shows the words a reader knows and marks the identifiers it shows on purpose.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from observatory.i18n import term_label

IDENTIFIER = re.compile(r"\b[a-z][a-z0-9]*(?:[._][a-z0-9]+)+\b")
LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9'’-]*(?:[ ,]+[A-Za-z][A-Za-z0-9'’-]*)*")


def _token(word: str, lang: str) -> Markup:
    label = term_label(word, lang)
    if label != word:
        return Markup(escape(label))
    return Markup("<code>{}</code>").format(word)


def marked(text: str | None, lang: str, foreign: str = "") -> Markup:
    """``text`` escaped, with vocabulary codes as words and identifiers as ``<code>``. On a
    Chinese page, ``foreign`` says what runs of Latin words are: ``"lang"`` keywords quoted
    from an English text (declared ``lang="en"``), ``"code"`` parameter names and values in a
    message (``<code>``)."""
    if not text:
        return Markup("")
    out: list[str] = []
    last = 0
    for m in IDENTIFIER.finditer(text):
        out.append(_plain(text[last:m.start()], lang, foreign))
        out.append(_token(m.group(0), lang))
        last = m.end()
    out.append(_plain(text[last:], lang, foreign))
    return Markup("".join(out))


def _plain(text: str, lang: str, foreign: str) -> str:
    """Escaped text; single vocabulary words in words; foreign runs declared."""
    def one(m: re.Match[str]) -> str:
        run = m.group(0)
        if foreign == "code" and lang == "zh":  # a message's parameters: never translated
            return str(Markup("<code>{}</code>").format(run))
        label = term_label(run, lang)
        if label != run:
            return str(escape(label))
        if foreign == "lang" and lang == "zh":
            return str(Markup('<span lang="en">{}</span>').format(run))
        return str(escape(run))
    out, last = [], 0
    for m in LATIN_RUN.finditer(text):
        out.append(str(escape(text[last:m.start()])))
        out.append(one(m))
        last = m.end()
    out.append(str(escape(text[last:])))
    return "".join(out)
