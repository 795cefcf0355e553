from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.deps import StateDep
from shared.languages import VERSIONS, Language, family_name

router = APIRouter(prefix="/v1/languages", tags=["languages"])


class LanguageVersionOut(BaseModel):
    variant: str = Field(
        description="The version's name; pass it (or a prefix of it or of `version`) as an execution's `version`.",
        examples=["3.13", "gcc-14", "pypy"],
    )
    version: str | None = Field(
        description="Version reported by the runtime itself; null until an executor reported it.", examples=["3.13.5"]
    )
    default: bool = Field(description="Whether an execution naming no version runs this one (the newest).")
    name: str = Field(examples=["Python 3.13"])
    compiled: bool
    source_file: str = Field(description="Default entry file name, e.g. `Main.java`.")
    extensions: list[str] = Field(description="File extensions that count as this language's sources.")
    compile_command: list[str] | None = Field(
        description="The compile command as argv (no shell); placeholders: `{entry}`, `{sources}` (every source "
        "file, entry first), `{flags}` (the submission's compile options), `{entry_base}`, `{main_class}`."
    )
    run_command: list[str] = Field(description="The run command as argv; the program's args follow it.")
    compile_options: list[str] = Field(
        description="Regular expressions; each compile option of a submission must match one entirely."
    )
    libraries: list[str] = Field(description="Libraries preinstalled for this version.")


class LanguageOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "cpp",
                    "name": "C++",
                    "version": "14.2.0",
                    "compiled": True,
                    "source_file": "main.cpp",
                    "extensions": [".cpp", ".cc"],
                    "compile_options": ["-O[0-3s]", "-std=c\\+\\+(11|14|17|20)", "-W(all|extra)"],
                    "versions": [],
                }
            ]
        }
    )

    id: str = Field(examples=["python"])
    name: str = Field(examples=["Python"], description="The language's name; each version has its own.")
    version: str | None = Field(description="The default version as its runtime reports it; null until reported.")
    compiled: bool
    source_file: str = Field(description="Default entry file name, e.g. `Main.java`.")
    extensions: list[str]
    compile_options: list[str] = Field(
        description="The default version's allowed compile options (regular expressions matched entirely)."
    )
    versions: list[LanguageVersionOut] = Field(description="Every version offered, the default (newest) first.")


def _version_out(language: Language, reported: dict[str, str], default: bool) -> LanguageVersionOut:
    return LanguageVersionOut(version=reported.get(language.key), default=default, **language.describe())


@router.get("", response_model=list[LanguageOut], summary="List supported languages and their versions")
async def list_languages(state: StateDep) -> list[LanguageOut]:
    reported = await state.versions.get()
    items = []
    for language_id, group in VERSIONS.items():
        default = group[0]
        items.append(
            LanguageOut(
                id=language_id,
                name=family_name(default.name),
                version=reported.get(default.key),
                compiled=default.compiled,
                source_file=default.source_file,
                extensions=list(default.extensions),
                compile_options=list(default.allowed_flags),
                versions=[_version_out(lang, reported, lang is default) for lang in group],
            )
        )
    return items
