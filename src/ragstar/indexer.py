"""Indexing one repository: GitHub metadata and README, an Ollama summary, an optional embedding."""

from __future__ import annotations

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

_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_EMPTY_LINK = re.compile(r"\[\s*\]\([^)]*\)")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")
_SPACES = re.compile(r"\s+")


def clean_readme(text: str, max_chars: int) -> str:
    """Drop what carries no words (comments, images and badges, HTML tags) and cut to ``max_chars``."""
    text = _HTML_COMMENT.sub(" ", text)
    text = _IMAGE.sub(" ", text)
    text = _EMPTY_LINK.sub(" ", text)
    text = _HTML_TAG.sub(" ", text)
    text = "\n".join(line.rstrip() for line in text.splitlines())
    text = _BLANK_LINES.sub("\n\n", text).strip()
    return text[:max_chars]


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
        readme = clean_readme(await github.readme(repo.owner, repo.name), settings.readme_max_chars)
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
