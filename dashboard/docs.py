"""docs/metrics.md rendered as HTML with a table of contents, for the Definitions page."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import markdown
from markdown.extensions.toc import TocExtension


def heading_slug(title: str, separator: str = "-") -> str:
    """A heading's anchor: lower-case words joined by hyphens. Pages link to these
    (`Page.docs_anchor`), so the rule must not change with the Markdown library."""
    return separator.join("".join(c if c.isalnum() else " " for c in title.lower()).split())


@dataclass(frozen=True)
class RenderedDocs:
    html: str
    toc: list[dict]  # [{"id", "name", "children": [...]}] as the toc extension gives it


def metrics_docs_render(*, path: Path) -> RenderedDocs:
    """The file as HTML; rendered once per version of the file (its mtime and size)."""
    stat = path.stat()
    return _render(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _render(path: str, _mtime_ns: int, _size: int) -> RenderedDocs:
    text = Path(path).read_text(encoding="utf-8")
    converter = markdown.Markdown(
        extensions=[
            "tables",
            "fenced_code",
            "sane_lists",
            TocExtension(slugify=heading_slug, toc_depth="2-3"),
        ],
        output_format="html",
    )
    html = converter.convert(text)
    return RenderedDocs(html=html, toc=converter.toc_tokens)
