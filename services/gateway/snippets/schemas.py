"""Request and response bodies of the snippets API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.gateway.executions.schemas import FileIn, LimitsIn
from shared.db.models import CodeMetric, Snippet, SnippetRevision

Visibility = Literal["private", "unlisted", "public"]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=10_000)]

VISIBILITY_HELP = (
    "`private`: only the owner (and admins); `unlisted`: anyone holding the share link "
    "(`links.share`, shown to the owner), never listed; `public`: anyone, listed in GET /v1/snippets/public."
)

_EXAMPLE_FILES: Any = [
    {"name": "main.py", "content": "from greet import hello\nprint(hello(input()))\n"},
    {"name": "greet.py", "content": "def hello(name):\n    return f'Hello, {name}!'\n"},
]


class FileOut(BaseModel):
    name: str
    content: str


class SnippetCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Greeter",
                    "description": "Reads a name, greets it.",
                    "language": "python",
                    "files": _EXAMPLE_FILES,
                    "visibility": "unlisted",
                }
            ]
        },
    )

    title: Title = Field(examples=["Greeter"])
    description: Description = ""
    language: str = Field(description="Language id from GET /v1/languages.", examples=["python"])
    files: list[FileIn] = Field(
        min_length=1,
        description="Source files (relative paths). The entry is the language's conventional file name "
        "(e.g. `main.py`, `Main.java`) when present, else the first file.",
    )
    visibility: Visibility = Field(default="private", description=VISIBILITY_HELP)


class SnippetUpdate(BaseModel):
    """Omitted fields keep their value. A change of title, description, language or files is a new revision."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"title": "Greeter v2", "expected_revision": 1}, {"visibility": "public"}]},
    )

    title: Title | None = None
    description: Description | None = None
    language: str | None = None
    files: list[FileIn] | None = Field(default=None, min_length=1)
    visibility: Visibility | None = Field(default=None, description=VISIBILITY_HELP)
    expected_revision: int | None = Field(
        default=None,
        ge=1,
        description="Refuse the update (409) unless this is still the current revision (like `If-Match`).",
    )

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set - {"expected_revision"}:
            raise ValueError("give at least one field to change")
        for name in ("title", "description", "language", "files", "visibility"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self

    @property
    def changes_content(self) -> bool:
        return bool(self.model_fields_set & {"title", "description", "language", "files"})


class SnippetRun(BaseModel):
    """How to run a snippet: the same options as POST /v1/executions, minus the code."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"stdin": "world", "args": ["--verbose"]}]}
    )

    stdin: str = Field(default="", description="Data sent to the program's standard input.")
    args: list[str] = Field(default_factory=list, description="Command-line arguments passed to the program.")
    version: str | None = Field(default=None, description="Required language version (prefix match).")
    compile_options: list[str] = Field(default_factory=list, description="Compiler flags (see GET /v1/languages).")
    limits: LimitsIn | None = Field(default=None, description="Limits of the run phase.")
    compile_limits: LimitsIn | None = Field(default=None, description="Limits of the compile phase.")


class ForkOrigin(BaseModel):
    id: uuid.UUID
    revision: int | None = Field(description="The origin's revision the fork was made from.")


class SnippetLinks(BaseModel):
    self: str
    revisions: str
    run: str
    share: str | None = Field(description="The share link (owner only); it works while the snippet is not private.")


def _links(snippet: Snippet, owner_view: bool) -> SnippetLinks:
    base = f"/v1/snippets/{snippet.id}"
    return SnippetLinks(
        self=base,
        revisions=f"{base}/revisions",
        run=f"{base}/run",
        share=f"/v1/snippets/shared/{snippet.share_token}" if owner_view else None,
    )


class SnippetMetrics(BaseModel):
    """Code metrics of the snippet's current revision (lizard, computed once it is saved)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "revision": 2,
                    "language": "python",
                    "lines": 14,
                    "code_lines": 11,
                    "functions": 2,
                    "ccn_max": 4,
                    "ccn_avg": 2.5,
                    "computed_at": "2026-12-07T08:00:00Z",
                }
            ]
        }
    )

    revision: int = Field(description="The revision measured: always the current one.")
    language: str
    lines: int = Field(description="Lines of all the files.")
    code_lines: int = Field(description="Lines with code (lizard's NLOC; non-blank lines where it reads no file).")
    functions: int | None = Field(description="Functions found; null where lizard reads none of the files.")
    ccn_max: int | None = Field(description="The highest cyclomatic complexity of a function; null without any.")
    ccn_avg: float | None = Field(description="The mean cyclomatic complexity of its functions; null without any.")
    computed_at: datetime = Field(description="When the revision was saved.")

    @classmethod
    def of(cls, row: CodeMetric) -> SnippetMetrics:
        return cls(
            revision=row.revision,
            language=row.language,
            lines=row.lines,
            code_lines=row.code_lines,
            functions=row.functions,
            ccn_max=row.ccn_max,
            ccn_avg=round(row.ccn_avg, 2) if row.ccn_avg is not None else None,
            computed_at=row.created_at,
        )


class SnippetSummary(BaseModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    title: str
    description: str
    language: str
    visibility: Visibility
    revision: int = Field(description="The current (latest) revision number.")
    forked_from: ForkOrigin | None
    created_at: datetime
    updated_at: datetime
    links: SnippetLinks
    metrics: SnippetMetrics | None = Field(
        default=None,
        description="Code metrics of the current revision: null until an executor has computed them "
        "(about a second after a save), and where they could not be (a tool limit).",
    )

    @classmethod
    def summary(cls, snippet: Snippet, owner_view: bool, metrics: CodeMetric | None = None) -> SnippetSummary:
        return SnippetSummary(**_common(snippet, owner_view), metrics=_metrics(snippet, metrics))


class SnippetOut(SnippetSummary):
    files: list[FileOut]

    @classmethod
    def build(cls, snippet: Snippet, owner_view: bool, metrics: CodeMetric | None = None) -> SnippetOut:
        return cls(
            **_common(snippet, owner_view),
            files=[FileOut(**f) for f in snippet.files],
            metrics=_metrics(snippet, metrics),
        )


def _metrics(snippet: Snippet, row: CodeMetric | None) -> SnippetMetrics | None:
    # Only the current revision's: an older revision's numbers would describe other code.
    return SnippetMetrics.of(row) if row is not None and row.revision == snippet.revision else None


def _common(snippet: Snippet, owner_view: bool) -> dict[str, object]:
    origin = None
    if snippet.forked_from_id is not None:
        origin = ForkOrigin(id=snippet.forked_from_id, revision=snippet.forked_from_revision)
    return {
        "id": snippet.id,
        "owner_id": snippet.owner_id,
        "title": snippet.title,
        "description": snippet.description,
        "language": snippet.language,
        "visibility": snippet.visibility,
        "revision": snippet.revision,
        "forked_from": origin,
        "created_at": snippet.created_at,
        "updated_at": snippet.updated_at,
        "links": _links(snippet, owner_view),
    }


class SnippetPage(BaseModel):
    items: list[SnippetSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class RevisionSummary(BaseModel):
    number: int
    title: str
    language: str
    created_at: datetime


class RevisionOut(BaseModel):
    snippet_id: uuid.UUID
    number: int
    title: str
    description: str
    language: str
    files: list[FileOut]
    created_at: datetime

    @classmethod
    def build(cls, revision: SnippetRevision) -> RevisionOut:
        return cls(
            snippet_id=revision.snippet_id,
            number=revision.number,
            title=revision.title,
            description=revision.description,
            language=revision.language,
            files=[FileOut(**f) for f in revision.files],
            created_at=revision.created_at,
        )
