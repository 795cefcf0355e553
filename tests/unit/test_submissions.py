from __future__ import annotations

import uuid

import pytest

from services.gateway.executions.schemas import ExecutionCreate, LimitsIn
from services.gateway.executions.service import build_execution, file_name_problem, resolve_limits
from shared.events import Event, EventType
from shared.languages import BY_KEY, LANGUAGES
from shared.problems import FieldError, ProblemError, ValidationProblem
from shared.settings import GatewaySettings, LimitsPolicy


@pytest.mark.parametrize("name", ["main.py", "src/Main.java", "a-b_c+d.cpp", "x/y/z/w.go"])
def test_safe_file_names(name: str) -> None:
    assert file_name_problem(name) is None


@pytest.mark.parametrize(
    "name", ["", "/abs", "../x", "a/../b", "a//b", ".", "..", "a/./b", "sp ace", "a\x00b", "é.py", "x" * 300]
)
def test_unsafe_file_names(name: str) -> None:
    assert file_name_problem(name) is not None


@pytest.mark.parametrize("name", ["-v", "-", "--help", "src/-x.c", "a/b/-o.py", "-dir/main.c"])
def test_file_names_that_a_tool_could_read_as_options_are_refused(name: str) -> None:
    problem = file_name_problem(name)
    assert problem is not None
    assert repr(name) in problem, "the error names the file"
    assert "'-'" in problem


@pytest.mark.parametrize("name", ["a-b.c", "x-.py", "src/a--b/main.go", "v-1/x.rs"])
def test_dashes_inside_names_are_fine(name: str) -> None:
    assert file_name_problem(name) is None


def test_a_file_named_like_an_option_is_a_field_error_naming_the_file() -> None:
    payload = ExecutionCreate.model_validate(
        {"language": "c", "files": [{"name": "main.c", "content": "int main(){}"}, {"name": "-v", "content": ""}]}
    )
    with pytest.raises(ValidationProblem) as info:
        build_execution(payload, GatewaySettings(), {})
    [error] = info.value.errors or []
    assert error.loc == ["body", "files", 1, "name"]
    assert "'-v'" in error.msg


def test_limits_take_language_defaults_then_server_defaults() -> None:
    errors: list[FieldError] = []
    policy = LimitsPolicy()
    limits = resolve_limits(LimitsIn(cpu_time_ms=700), policy, {"memory_mb": 512}, "limits", errors)
    assert errors == []
    assert limits.cpu_time_ms == 700
    assert limits.memory_mb == 512
    assert limits.wall_time_ms == policy.wall_time_ms.default


def test_limits_out_of_range_are_reported_with_the_range() -> None:
    errors: list[FieldError] = []
    resolve_limits(LimitsIn(processes=0, memory_mb=10**6), LimitsPolicy(), {}, "limits", errors)
    assert [e.loc for e in errors] == [["body", "limits", "memory_mb"], ["body", "limits", "processes"]]
    assert all("between" in e.msg for e in errors)


def test_entry_file_goes_first_and_source_uses_the_convention() -> None:
    settings = GatewaySettings()
    files = [{"name": "util.py", "content": ""}, {"name": "app.py", "content": ""}]
    execution = build_execution(
        ExecutionCreate.model_validate({"language": "python", "files": files, "entry": "app.py"}), settings, {}
    )
    assert [f["name"] for f in execution.files] == ["app.py", "util.py"]
    reported = {LANGUAGES["java"].key: "25.0.5"}
    single = build_execution(ExecutionCreate(language="java", source="class Main {}"), settings, reported)
    assert single.files == [{"name": "Main.java", "content": "class Main {}"}]
    assert (single.variant, single.version) == (LANGUAGES["java"].variant, "25.0.5")
    assert single.compile_limits is not None


REPORTED = {"python@3.13": "3.13.5", "python@3.11": "3.11.2", "python@pypy": "7.3.19", "c@gcc-12": "12.2.0"}


@pytest.mark.parametrize(
    ("language", "requested", "variant"),
    [
        ("python", None, "3.13"),
        ("python", "3", "3.13"),
        ("python", "3.11", "3.11"),
        ("python", "3.11.2", "3.11"),
        ("python", "PyPy", "pypy"),
        ("python", "7.3", "pypy"),
        ("python", "latest", "3.13"),
        ("c", "gcc", "gcc-14"),
        ("c", "12.2", "gcc-12"),
        ("c", "clang", "clang-19"),
        ("cpp", "clang-19", "clang-19"),
    ],
)
def test_version_selects_the_newest_match_by_prefix(language: str, requested: str | None, variant: str) -> None:
    payload = ExecutionCreate(language=language, source="", version=requested)
    execution = build_execution(payload, GatewaySettings(), REPORTED)
    assert execution.variant == variant
    assert execution.version == REPORTED.get(f"{language}@{variant}")


