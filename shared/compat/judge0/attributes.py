"""Judge0's statuses and submission attributes (docs/api/submissions/submissions.md), and the
defaults of the options CodeRunHub accepts but does not enforce separately."""

from __future__ import annotations

# Judge0's statuses (app/enumerations/status.rb), ids fixed by its API.
STATUSES: dict[int, str] = {
    1: "In Queue",
    2: "Processing",
    3: "Accepted",
    4: "Wrong Answer",
    5: "Time Limit Exceeded",
    6: "Compilation Error",
    7: "Runtime Error (SIGSEGV)",
    8: "Runtime Error (SIGXFSZ)",
    9: "Runtime Error (SIGFPE)",
    10: "Runtime Error (SIGABRT)",
    11: "Runtime Error (NZEC)",
    12: "Runtime Error (Other)",
    13: "Internal Error",
    14: "Exec Format Error",
}

# The 33 documented attributes (what `fields=*` selects), in the documentation's order, and the
# language object Judge0's serializer adds.
ALL_FIELDS: tuple[str, ...] = (
    "source_code",
    "language_id",
    "compiler_options",
    "command_line_arguments",
    "stdin",
    "expected_output",
    "cpu_time_limit",
    "cpu_extra_time",
    "wall_time_limit",
    "memory_limit",
    "stack_limit",
    "max_processes_and_or_threads",
    "enable_per_process_and_thread_time_limit",
    "enable_per_process_and_thread_memory_limit",
    "max_file_size",
    "redirect_stderr_to_stdout",
    "enable_network",
    "number_of_runs",
    "additional_files",
    "callback_url",
    "stdout",
    "stderr",
    "compile_output",
    "message",
    "exit_code",
    "exit_signal",
    "status",
    "created_at",
    "finished_at",
    "token",
    "time",
    "wall_time",
    "memory",
    "language",
)
DEFAULT_FIELDS: tuple[str, ...] = (
    "token",
    "time",
    "memory",
    "stdout",
    "stderr",
    "compile_output",
    "message",
    "status",
)

# Judge0's defaults for options shown back but not enforced on their own (CPU and memory limits
# apply): stack_limit (KB) and cpu_extra_time (s).
DEFAULT_CPU_EXTRA_TIME_S = 1.0
DEFAULT_STACK_LIMIT_KB = 64_000
