"""The Markdown report: a :class:`~sim.report.blocks.Document` as GitHub-flavoured Markdown.

Figures are linked as ``figures/STEM.png`` (written beside the file by
:func:`sim.report.write_report`); the inline markup of the document's texts
is Markdown already.  Dollar signs are escaped, so renderers with ``$...$``
math keep them as money.
"""

from __future__ import annotations

from sim.report.blocks import Cards, Details, Document, FigureRef, Heading, Paragraph, Table

__all__ = ["FIGURES_DIR", "render_markdown"]

FIGURES_DIR = "figures"


def _md(text) -> str:
    return str(text).replace("$", "\\$")


def _cell(v) -> str:
    return _md(v).replace("|", "\\|").replace("\n", " ")


def render_markdown(doc: Document, figures_dir: str = FIGURES_DIR) -> str:
    """The Markdown text of ``doc``; figures are linked as ``figures_dir/STEM.png``."""
    out = [f"# {doc.title}", ""]
    if doc.description:
        out += [_md(doc.description), ""]
    out += [_md(doc.meta), ""]
    for section in doc.sections:
        out += [f"## {_md(section.title)}", ""]
        for block in section.blocks:
            if isinstance(block, Heading):
                out += [f"### {_md(block.text)}", ""]
            elif isinstance(block, Paragraph):
                out += [_md(block.text), ""]
            elif isinstance(block, Cards):
                out += ["| | |", "|:--|--:|"]
                out += [f"| {_cell(c.label)} | **{_cell(c.value)}** ({_cell(c.note)}) |" for c in block.cards]
                out.append("")
            elif isinstance(block, Table):
                out.append("| " + " | ".join(_cell(h) for h in block.header) + " |")
                out.append("|" + "|".join(":--" if a == "l" else "--:" for a in block.align) + "|")
                out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in block.rows]
                out.append("")
            elif isinstance(block, FigureRef):
                f = block.figure
                out += [f"![{_md(f.title)}]({figures_dir}/{f.filename})", "", f"*{_md(block.caption)}*", ""]
            elif isinstance(block, Details):
                out += [f"**{block.title}**", "", "```toml", block.text.rstrip("\n"), "```", ""]
            else:  # pragma: no cover - every kind of block is listed above
                raise TypeError(f"unknown block {block!r}")
    out += [f"*{doc.footer}*", ""]
    return "\n".join(out)
