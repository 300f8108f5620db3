"""Request and response bodies of the HTTP API (they also make its OpenAPI schema)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from ragstar.store import Job, JobItem, RepoRef, Repository

MAX_REPOSITORIES_PER_BUILD = 100
MAX_QUERY_CHARS = 1000

# https://github.com/OWNER/NAME, optionally ending in .git and/or a slash. Owner: GitHub's
# login rules (alphanumerics and inner hyphens, at most 39); name: letters, digits, . _ -.
_GITHUB_URL = re.compile(
    # Scheme and host are case-insensitive (RFC 3986), and www.github.com redirects to github.com.
    r"(?i:https://(?:www\.)?github\.com/)"
    r"(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?)/"
    r"(?P<name>[A-Za-z0-9._-]{1,100}?)(?:\.git)?/?"
)


def parse_repo_url(url: str) -> RepoRef:
    """Owner and name from ``https://github.com/OWNER/NAME`` (``.git`` and a trailing slash allowed).

    Raises:
        ValueError: anything else (another host or scheme, more or fewer path parts,
            a query or fragment, characters GitHub does not allow).
    """
    match = _GITHUB_URL.fullmatch(url)
    if match is None or match["name"] in (".", ".."):
        raise ValueError(
            f"{url!r} is not a GitHub repository URL; expected https://github.com/OWNER/NAME"
        )
    return RepoRef(match["owner"], match["name"], url)


def _check_repo_url(url: str) -> str:
    parse_repo_url(url)
    return url


RepoUrl = Annotated[
    str,
    AfterValidator(_check_repo_url),
    Field(examples=["https://github.com/encode/httpx"]),
]


class BuildRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    repositories: list[RepoUrl] = Field(
        min_length=1,
        max_length=MAX_REPOSITORIES_PER_BUILD,
        description="Repository URLs, https://github.com/OWNER/NAME. Duplicates are indexed once.",
    )


class QueryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, description="A question in natural language.")
    num_results: int = Field(default=5, ge=1, le=50, strict=True, description="How many repositories to return.")

    @field_validator("query")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty or whitespace only")
        return value


class Progress(BaseModel):
    total: int
    done: int = Field(description="Repositories finished, successfully or not.")
    succeeded: int
    failed: int
    pending: int


class JobItemOut(BaseModel):
    url: str = Field(description="The URL as submitted.")
    repository: str = Field(description="OWNER/NAME: as GitHub spells it once indexed, else as submitted.")
    status: Literal["pending", "succeeded", "failed"]
    error: str | None

    @classmethod
    def of(cls, item: JobItem) -> JobItemOut:
        return cls(
            url=item.url,
            repository=item.repository or f"{item.owner}/{item.name}",
            status=item.status,
            error=item.error,
        )


JobStatusOut = Literal["queued", "running", "succeeded", "partially_failed", "failed"]


def _progress(counts: dict[str, int]) -> Progress:
    succeeded, failed, pending = (counts.get(k, 0) for k in ("succeeded", "failed", "pending"))
    return Progress(
        total=succeeded + failed + pending,
        done=succeeded + failed,
        succeeded=succeeded,
        failed=failed,
        pending=pending,
    )


class JobSummaryOut(BaseModel):
    id: str
    status: JobStatusOut
    error: str | None = Field(description="Why the job failed, or how many repositories failed.")
    rerun_of: str | None = Field(description="The job this one reruns, if any.")
    created_at: str
    started_at: str | None
    finished_at: str | None
    owner: str | None = Field(description="The replica's runner that holds (or last held) the job: host:pid:random.")
    attempts: int = Field(description="How many times a runner claimed the job (more than 1: taken over after a replica died).")
    progress: Progress

    @classmethod
    def of(cls, job: Job, counts: dict[str, int]) -> JobSummaryOut:
        return cls(
            id=job.id,
            status=job.status,
            error=job.error,
            rerun_of=job.rerun_of,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            owner=job.owner,
            attempts=job.attempts,
            progress=_progress(counts),
        )


class JobOut(JobSummaryOut):
    repositories: list[JobItemOut]

    @classmethod
    def of_job(cls, job: Job) -> JobOut:
        counts: dict[str, int] = {}
        for item in job.items:
            counts[item.status] = counts.get(item.status, 0) + 1
        summary = JobSummaryOut.of(job, counts)
        return cls(**summary.model_dump(), repositories=[JobItemOut.of(i) for i in job.items])


class JobList(BaseModel):
    jobs: list[JobSummaryOut]


class BuildResponse(BaseModel):
    job_id: str
    status: JobStatusOut
    status_url: str = Field(description="Where to follow the job: GET /jobs/{job_id}.")
    repositories: list[str] = Field(description="OWNER/NAME of each repository to index, duplicates removed.")


class SummaryOut(BaseModel):
    name: str = Field(description="OWNER/NAME.")
    owner: str
    repository: str
    url: str
    description: str
    topics: list[str]
    stars: int
    summary: str
    summary_model: str
    embedding_model: str | None
    indexed_at: str

    @classmethod
    def of(cls, repo: Repository) -> SummaryOut:
        return cls(
            name=repo.full_name,
            owner=repo.owner,
            repository=repo.name,
            url=repo.url,
            description=repo.description,
            topics=list(repo.topics),
            stars=repo.stars,
            summary=repo.summary,
            summary_model=repo.summary_model,
            embedding_model=repo.embedding_model,
            indexed_at=repo.indexed_at,
        )


class SummaryList(BaseModel):
    total: int = Field(description="Repositories stored in all.")
    summaries: list[SummaryOut]


class QueryHit(BaseModel):
    name: str = Field(description="OWNER/NAME.")
    url: str
    description: str
    topics: list[str]
    summary: str
    score: float = Field(description="The ranking score, 0..1 (higher is better).")
    keyword_score: float = Field(description="BM25 relative to the best keyword hit, 0..1.")
    semantic_score: float | None = Field(description="Cosine similarity to the query; null in keyword mode.")


class QueryResponse(BaseModel):
    query: str
    mode: Literal["keyword", "hybrid"]
    notice: str | None = Field(description="Why the ranking is less than configured, if it is.")
    results: list[QueryHit]


class ClearResponse(BaseModel):
    deleted: int = Field(description="Repositories removed from the index.")
