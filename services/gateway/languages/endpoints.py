from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.deps import StateDep
from shared.languages import LANGUAGES

router = APIRouter(prefix="/v1/languages", tags=["languages"])


class LanguageOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "cpp",
                    "name": "C++ (GCC)",
                    "version": "12.2.0",
                    "compiled": True,
                    "source_file": "main.cpp",
                    "extensions": [".cpp", ".cc"],
                    "compile_options": ["-O[0-3s]", "-std=c\\+\\+(11|14|17|20)", "-W(all|extra)"],
                }
            ]
        }
    )

    id: str = Field(examples=["python"])
    name: str = Field(examples=["Python 3"])
    version: str | None = Field(description="Version reported by the runtime; null until an executor reported it.")
    compiled: bool
    source_file: str = Field(description="Default entry file name, e.g. `Main.java`.")
    extensions: list[str]
    compile_options: list[str] = Field(
        description="Regular expressions; each compile option of a submission must match one entirely."
    )


@router.get("", response_model=list[LanguageOut], summary="List supported languages")
async def list_languages(state: StateDep) -> list[LanguageOut]:
    versions = await state.versions.get()
    return [
        LanguageOut(version=versions.get(language.id), **language.describe())
        for language in sorted(LANGUAGES.values(), key=lambda lang: lang.id)
    ]
