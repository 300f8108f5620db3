"""A small fixture corpus: GitHub repository answers, READMEs and model summaries.

The repository JSON has the shape of ``GET /repos/{owner}/{repo}`` (the full
recorded answer for encode/httpx is ``fixtures/github_repo_httpx.json``; the
others are made from it, changing the fields RAGstar reads and the ones that
name the repository). Summaries are what a model could answer for the prompt.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).with_name("fixtures")


@dataclass(frozen=True)
class FixtureRepo:
    full_name: str
    description: str
    topics: tuple[str, ...]
    stars: int
    readme: str
    summary: str

    @property
    def url(self) -> str:
        return f"https://github.com/{self.full_name}"


CORPUS: tuple[FixtureRepo, ...] = (
    FixtureRepo(
        "encode/httpx",
        "A next generation HTTP client for Python. 🦋",
        ("asyncio", "http", "python", "trio"),
        13500,
        "<p align=\"center\"><img src=\"https://raw.githubusercontent.com/encode/httpx/master/docs/img/butterfly.png\"></p>\n"
        "# HTTPX\n\n[![Test Suite](https://github.com/encode/httpx/workflows/Test%20Suite/badge.svg)](https://github.com/encode/httpx/actions)\n\n"
        "HTTPX is a fully featured HTTP client library for Python 3. It includes an integrated command line client, "
        "has support for both HTTP/1.1 and HTTP/2, and provides both sync and async APIs.\n",
        "HTTPX is a fully featured HTTP client for Python 3 with sync and async APIs, HTTP/1.1 and HTTP/2 support.",
    ),
    FixtureRepo(
        "psf/requests",
        "A simple, yet elegant, HTTP library.",
        ("client", "cookies", "forhumans", "http", "humans", "python", "python-requests", "requests"),
        52800,
        "# Requests\n\n**Requests** is a simple, yet elegant, HTTP library.\n\n```python\n>>> import requests\n"
        ">>> r = requests.get('https://httpbin.org/basic-auth/user/pass', auth=('user', 'pass'))\n```\n",
        "Requests is a simple, elegant HTTP library for Python that makes sending HTTP/1.1 requests easy.",
    ),
    FixtureRepo(
        "tiangolo/fastapi",
        "FastAPI framework, high performance, easy to learn, fast to code, ready for production",
        ("api", "async", "asyncio", "fastapi", "framework", "json", "openapi", "pydantic", "python", "rest", "starlette", "web"),
        80100,
        "<!-- sponsors -->\n# FastAPI\n\nFastAPI is a modern, fast (high-performance), web framework for building APIs "
        "with Python based on standard Python type hints.\n",
        "FastAPI is a modern, high-performance Python web framework for building APIs from standard type hints.",
    ),
    FixtureRepo(
        "pallets/flask",
        "The Python micro framework for building web applications.",
        ("flask", "jinja", "pallets", "python", "web-framework", "werkzeug", "wsgi"),
        68900,
        "# Flask\n\nFlask is a lightweight WSGI web application framework. It is designed to make getting "
        "started quick and easy, with the ability to scale up to complex applications.\n",
        "Flask is a lightweight WSGI micro framework in Python for building web applications.",
    ),
    FixtureRepo(
        "BurntSushi/ripgrep",
        "ripgrep recursively searches directories for a regex pattern while respecting your gitignore",
        ("cli", "command-line", "command-line-tool", "grep", "recursive-search", "regex", "ripgrep", "rust", "search"),
        50200,
        "ripgrep (rg)\n------------\nripgrep is a line-oriented search tool that recursively searches the current "
        "directory for a regex pattern. By default, ripgrep will respect gitignore rules.\n",
        "ripgrep is a fast line-oriented command-line search tool written in Rust that recursively searches "
        "directories for a regex pattern.",
    ),
    FixtureRepo(
        "junegunn/fzf",
        ":cherry_blossom: A command-line fuzzy finder",
        ("bash", "cli", "fish", "fzf", "go", "neovim", "tmux", "unix", "vim", "zsh"),
        67800,
        "<div align=\"center\"><img src=\"https://raw.githubusercontent.com/junegunn/i/master/fzf.png\" height=\"170\"></div>\n\n"
        "fzf is a general-purpose command-line fuzzy finder. It's an interactive filter program for any kind of list; "
        "files, command history, processes, hostnames, bookmarks, git commits, etc.\n",
        "fzf is a general-purpose interactive command-line fuzzy finder written in Go for files, history and processes.",
    ),
    FixtureRepo(
        "facebookresearch/faiss",
        "A library for efficient similarity search and clustering of dense vectors.",
        ("nearest-neighbor", "gpu", "approximate-nearest-neighbor"),
        33000,
        "# Faiss\n\nFaiss is a library for efficient similarity search and clustering of dense vectors. It contains "
        "algorithms that search in sets of vectors of any size, up to ones that possibly do not fit in RAM.\n",
        "Faiss is a C++ library with Python bindings for efficient similarity search and clustering of dense vectors, "
        "with GPU support.",
    ),
)

BY_NAME = {repo.full_name.lower(): repo for repo in CORPUS}


def repo_json(repo: FixtureRepo) -> dict[str, Any]:
    """The ``GET /repos/{owner}/{repo}`` answer for ``repo``, in GitHub's shape."""
    template = json.loads((FIXTURES / "github_repo_httpx.json").read_text(encoding="utf-8"))
    data = copy.deepcopy(template)
    owner, name = repo.full_name.split("/")
    api = f"https://api.github.com/repos/{repo.full_name}"
    data.update(
        name=name,
        full_name=repo.full_name,
        html_url=repo.url,
        description=repo.description,
        url=api,
        git_url=f"git://github.com/{repo.full_name}.git",
        ssh_url=f"git@github.com:{repo.full_name}.git",
        clone_url=f"{repo.url}.git",
        stargazers_count=repo.stars,
        watchers_count=repo.stars,
        watchers=repo.stars,
        topics=list(repo.topics),
    )
    data["owner"].update(login=owner, url=f"https://api.github.com/users/{owner}", html_url=f"https://github.com/{owner}")
    return data
