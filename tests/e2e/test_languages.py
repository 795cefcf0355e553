"""Every language and every version of it: hello world, stdin echo, a compilation or syntax error
and a runtime error, through gateway, queue, executor and Docker. All programs are submitted up
front so the executor's slots stay busy; each test then checks its own result."""

from __future__ import annotations

import asyncio
import base64
import subprocess
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from shared.languages import BY_KEY, LANGUAGES, VERSIONS
from shared.settings import ExecutorSettings
from tests.e2e.conftest import run
from tests.e2e.programs import CANNOT_FAIL, PROGRAMS, echo_io

CASES = ("hello", "echo", "error", "crash")
Results = dict[tuple[str, str], dict[str, Any]]


async def _finished(api: httpx.AsyncClient, execution_id: str) -> dict[str, Any]:
    for _ in range(1200):
        body: dict[str, Any] = (await api.get(f"/v1/executions/{execution_id}")).json()
        if body["status"] == "finished":
            return body
        await asyncio.sleep(0.25)
    raise TimeoutError(execution_id)


@pytest_asyncio.fixture(scope="module")
async def results(api: httpx.AsyncClient, executor: object) -> AsyncIterator[Results]:
    submitted: dict[tuple[str, str], str] = {}
    for key, language in BY_KEY.items():
        programs = PROGRAMS[language.id]
        for case in CASES:
            payload = {"language": language.id, "version": language.variant, "source": getattr(programs, case)}
            if case == "echo":
                payload["stdin"] = echo_io(language.id)[0]
            response = await api.post("/v1/executions", json=payload)
            assert response.status_code == 202, response.text
            submitted[(key, case)] = response.json()["id"]
    done = await asyncio.gather(*(_finished(api, eid) for eid in submitted.values()))
    yield dict(zip(submitted, done, strict=True))


def test_every_language_has_programs() -> None:
    assert set(PROGRAMS) == set(LANGUAGES)
    assert len(LANGUAGES) >= 15


def assert_output_unchanged(result: dict[str, Any], source: str) -> None:
    """A language whose programs cannot fail (plain text): what looks like a failure is output as it is."""
    assert result["verdict"] == "ok", result
    assert result["run"]["stdout"] == source
    assert result["run"]["stderr"] == ""


@pytest.mark.parametrize("key", sorted(BY_KEY))
def test_hello_world(results: Results, key: str) -> None:
    result = results[(key, "hello")]
    assert result["verdict"] == "ok", result
    assert result["run"]["stdout"] == "Hello, world!\n"
    assert result["run"]["exit_code"] == 0
    assert result["version"], "the executor reports the runtime's real version"
    assert result["run"]["wall_time_ms"] > 0
    assert result["run"]["memory_kb"] > 0
    if BY_KEY[key].compiled:
        assert result["compile"]["verdict"] == "ok"


@pytest.mark.parametrize("key", sorted(BY_KEY))
def test_stdin_echo(results: Results, key: str) -> None:
    result = results[(key, "echo")]
    assert result["verdict"] == "ok", result
    assert result["run"]["stdout"] == echo_io(BY_KEY[key].id)[1]


@pytest.mark.parametrize("key", sorted(BY_KEY))
def test_compilation_or_syntax_error(results: Results, key: str) -> None:
    result = results[(key, "error")]
    language = BY_KEY[key].id
    if language in CANNOT_FAIL:
        assert_output_unchanged(result, PROGRAMS[language].error)
    elif BY_KEY[key].compiled:
        assert result["verdict"] == "compilation_error", result
        assert result["compile"]["exit_code"] != 0
        assert result["compile"]["stderr"] or result["compile"]["stdout"], "the compiler says why"
        assert result["run"] is None
    else:
        assert result["verdict"] == "runtime_error", result
        assert result["run"]["exit_code"] != 0
        assert result["run"]["stderr"], "the interpreter says why"


