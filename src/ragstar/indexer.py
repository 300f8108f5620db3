"""Indexing one repository: GitHub metadata and README, an Ollama summary, an optional embedding."""

from __future__ import annotations

import asyncio
import re

from ragstar.config import Settings
from ragstar.ranking import unit
from ragstar.store import IndexedRepository, RepoRef
from ragstar.upstream import GitHub, GitHubRepository, Ollama, UpstreamError

PROMPT = """\
Summarise the GitHub repository below for a search index, in at most three sentences: \
what it is, what problem it solves, and its main language or technologies. \
Answer with the summary only: plain text, no Markdown, no preamble.

Repository: {full_name}
Description: {description}
Topics: {topics}
README (may be cut short):
{readme}
"""

#: Cleaning reads at most ``max(SCAN_FACTOR * readme_max_chars, MIN_SCAN_CHARS)`` characters of a
#: README, whatever its size (GitHub serves up to 4 MiB): enough to fill ``readme_max_chars`` after
#: comments, badges and tags are dropped, and a bound on the work, so a crafted README cannot hold
#: a CPU (``re`` keeps the GIL while it runs, so the bound matters even in a thread).
MIN_SCAN_CHARS = 65_536
SCAN_FACTOR = 4

# Every pattern is linear in the text it scans: its repetitions are bounded, or stop at the
# character that would end them, so no start position reads more than about 800 characters.
# (Images, links and tags longer than that are left in the text, and cut with it.)
# (Unbounded ``[^)]*`` after each of many ``![`` was quadratic.)
_IMAGE = re.compile(r"!\[[^\]\n]{0,256}\]\([^)\n]{0,512}\)")
_EMPTY_LINK = re.compile(r"\[[ \t]{0,64}\]\([^)\n]{0,512}\)")
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]{0,512}>")
_SPACES = re.compile(r"\s+")


def drop_html_comments(text: str) -> str:
    """Remove ``<!-- … -->`` comments in one pass; an unclosed comment runs to the end, as in HTML.

    Linear: each search starts where the previous one ended (a lazy ``<!--.*?-->`` regex rescans the
    rest of the text from every unclosed ``<!--``, quadratic in their number).
    """
    parts: list[str] = []
    position = 0
    while True:
        start = text.find("<!--", position)
        if start < 0:
            parts.append(text[position:])
            break
        parts.append(text[position:start])
        parts.append(" ")
        end = text.find("-->", start + 4)
        if end < 0:
            break
        position = end + 3
    return "".join(parts)


def clean_readme(text: str, max_chars: int) -> str:
    """Drop what carries no words (comments, images and badges, HTML tags), collapse runs of blank
    lines, and cut to ``max_chars`` characters.

    Reads at most ``max(SCAN_FACTOR * max_chars, MIN_SCAN_CHARS)`` characters of ``text``, and every
    step is linear in them, so the time is bounded whatever the README holds. CPU work: callers on an
    event loop run it in a thread (:func:`index_repository` does).
    """
    text = text[: max(SCAN_FACTOR * max_chars, MIN_SCAN_CHARS)]
    text = drop_html_comments(text)
    text = _IMAGE.sub(" ", text)
    text = _EMPTY_LINK.sub(" ", text)
    text = _HTML_TAG.sub(" ", text)
    lines: list[str] = []
    for line in text.splitlines():
        line = line.rstrip()
        # At most one blank line in a row (whitespace-only lines count as blank).
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip()[:max_chars]


def build_prompt(repo: GitHubRepository, readme: str) -> str:
    return PROMPT.format(
        full_name=f"{repo.owner}/{repo.name}",
        description=repo.description or "(none)",
        topics=", ".join(repo.topics) or "(none)",
        readme=readme or "(none)",
    )


def tidy_summary(text: str, max_chars: int) -> str:
    """One line of text, cut at a word boundary to at most ``max_chars`` characters."""
    text = _SPACES.sub(" ", text).strip()
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    if text[max_chars - 1] != " " and " " in cut:  # the cut splits a word: drop its start
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def embedding_text(repo: GitHubRepository, summary: str) -> str:
    """The text whose embedding stands for the repository."""
    parts = [f"{repo.owner}/{repo.name}", repo.description, " ".join(repo.topics), summary]
    return "\n".join(part for part in parts if part)


async def index_repository(
    ref: RepoRef, github: GitHub, ollama: Ollama, settings: Settings
) -> IndexedRepository:
    """Fetch, summarise and (optionally) embed one repository.

    Raises:
        UpstreamError: GitHub or Ollama failed for good; the message says which and why.
    """
    repo = await github.repository(ref.owner, ref.name)
    readme = ""
    if settings.readme_max_chars > 0:
        raw_readme = await github.readme(repo.owner, repo.name)
        # Off the event loop: /health and /ready must answer while a README is cleaned.
        readme = await asyncio.to_thread(clean_readme, raw_readme, settings.readme_max_chars)
    raw = await ollama.generate(
        build_prompt(repo, readme), max_tokens=max(64, settings.summary_max_chars // 2)
    )
    summary = tidy_summary(raw, settings.summary_max_chars)
    embedding: tuple[float, ...] | None = None
    if settings.ollama_embedding_model is not None:
        vector = await ollama.embed(embedding_text(repo, summary))
        try:
            embedding = tuple(unit(vector))
        except ValueError as exc:
            raise UpstreamError(f"Ollama: unusable embedding for {ref.full_name}: {exc}") from None
    return IndexedRepository(
        owner=repo.owner,
        name=repo.name,
        url=repo.url,
        description=repo.description,
        topics=repo.topics,
        stars=repo.stars,
        readme=readme,
        summary=summary,
        summary_model=settings.ollama_model,
        embedding=embedding,
        embedding_model=settings.ollama_embedding_model if embedding is not None else None,
    )
