"""The annual report as a Word document (python-docx), for bureaus that edit reports in Word
or WPS.

Why from the rendered HTML: the DOCX is built by walking the very HTML the PDF is printed from
(headings, paragraphs, lists, tables, and each inline SVG chart or map rasterised to PNG), so
the two cannot say different things.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from lxml import etree
from lxml import html as lxml_html

CJK_FONT = "Noto Sans CJK SC"  # the PDF's font; Word substitutes one it has
EAST_ASIA_FONT = "宋体"
CHART_WIDTH = Cm(14)
HEADINGS = {"h1": 0, "h2": 1, "h3": 2}


def svg_png(svg: str) -> bytes | None:
    """A chart's SVG as PNG (resvg, fonts from the system); None if it cannot be drawn."""
    try:
        import resvg_py
    except ImportError:  # pragma: no cover - resvg-py comes with the web extra
        return None
    try:
        return bytes(resvg_py.svg_to_bytes(svg_string=svg, background="#ffffff", zoom=2,
                                           font_family=CJK_FONT,
                                           sans_serif_family=CJK_FONT))
    except ValueError:
        return None


def _text(el: Any) -> str:
    return " ".join("".join(el.itertext()).split())


def _table(doc: DocumentObject, el: Any) -> None:
    rows = [[(_text(c), c.tag == "th") for c in tr if c.tag in ("td", "th")]
            for tr in el.iter("tr")]
    rows = [r for r in rows if r]
    if not rows:
        return
    table = doc.add_table(rows=len(rows), cols=max(len(r) for r in rows))
    table.style = "Table Grid"
    for i, row in enumerate(rows):
        for j, (text, head) in enumerate(row):
            cell = table.cell(i, j)
            cell.text = text
            if head:
                for run in cell.paragraphs[0].runs:
                    run.bold = True


def _svg(doc: DocumentObject, el: Any) -> None:
    png = svg_png(etree.tostring(el, encoding="unicode"))
    if png:
        doc.add_picture(io.BytesIO(png), width=CHART_WIDTH)


def _walk(doc: DocumentObject, el: Any) -> None:
    """Add ``el``'s content: block elements become paragraphs, tables and pictures."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag.endswith("svg"):
        _svg(doc, el)
    elif tag in HEADINGS:
        doc.add_heading(_text(el), level=HEADINGS[tag])
    elif tag == "p":
        paragraph = doc.add_paragraph(_text(el))
        if "muted" in (el.get("class") or ""):
            for run in paragraph.runs:
                run.font.size = Pt(8)
    elif tag == "ul":
        for li in el.iter("li"):
            doc.add_paragraph(_text(li), style="List Bullet")
    elif tag == "table":
        _table(doc, el)
    else:
        for child in el:
            _walk(doc, child)


def _fonts(doc: DocumentObject) -> None:
    """Body text in a CJK-capable font, East Asian text in a font Word and WPS both have."""
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3"):
        style = doc.styles[name]
        style.font.name = CJK_FONT
        rpr = style.element.get_or_add_rPr()
        rpr.get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIA_FONT)
    doc.styles["Normal"].font.size = Pt(10)


def html_to_docx(html: str) -> bytes:
    """The report's HTML as DOCX bytes (title, headings, text, tables, charts)."""
    root = lxml_html.document_fromstring(html)
    doc = Document()
    _fonts(doc)
    title = root.find(".//title")
    if title is not None:
        doc.core_properties.title = _text(title)
    body = root.find("body")
    for child in body if body is not None else []:
        _walk(doc, child)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
