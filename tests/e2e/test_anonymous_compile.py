"""Compilers run code (Template Haskell, constexpr): anonymous callers' compile phases are held to
the stricter anonymous compile limits, through a gateway with the shipped anonymous policies
(the anonymous_api fixture)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx

from shared.languages import LANGUAGES
from shared.limits import default_limits
from shared.settings import GatewaySettings
from tests.e2e.conftest import run
from tests.e2e.programs import PROGRAMS

ANONYMOUS_COMPILE = GatewaySettings.model_fields["anonymous_compile_limits"].default

# Builds and keeps 40 million boxed Ints (~1.6 GB) inside the compiler, while it compiles.
HASKELL_ALLOCATES = """{-# LANGUAGE TemplateHaskell #-}
import Control.Exception (evaluate)
import Language.Haskell.TH

main :: IO ()
main = print $(do
    n <- runIO (let xs = [1 .. 40000000] :: [Int] in evaluate (length xs + sum xs))
    litE (integerL (fromIntegral n)))
"""

# Starts up to 100 processes inside the compiler, counts how many it got, stops and reaps them
# without blocking calls (GHC's runtime would need another OS thread for those) so GHC can still
# link, and bakes the count into the program.
HASKELL_FORKS = """{-# LANGUAGE TemplateHaskell #-}
import Control.Concurrent (threadDelay)
import Control.Exception (SomeException, try)
import Language.Haskell.TH
import System.Process (ProcessHandle, getProcessExitCode, spawnProcess, terminateProcess)

main :: IO ()
main = putStrLn $(do
    let spawn :: [ProcessHandle] -> IO [ProcessHandle]
        spawn started
            | length started >= 100 = pure started
            | otherwise = do
                result <- try (spawnProcess "sleep" ["60"]) :: IO (Either SomeException ProcessHandle)
                either (const (pure started)) (\\handle -> spawn (handle : started)) result
        reap :: [ProcessHandle] -> IO ()
        reap [] = pure ()
        reap handles = do
            codes <- mapM getProcessExitCode handles
            let running = [h | (h, Nothing) <- zip handles codes]
            if null running then pure () else threadDelay 10000 >> reap running
    handles <- runIO (spawn [])
    runIO (mapM_ terminateProcess handles >> reap handles)
    stringE ("spawned " ++ show (length handles)))
"""

# constexpr evaluation: GCC caps one constant expression at 2^25 operations (~5 s), so twelve of
# them, ~2.3 s of compiler CPU each.
CPP_CONSTEXPR_SPIN = """
constexpr unsigned long long spin(unsigned long long seed) {
    unsigned long long sum = seed;
    for (unsigned long long i = 0; i < 1000; ++i)
        for (unsigned long long j = 0; j < 1500; ++j)
            sum += i ^ j ^ seed;
    return sum;
}
constexpr unsigned long long v0 = spin(0);
constexpr unsigned long long v1 = spin(1);
constexpr unsigned long long v2 = spin(2);
constexpr unsigned long long v3 = spin(3);
constexpr unsigned long long v4 = spin(4);
constexpr unsigned long long v5 = spin(5);
constexpr unsigned long long v6 = spin(6);
constexpr unsigned long long v7 = spin(7);
constexpr unsigned long long v8 = spin(8);
constexpr unsigned long long v9 = spin(9);
constexpr unsigned long long v10 = spin(10);
constexpr unsigned long long v11 = spin(11);
int main() { return v0 + v1 + v2 + v3 + v4 + v5 + v6 + v7 + v8 + v9 + v10 + v11 == 0; }
"""


def anonymous_compile_limits(language: str) -> dict[str, int]:
    return default_limits(ANONYMOUS_COMPILE, LANGUAGES[language].compile_limit_defaults).model_dump()


async def test_template_haskell_allocating_at_compile_time_hits_the_anonymous_memory_limit(
    anonymous_api: httpx.AsyncClient,
) -> None:
    result = await run(anonymous_api, {"language": "haskell", "source": HASKELL_ALLOCATES})
    assert result["compile_limits"] == anonymous_compile_limits("haskell")
    assert result["compile_limits"]["memory_mb"] == 512
    assert result["verdict"] == "compilation_error", result["message"]
    compiled = result["compile"]
    assert compiled["verdict"] == "memory_limit", compiled
    assert compiled["exceeded"] == "memory"
    assert result["run"] is None


def spawned(result: dict[str, Any]) -> int:
    assert result["verdict"] == "ok", (result["message"], result["compile"]["stderr"][-3000:])
    match = re.fullmatch(r"spawned (\d+)\n", result["run"]["stdout"])
    assert match, result["run"]["stdout"]
    return int(match.group(1))


async def test_template_haskell_forking_at_compile_time_is_held_to_the_anonymous_process_limit(
    anonymous_api: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    anonymous = await run(anonymous_api, {"language": "haskell", "source": HASKELL_FORKS})
    assert anonymous["compile_limits"]["processes"] == 64
    # GHC's own threads count too: fewer than 64 of the 100 processes could start.
    assert spawned(anonymous) < 64
    # The same program under the account policy (128 processes) starts all of them.
    account = await run(api, {"language": "haskell", "source": HASKELL_FORKS})
    assert account["compile_limits"]["processes"] == 128
    assert spawned(account) == 100


async def test_cpp_constexpr_evaluation_is_held_to_the_anonymous_cpu_limit(anonymous_api: httpx.AsyncClient) -> None:
    asked_for_more = await anonymous_api.post(
        "/v1/executions",
        json={"language": "cpp", "source": CPP_CONSTEXPR_SPIN, "compile_limits": {"cpu_time_ms": 20_000}},
    )
    assert asked_for_more.status_code == 422
    assert asked_for_more.json()["errors"][0]["loc"] == ["body", "compile_limits", "cpu_time_ms"]

    result = await run(anonymous_api, {"language": "cpp", "source": CPP_CONSTEXPR_SPIN})
    assert result["compile_limits"] == anonymous_compile_limits("cpp")
    assert result["verdict"] == "compilation_error", result["message"]
    compiled = result["compile"]
    # GCC's constexpr evaluator keeps what it computed: it runs into the anonymous CPU limit, or,
    # on a machine whose memory is busier (page cache charged to the sandbox), into the anonymous
    # memory limit first. Either way an anonymous limit, never the account's, ends it.
    assert (compiled["verdict"], compiled["exceeded"]) in (("time_limit", "cpu_time"), ("memory_limit", "memory")), (
        compiled
    )
    assert compiled["cpu_time_ms"] <= ANONYMOUS_COMPILE.cpu_time_ms.maximum + 1_000
    if compiled["exceeded"] == "memory":
        assert compiled["message"] == f"Memory limit of {result['compile_limits']['memory_mb']} MB exceeded"


async def test_every_hello_world_compiles_under_the_anonymous_defaults(anonymous_api: httpx.AsyncClient) -> None:
    compiled = sorted(language for language in LANGUAGES if LANGUAGES[language].compiled)
    results = await asyncio.gather(
        *(run(anonymous_api, {"language": language, "source": PROGRAMS[language].hello}) for language in compiled)
    )
    for language, result in zip(compiled, results, strict=True):
        assert result["compile_limits"] == anonymous_compile_limits(language)
        assert result["verdict"] == "ok", (language, result["message"], result["compile"])
        assert result["run"]["stdout"] == "Hello, world!\n"