@pytest.mark.parametrize("key", sorted(BY_KEY))
def test_runtime_error(results: Results, key: str) -> None:
    result = results[(key, "crash")]
    language = BY_KEY[key].id
    if language in CANNOT_FAIL:
        assert_output_unchanged(result, PROGRAMS[language].crash)
        return
    assert result["verdict"] == "runtime_error", result
    run_phase = result["run"]
    assert run_phase["exit_code"] not in (None, 0) or run_phase["signal"], run_phase
    assert run_phase["stderr"] or run_phase["stdout"]


async def test_languages_endpoint_reports_real_versions(api: httpx.AsyncClient, executor: object) -> None:
    response = await api.get("/v1/languages")
    assert response.status_code == 200
    languages = {item["id"]: item for item in response.json()}
    assert set(languages) == set(LANGUAGES)
    for item in languages.values():
        assert item["version"], item
        assert item["version"][0].isdigit(), item
        versions = item["versions"]
        assert [v["variant"] for v in versions] == [lang.variant for lang in VERSIONS[item["id"]]]
        assert [v["default"] for v in versions] == [True] + [False] * (len(versions) - 1)
        assert versions[0]["version"] == item["version"]
        for version in versions:
            assert (version["version"] or "x")[0].isdigit(), version
            assert version["run_command"], version
            assert (version["compile_command"] is not None) == version["compiled"], version
    # Versions side by side are really different runtimes.
    python = {v["variant"]: v["version"] for v in languages["python"]["versions"]}
    assert python["3.13"].startswith("3.13.")
    assert python["3.11"].startswith("3.11.")
    java = {v["variant"]: v["version"] for v in languages["java"]["versions"]}
    assert [java[v].split(".")[0] for v in ("25", "21", "17")] == ["25", "21", "17"]
    assert languages["python"]["versions"][0]["libraries"]
    assert languages["java"]["source_file"] == "Main.java"
    assert languages["cpp"]["compiled"] is True
    assert languages["cpp"]["compile_options"]
    assert languages["python"]["compiled"] is False


async def test_java_file_is_named_after_its_public_class(api: httpx.AsyncClient) -> None:
    source = 'public class Solution { public static void main(String[] a) { System.out.println("named"); } }'
    result = await run(api, {"language": "java", "source": source})
    assert result["verdict"] == "ok", result
    assert result["run"]["stdout"] == "named\n"


async def test_java_package_and_multiple_files(api: httpx.AsyncClient) -> None:
    files = [
        {
            "name": "app/Util.java",
            "content": 'package app;\npublic class Util { static String hi() { return "pkg"; } }',
        },
        {
            "name": "app/App.java",
            "content": "package app;\npublic class App { public static void main(String[] a) "
            "{ System.out.println(Util.hi()); } }",
        },
    ]
    result = await run(api, {"language": "java", "files": files, "entry": "app/App.java"})
    assert result["verdict"] == "ok", result
    assert result["run"]["stdout"] == "pkg\n"


@pytest.mark.parametrize(("version", "implementation"), [("3.13", "CPython"), ("3.11", "CPython"), ("pypy", "PyPy")])
async def test_the_version_asked_for_is_the_one_that_runs(
    api: httpx.AsyncClient, version: str, implementation: str
) -> None:
    source = "import platform\nprint(platform.python_implementation(), platform.python_version())"
    result = await run(api, {"language": "python", "version": version, "source": source})
    assert result["verdict"] == "ok", result
    name, python_version = result["run"]["stdout"].split()
    assert name == implementation
    if implementation == "CPython":
        assert python_version.startswith(version + ".")
        assert result["version"] == python_version, "the record names the version that ran"
    else:
        assert (result["version"] or "").startswith("7."), "PyPy reports its own version (7.x)"