@pytest.mark.parametrize("requested", ["3.1", "2", "py", "3.11.2.1", "gcc"])
def test_an_unknown_version_is_a_422_naming_the_available_ones(requested: str) -> None:
    with pytest.raises(ValidationProblem) as info:
        build_execution(ExecutionCreate(language="python", source="", version=requested), GatewaySettings(), REPORTED)
    (error,) = info.value.errors or []
    assert error.loc == ["body", "version"]
    assert "3.13 (3.13.5), 3.11 (3.11.2), pypy (7.3.19)" in error.msg


def test_oversized_stdin_is_413() -> None:
    settings = GatewaySettings(max_stdin_bytes=10)
    with pytest.raises(ProblemError) as info:
        build_execution(ExecutionCreate(language="python", source="", stdin="x" * 11), settings, {})
    assert info.value.status == 413


def test_command_templates_expand_to_argv() -> None:
    java = LANGUAGES["java"]
    assert java.expand(java.run, "Main.java", ["Main.java"])[-1] == "Main"
    cpp = LANGUAGES["cpp"]
    argv = cpp.expand(cpp.compile or (), "main.cpp", ["b.cpp", "main.cpp", "a.cpp", "notes.txt"])
    # The entry first, then the others sorted; libraries are linked after them.
    sources = argv[argv.index("main") + 1 :]
    assert sources == ["./main.cpp", "./a.cpp", "./b.cpp", "-Wl,--as-needed", "-lgmpxx", "-lgmp"]


# Python's run command keeps its shape for the zygote (argv[1] is the script); SQLite reads the
# file through its ".read" command, one argument that is not an option; java and scala run a class
# name, and the java launcher has no "--" (names starting with '-' are refused by the gateway for
# all of them).
UNGUARDED = {"python": "run", "sql": "run", "java": "run", "scala": "run"}


@pytest.mark.parametrize("key", sorted(BY_KEY))
def test_file_names_never_reach_a_tool_where_it_could_take_them_for_options(key: str) -> None:
    """Even a name the gateway would refuse ('-x...') lands after '--' or behind './'."""
    lang = BY_KEY[key]
    ext = lang.extensions[0]
    entry, other = f"-entry{ext}", f"-other{ext}"
    for kind, template in (("compile", lang.compile), ("run", lang.run)):
        if template is None or UNGUARDED.get(lang.id) == kind:
            continue
        argv = lang.expand(template, entry, [entry, other])
        for index, arg in enumerate(argv):
            if arg.startswith("-entry") or arg.startswith("-other"):
                # After "--", or the argument of an option taking a file ("php -f file").
                assert "--" in argv[:index] or argv[index - 1] == "-f", (kind, argv)


def test_event_wire_format_is_lossless() -> None:
    event = Event(seq=7, type=EventType.stdout, phase="run", data=b"\x00\xff\n{}\n")
    assert Event.decode(event.encode()) == event
    final = Event(seq=8, type=EventType.result, status="finished", verdict="ok")
    assert Event.decode(final.encode()).is_final


def test_anonymous_interactive_sessions_get_a_shorter_wall_time() -> None:
    settings = GatewaySettings()
    payload = ExecutionCreate(language="python", source="input()")
    anonymous = build_execution(payload, settings, {}, interactive=True)
    assert anonymous.limits["wall_time_ms"] == settings.anonymous_interactive_wall_time_ms.default == 120_000
    signed_in = build_execution(payload, settings, {}, interactive=True, user_id=uuid.uuid4())
    assert signed_in.limits["wall_time_ms"] == settings.interactive_wall_time_ms.default == 300_000
    longest = ExecutionCreate(language="python", source="input()", limits=LimitsIn(wall_time_ms=900_000))
    build_execution(longest, settings, {}, interactive=True, user_id=uuid.uuid4())
    with pytest.raises(ValidationProblem) as info:
        build_execution(longest, settings, {}, interactive=True)
    assert [e.loc for e in info.value.errors or []] == [["body", "limits", "wall_time_ms"]]


def test_anonymous_judged_executions_hold_a_slot_for_less_time() -> None:
    settings = GatewaySettings()
    cases = [{"stdin": "", "expected_stdout": ""}] * 30
    payload = ExecutionCreate.model_validate({"language": "python", "source": "", "test_cases": cases})
    # Thirty cases at the account default wall limit (10 s): 300 s, within judge_max_wall_ms (600 s).
    build_execution(payload, settings, {}, user_id=uuid.uuid4())
    # At the anonymous default (5 s): 150 s, past anonymous_judge_max_wall_ms (120 s).
    with pytest.raises(ValidationProblem) as info:
        build_execution(payload, settings, {})
    [error] = info.value.errors or []
    assert error.loc == ["body", "test_cases"]
    assert "at most 120000 ms" in error.msg
