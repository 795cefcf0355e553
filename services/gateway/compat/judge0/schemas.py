"""A Judge0 CE 1.13 submission as the API takes it (docs/api/submissions/submissions.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class SubmissionIn(BaseModel):
    """A submission as Judge0 takes it; unknown attributes are ignored, as Rails' permit does."""

    model_config = ConfigDict(extra="ignore")

    source_code: str | None = None
    language_id: int | None = None
    compiler_options: str | None = None
    command_line_arguments: str | None = None
    stdin: str | None = None
    expected_output: str | None = None
    cpu_time_limit: float | None = None
    cpu_extra_time: float | None = None
    wall_time_limit: float | None = None
    memory_limit: float | None = None
    stack_limit: int | None = None
    max_processes_and_or_threads: int | None = None
    enable_per_process_and_thread_time_limit: bool | None = None
    enable_per_process_and_thread_memory_limit: bool | None = None
    max_file_size: int | None = None
    redirect_stderr_to_stdout: bool | None = None
    enable_network: bool | None = None
    number_of_runs: int | None = None
    additional_files: str | None = None
    callback_url: str | None = None