async def test_python_has_the_scientific_stack(api: httpx.AsyncClient) -> None:
    source = (
        "import numpy as np, scipy.optimize, sympy, matplotlib\n"
        "import matplotlib.pyplot as plt\n"
        "x = sympy.symbols('x')\n"
        "print(sympy.integrate(x**2, (x, 0, 3)))\n"
        "print(round(float(scipy.optimize.brentq(lambda v: v * v - 2, 0, 2)), 6))\n"
        "plt.plot(np.arange(3)); plt.savefig('/tmp/plot.png')\n"
        "print(matplotlib.get_backend().lower(), open('/tmp/plot.png', 'rb').read(4) == b'\\x89PNG')"
    )
    result = await run(api, {"language": "python", "source": source})
    assert result["verdict"] == "ok", result
    assert result["run"]["stdout"] == "9\n1.414214\nagg True\n"


# A program per language that uses every library its versions list (GET /v1/languages), compile
# options, and its exact output. No option is needed to link a library.
_C_GMP = (
    "#include <gmp.h>\n#include <stdio.h>\n"
    'int main(void) { mpz_t f; mpz_init(f); mpz_fac_ui(f, 30); gmp_printf("%Zd\\n", f); mpz_clear(f); return 0; }\n'
)
_CXX = (
    "#include <Eigen/Dense>\n#include <gmpxx.h>\n#include <boost/algorithm/string.hpp>\n#include <iostream>\n"
    "int main() {\n"
    "  Eigen::Matrix2d m; m << 1, 2, 3, 4;\n"
    "  mpz_class f = 1; for (int i = 2; i <= 30; i++) f *= i;\n"
    '  std::string s = "boost"; boost::to_upper(s);\n'
    '  std::cout << m.determinant() << " " << f << " " << s << "\\n";\n'
    "}\n"
)
_HASKELL = (
    "import qualified Data.Vector as V\nimport qualified Data.Map as M\nimport qualified Data.Text as T\n"
    "import qualified Data.ByteString.Char8 as B\nimport Data.Array (listArray, (!))\n"
    "import Control.Monad.State (execState, modify)\nimport Data.List.Split (splitOn)\n"
    "import System.Random (mkStdGen, randomR)\n"
    "main :: IO ()\nmain = do\n"
    "  print (V.sum (V.fromList [1 .. 10 :: Int]), M.size (M.fromList [(1 :: Int, 'a'), (2, 'b')]))\n"
    '  print (T.toUpper (T.pack "text"), B.length (B.pack "bytes"), listArray (0, 2) "abc" ! (1 :: Int))\n'
    '  print (execState (modify (+ 1)) (41 :: Int), splitOn "," "a,b,c", fst (randomR (7, 7 :: Int) (mkStdGen 42)))\n'
)
_R = """suppressPackageStartupMessages({
  library(jsonlite); library(data.table); library(dplyr); library(tidyr); library(readr)
  library(purrr); library(stringr); library(tibble); library(magrittr); library(ggplot2)
})
df <- tibble(x = 1:4, g = c("a", "a", "b", "b"))
cat(toJSON(df %>% group_by(g) %>% summarise(t = sum(x))), "\\n", sep = "")
wide <- pivot_wider(df, names_from = g, values_from = x, values_fn = sum)
cat(data.table(a = 1:3)[, sum(a)], str_to_upper("ok"), map_dbl(1:3, ~ .x * 2),
    nrow(read_csv(I("a,b\\n1,2"), show_col_types = FALSE)), ncol(wide))
cat("\\n")
plot <- ggplot(df, aes(x, x)) + geom_point()
ggsave("plot.pdf", plot, width = 2, height = 2)
cat(file.size("plot.pdf") > 1000, "\\n", sep = "")
"""
LIBRARY_PROGRAMS: dict[str, tuple[str, list[str], str]] = {
    "c": (_C_GMP, [], "265252859812191058636308480000000\n"),
    "cpp": (_CXX, [], "-2 265252859812191058636308480000000 BOOST\n"),
    "javascript": (
        "const _ = require('lodash');\nconsole.log(_.chunk([1, 2, 3, 4, 5], 2).length, _.VERSION.split('.')[0]);\n",
        [],
        "3 4\n",
    ),
    "php": (
        '<?php\necho bcadd("1234567890123456789", "1"), " ", gmp_strval(gmp_fact(20)), " ",\n'
        '  mb_strtoupper("héllo"), "\\n";\n',
        [],
        "1234567890123456790 2432902008176640000 HÉLLO\n",
    ),
    "haskell": (_HASKELL, [], '(55,2)\n("TEXT",5,\'b\')\n(42,["a","b","c"],7)\n'),
    "ruby": (
        'require "prime"\nrequire "matrix"\nrequire "bigdecimal"\nrequire "json"\n'
        'puts [Prime.first(3).inspect, Matrix[[1, 2], [3, 4]].det, (BigDecimal("0.1") + BigDecimal("0.2")).to_s,\n'
        '      JSON.generate({"a" => 1})].join(" ")\n',
        [],
        '[2, 3, 5] -2 0.3e0 {"a":1}\n',
    ),
    "java": (
        "import com.google.common.collect.ImmutableList;\nimport com.google.gson.Gson;\n"
        "import org.apache.commons.lang3.StringUtils;\n"
        "public class Main {\n  public static void main(String[] args) {\n"
        '    System.out.println(StringUtils.capitalize("guava") + " " + ImmutableList.of(1, 2).size() + " "\n'
        '        + new Gson().toJson(java.util.Map.of("a", 1)));\n  }\n}\n',
        [],
        'Guava 2 {"a":1}\n',
    ),
    "r": (_R, [], '[{"g":"a","t":3},{"g":"b","t":7}]\n6 OK 2 4 6 1 2\nTRUE\n'),
}


# Python's scientific stack (Hy's too) has tests of its own (above).
_LIBRARIES_TESTED_ABOVE = {"python", "hy"}


def _with_libraries() -> list[str]:
    return sorted(
        key for key, language in BY_KEY.items() if language.libraries and language.id not in _LIBRARIES_TESTED_ABOVE
    )


def test_every_listed_library_has_a_program() -> None:
    assert {BY_KEY[key].id for key in _with_libraries()} == set(LIBRARY_PROGRAMS)


@pytest.mark.parametrize("key", _with_libraries())
async def test_listed_libraries_are_installed(api: httpx.AsyncClient, key: str) -> None:
    language = BY_KEY[key]
    source, flags, expected = LIBRARY_PROGRAMS[language.id]
    payload = {"language": language.id, "version": language.variant, "source": source, "compile_options": flags}
    result = await run(api, payload)
    assert result["verdict"] == "ok", result
    assert result["run"]["stdout"] == expected


@pytest.mark.parametrize("flags", [[], ["-std=gnu++20", "-O0"]])
@pytest.mark.parametrize("version", ["gcc-14", "gcc-12"])
async def test_cpp_with_bits_stdcxx_compiles_with_or_without_its_precompiled_header(
    api: httpx.AsyncClient, version: str, flags: list[str]
) -> None:
    """The precompiled header serves the default flags; other flags fall back to the header."""
    source = (
        "#include <bits/stdc++.h>\nusing namespace std;\n"
        'int main() { vector<int> v{3, 1, 2}; sort(v.begin(), v.end()); cout << v[0] << v[2] << "\\n"; }'
    )
    payload = {"language": "cpp", "version": version, "source": source, "compile_options": flags}
    result = await run(api, payload)
    assert result["verdict"] == "ok", result
    assert result["run"]["stdout"] == "13\n"


async def test_python_has_numpy_and_pandas(api: httpx.AsyncClient) -> None:
    source = "import numpy as np, pandas as pd\nprint(int(np.arange(5).sum()), len(pd.DataFrame({'a': [1, 2]})))"
    result = await run(api, {"language": "python", "source": source})
    assert result["verdict"] == "ok", result
    assert result["run"]["stdout"] == "10 2\n"


# The pre-started interpreter ends a program the cheap way (zygote.py): what a program can see of
# CPython's exit must not change. The same files run by a bare python3 print exactly this.
PYTHON_EXIT_MAIN = """import atexit, sys, threading, time
class Noisy:
    def __del__(self):
        print("main object finalized")
kept = Noisy()
log = open("/tmp/log.txt", "w")
log.write("written at exit")
atexit.register(lambda: print("atexit ran", open("/tmp/log.txt").read() == ""))
def late():
    time.sleep(0.2)
    print("thread joined")
threading.Thread(target=late).start()
import helper
print("main done")
sys.exit(int(sys.argv[1]))
"""
PYTHON_EXIT_HELPER = """out = open(1, "w", closefd=False)
out.write("helper flushed at exit\\n")
"""
PYTHON_EXIT_STDOUT = "main done\nthread joined\natexit ran True\nmain object finalized\nhelper flushed at exit\n"


@pytest.mark.parametrize("version", ["3.13", "3.11"])
@pytest.mark.parametrize("status", [0, 3])
async def test_python_programs_end_as_cpython_ends_them(api: httpx.AsyncClient, status: int, version: str) -> None:
    files = [{"name": "main.py", "content": PYTHON_EXIT_MAIN}, {"name": "helper.py", "content": PYTHON_EXIT_HELPER}]
    payload = {"language": "python", "version": version, "files": files, "args": [str(status)]}
    result = await run(api, payload)
    assert result["run"]["stdout"] == PYTHON_EXIT_STDOUT, result
    assert result["run"]["exit_code"] == status
    assert result["verdict"] == ("ok" if status == 0 else "runtime_error")


# What each CPython prints first, bare, for a standard stream that cannot be flushed at exit.
FLUSH_FAILURE = {
    "3.13": "atexit ran\nException ignored on flushing sys.stdout:\nOSError: [Errno 9] Bad file descriptor\n",
    "3.11": "atexit ran\nException ignored in: <_io.TextIOWrapper",
}


@pytest.mark.parametrize("version", sorted(FLUSH_FAILURE))
async def test_python_output_that_cannot_be_flushed_at_exit(api: httpx.AsyncClient, version: str) -> None:
    source = (
        "import atexit, os, sys\n"
        "atexit.register(lambda: os.write(2, b'atexit ran\\n'))\n"
        "sys.stdout = open(os.dup(1), 'w')\n"
        "print('lost')\n"
        "os.close(sys.stdout.fileno())\n"
    )
    result = await run(api, {"language": "python", "version": version, "source": source})
    # As CPython: atexit callbacks once, the failed flush reported, exit status 120.
    assert result["run"]["exit_code"] == 120, result
    assert result["run"]["stderr"].startswith(FLUSH_FAILURE[version]), result
    assert result["run"]["stderr"].count("atexit ran") == 1


async def test_allowed_compile_options_are_passed_as_argv(api: httpx.AsyncClient) -> None:
    source = '#include <stdio.h>\nint main(void) { printf("%d\\n", ANSWER); return 0; }'
    payload = {"language": "c", "source": source, "compile_options": ["-O3", "-DANSWER=42", "-Wall"]}
    result = await run(api, payload)
    assert result["verdict"] == "ok", result
    assert result["run"]["stdout"] == "42\n"


@pytest.mark.parametrize(
    "flag", ["-fplugin=/tmp/x.so", "-o/etc/passwd", "-DX=$(id)", "-O2\n-fplugin=x", "--version", "-B/tmp", "@file"]
)
async def test_compile_options_outside_the_allow_list_are_refused(api: httpx.AsyncClient, flag: str) -> None:
    response = await api.post("/v1/executions", json={"language": "c", "source": "", "compile_options": [flag]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "compile_options", 0]


def _archived_zygotes() -> list[tuple[str, tuple[str, ...]]]:
    return [
        (language.runtime, zygote)
        for language in BY_KEY.values()
        for zygote in (language.zygote, language.compile_zygote)
        if zygote and any(arg.startswith("-XX:SharedArchiveFile=") for arg in zygote)
    ]


@pytest.mark.parametrize(("runtime", "zygote"), _archived_zygotes(), ids=lambda value: str(value).split(" ")[-1])
def test_jvm_zygotes_map_their_class_data_archive(runtime: str, zygote: tuple[str, ...]) -> None:
    """A JVM given an archive that does not match its class path runs without it, silently and
    slowly; -Xshare:on makes that an error (deploy/images/setup/jvm.sh dumps the archives)."""
    jvm = list(zygote[: zygote.index("JvmZygote")])
    settings = ExecutorSettings()
    image = f"{settings.image_prefix}{runtime}:{settings.image_tag}"
    command = ["docker", "run", "--rm", "--network", "none", "--user", "65534", image]
    done = subprocess.run([*command, *jvm, "-Xshare:on", "-version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "sharing" in done.stderr, done.stderr


# R's zygote (deploy/images/agent/zygote-r.pl) runs the script through the read-eval loop Rscript
# uses: arguments, standard input, printed values, warnings, errors and the exit status are the
# same as Rscript's own, run bare in the same image.
R_REPL = """print(commandArgs())
print(commandArgs(trailingOnly = TRUE))
print(readLines(file("stdin")))
1 + 1
invisible(3)
warning("w1")
f <- function() stop("boom")
cat("before\\n")
f()
cat("after\\n")
"""


# Racket's zygote (deploy/images/agent/zygote.rkt) runs the module as the launcher runs a file:
# configure-runtime, the body (printing its values), the main submodule, the error's context.
RACKET_MODULE = """#lang racket
(displayln (current-command-line-arguments))
(define (f x) (car x))
(+ 1 2)
(displayln (read-line))
(module+ main (displayln "main ran"))
(f (string-length (read-line)))
"""


def bare_run(runtime: str, entry: str, source: str, command: str) -> subprocess.CompletedProcess[bytes]:
    """The command run bare in the runtime's image, in /tmp holding the source as the entry file."""
    settings = ExecutorSettings()
    script = base64.b64encode(source.encode()).decode()
    return subprocess.run(
        [
            "docker", "run", "--rm", "--network", "none", "--user", "65534", "--entrypoint", "sh",
            f"{settings.image_prefix}{runtime}:{settings.image_tag}",
            "-c", f"cd /tmp && echo {script} | base64 -d > {entry} && printf 'line1\\nline2\\n' | {command}",
        ],
        capture_output=True,
        check=False,
        timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("language", "runtime", "entry", "source", "command", "expected"),
    [
        ("r", "r", "main.R", R_REPL, "Rscript --vanilla ./main.R a 'b c'", "Error in f() : boom"),
        ("racket", "lisp", "main.rkt", RACKET_MODULE, "racket ./main.rkt a 'b c'", "car: contract violation"),
    ],
)
async def test_warm_interpreters_run_programs_as_their_launchers_do(
    api: httpx.AsyncClient, language: str, runtime: str, entry: str, source: str, command: str, expected: str
) -> None:
    payload = {"language": language, "source": source, "args": ["a", "b c"], "stdin": "line1\nline2\n"}
    result = await run(api, payload)
    bare = bare_run(runtime, entry, source, command)
    assert result["verdict"] == "runtime_error", result
    assert result["run"]["exit_code"] == bare.returncode == 1
    assert result["run"]["stdout"] == bare.stdout.decode()
    # The sandbox runs the program in /work, the bare command in /tmp.
    assert result["run"]["stderr"] == bare.stderr.decode().replace("/tmp/", "/work/")
    assert expected in bare.stderr.decode()
