"""Judge0 CE 1.13's API as its documentation describes it (docs/api in judge0/judge0), served at
/judge0 over real executions: routes, attributes and units, statuses, base64, fields, batches,
errors and authentication."""

from __future__ import annotations

import asyncio
import base64
import io
import re
import zipfile
from typing import Any

import httpx
import pytest

from shared.compat.judge0.attributes import ALL_FIELDS, DEFAULT_FIELDS
from tests.auth_support import AuthService, bearer
from tests.product.conftest import MakeAccount

J = "/judge0"
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


async def run(gw: httpx.AsyncClient, body: dict[str, Any], **params: str) -> dict[str, Any]:
    """POST with wait=true and every attribute; the finished submission."""
    response = await gw.post(f"{J}/submissions", params={"wait": "true", "fields": "*", **params}, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    assert result["status"]["id"] > 2, result
    return result


async def api_key(auth: AuthService, headers: dict[str, str], *scopes: str) -> str:
    created = await auth.client.post("/auth/v1/api-keys", headers=headers, json={"name": "judge0", "scopes": scopes})
    assert created.status_code == 201, created.text
    return str(created.json()["key"])


class TestInformation:
    async def test_languages_have_judge0_ids(self, gw: httpx.AsyncClient) -> None:
        listed = (await gw.get(f"{J}/languages")).json()
        by_id = {entry["id"]: entry["name"] for entry in listed}
        assert len(by_id) == len(listed)
        for judge0_id, prefix in {
            71: "Python",
            63: "JavaScript",
            54: "C++",
            62: "Java",
            50: "C (GCC",
            60: "Go",
        }.items():
            assert by_id[judge0_id].startswith(prefix), (judge0_id, by_id[judge0_id])
        assert by_id[73].startswith("Rust")
        assert by_id[74].startswith("TypeScript")
        assert all(set(entry) == {"id", "name"} for entry in listed)
        # Ours are above Judge0's; aliases (49, 53) are not listed but answer.
        assert min(i for i in by_id if i not in range(43, 90)) >= 1000
        assert 49 not in by_id
        assert 53 not in by_id
        one = (await gw.get(f"{J}/languages/53")).json()
        assert set(one) == {"id", "name", "is_archived", "source_file", "compile_cmd", "run_cmd"}
        assert one["id"] == 53
        assert one["compile_cmd"]
        assert not one["is_archived"]
        assert (await gw.get(f"{J}/languages/70")).status_code == 404  # Python 2: not here
        everything = (await gw.get(f"{J}/languages/all")).json()
        assert {49, 53} <= {entry["id"] for entry in everything}

    async def test_statuses_about_version_config(self, gw: httpx.AsyncClient) -> None:
        statuses = (await gw.get(f"{J}/statuses")).json()
        assert [s["id"] for s in statuses] == list(range(1, 15))
        assert statuses[10] == {"id": 11, "description": "Runtime Error (NZEC)"}
        assert (await gw.get(f"{J}/about")).json()["version"] == "1.13.1"
        assert (await gw.get(f"{J}/version")).text == "1.13.1"
        config = (await gw.get(f"{J}/config_info")).json()
        assert config["enable_wait_result"] is True
        assert config["enable_network"] is False
        assert config["max_number_of_runs"] == 1
        assert config["max_submission_batch_size"] >= 1
        assert config["max_cpu_time_limit"] >= config["cpu_time_limit"] > 0
        info = (await gw.get(f"{J}/system_info")).json()
        assert info["CPU(s)"].isdigit()


class TestSubmissions:
    async def test_create_then_get_with_default_fields(self, gw: httpx.AsyncClient) -> None:
        created = await gw.post(
            f"{J}/submissions", json={"source_code": "print('hello, ' + input())", "language_id": 71, "stdin": "you"}
        )
        assert created.status_code == 201, created.text
        assert list(created.json()) == ["token"]
        token = created.json()["token"]
        for _ in range(300):
            got = await gw.get(f"{J}/submissions/{token}")
            assert got.status_code == 200
            body = got.json()
            if body["status"]["id"] > 2:
                break
            assert body["status"] in ({"id": 1, "description": "In Queue"}, {"id": 2, "description": "Processing"})
            await asyncio.sleep(0.1)
        assert set(body) == set(DEFAULT_FIELDS)
        assert body["status"] == {"id": 3, "description": "Accepted"}
        assert body["stdout"] == "hello, you\n"
        assert body["stderr"] is None
        assert body["compile_output"] is None
        assert body["message"] is None
        assert float(body["time"]) >= 0
        assert isinstance(body["memory"], int)
        assert body["token"] == token

    async def test_every_attribute_and_its_units(self, gw: httpx.AsyncClient) -> None:
        result = await run(
            gw,
            {
                "source_code": "import sys\nprint(sys.argv[1:])",
                "language_id": 71,
                "command_line_arguments": "one 'two words' \"$(id)\"",
                "cpu_time_limit": 1.5,
                "wall_time_limit": 4,
                "memory_limit": 65536,
                "max_processes_and_or_threads": 30,
                "max_file_size": 2048,
            },
        )
        assert set(result) == set(ALL_FIELDS)
        # Split like a shell would, never run through one.
        assert result["stdout"] == "['one', 'two words', '$(id)']\n"
        assert result["cpu_time_limit"] == "1.5"
        assert result["wall_time_limit"] == "4.0"
        assert result["memory_limit"] == 65536
        assert result["max_processes_and_or_threads"] == 30
        assert result["max_file_size"] == 2048
        assert result["number_of_runs"] == 1
        assert result["language_id"] == 71
        assert result["language"]["id"] == 71
        assert result["exit_code"] == 0
        assert result["exit_signal"] is None
        assert DATETIME.match(result["created_at"])
        assert DATETIME.match(result["finished_at"])
        assert re.fullmatch(r"\d+\.\d{3}", result["time"])
        assert re.fullmatch(r"\d+\.\d{3}", result["wall_time"])
        assert result["enable_network"] is False
        assert result["redirect_stderr_to_stdout"] is False

    async def test_fields_selection(self, gw: httpx.AsyncClient) -> None:
        result = await run(gw, {"source_code": "print(1)", "language_id": 71})
        token = result["token"]
        picked = (await gw.get(f"{J}/submissions/{token}", params={"fields": "stdout,language"})).json()
        assert picked == {"stdout": "1\n", "language": result["language"]}
        bad = await gw.get(f"{J}/submissions/{token}", params={"fields": "stdout,bogus,nope"})
        assert bad.status_code == 400
        assert bad.json() == {"error": "invalid fields: [bogus, nope]"}

    async def test_base64_round_trip_of_bytes_that_are_not_utf8(self, gw: httpx.AsyncClient) -> None:
        source = "import sys\ndata = sys.stdin.buffer.read()\nsys.stdout.buffer.write(data[::-1] + b'\\xff\\xfe')"
        stdin = b"\x00\x01abc\xc3"
        created = await gw.post(
            f"{J}/submissions",
            params={"base64_encoded": "true", "wait": "true"},
            json={"source_code": b64(source), "language_id": 71, "stdin": b64(stdin)},
        )
        assert created.status_code == 201
        body = created.json()
        assert body["status"]["id"] == 3, body
        assert base64.b64decode(body["stdout"]) == stdin[::-1] + b"\xff\xfe"
        plain = await gw.get(f"{J}/submissions/{body['token']}", params={"base64_encoded": "false"})
        assert plain.status_code == 400
        assert "use base64_encoded=true" in plain.json()["error"]
        every = await gw.get(f"{J}/submissions/{body['token']}", params={"base64_encoded": "true", "fields": "*"})
        assert base64.b64decode(every.json()["stdin"]) == stdin
        assert base64.b64decode(every.json()["source_code"]).decode() == source

    async def test_wait_with_output_that_needs_base64(self, gw: httpx.AsyncClient) -> None:
        created = await gw.post(
            f"{J}/submissions",
            params={"wait": "true"},
            json={"source_code": "import sys\nsys.stdout.buffer.write(b'\\xff')", "language_id": 71},
        )
        assert created.status_code == 201
        assert created.json()["error"].startswith("some attributes for this submission cannot be converted")
        assert created.json()["token"]


class TestStatuses:
    @pytest.mark.parametrize(
        ("language_id", "source", "status", "signal"),
        [
            (71, "import sys\nsys.exit(3)", 11, None),
            (50, "#include <signal.h>\nint main(void){raise(SIGSEGV);}", 7, 11),
            (50, "#include <signal.h>\nint main(void){raise(SIGFPE);}", 9, 8),
            (50, "#include <stdlib.h>\nint main(void){abort();}", 10, 6),
            (71, "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)", 12, 15),
        ],
    )
    async def test_runtime_errors(
        self, gw: httpx.AsyncClient, language_id: int, source: str, status: int, signal: int | None
    ) -> None:
        result = await run(gw, {"source_code": source, "language_id": language_id})
        assert result["status"]["id"] == status, result
        assert result["exit_signal"] == signal
        if signal is None:
            assert result["exit_code"] == 3
            assert result["message"] == "Exited with error status 3"
        else:
            assert result["message"] == f"Caught fatal signal {signal}"

    async def test_compilation_error(self, gw: httpx.AsyncClient) -> None:
        result = await run(gw, {"source_code": "int main(void) { return x; }", "language_id": 54})
        assert result["status"] == {"id": 6, "description": "Compilation Error"}
        assert "x" in result["compile_output"]
        assert "error" in result["compile_output"]
        assert result["stdout"] is None
        assert result["time"] is None
        assert result["exit_code"] is None

    async def test_time_limit(self, gw: httpx.AsyncClient) -> None:
        result = await run(gw, {"source_code": "while True: pass", "language_id": 71, "cpu_time_limit": 0.5})
        assert result["status"]["id"] == 5
        assert result["message"] == "Time limit exceeded"

    @pytest.mark.parametrize(
        ("expected", "status"),
        [("3\n", 3), ("3", 3), ("3   \n\n\n", 3), ("4\n", 4), (" 3", 4)],
    )
    async def test_expected_output_is_judged_as_judge0_strips(
        self, gw: httpx.AsyncClient, expected: str, status: int
    ) -> None:
        result = await run(
            gw,
            {
                "source_code": "print(sum(map(int, input().split())))",
                "language_id": 71,
                "stdin": "1 2",
                "expected_output": expected,
            },
        )
        assert result["status"]["id"] == status, result
        assert result["stdout"] == "3\n"
        assert result["expected_output"] == expected
        assert result["stdin"] == "1 2"

    async def test_redirect_stderr_to_stdout_keeps_the_order(self, gw: httpx.AsyncClient) -> None:
        source = (
            "import sys, time\n"
            "for stream, text in ((sys.stdout, 'o1'), (sys.stderr, 'e1'), (sys.stdout, 'o2'), (sys.stderr, 'e2')):\n"
            "    print(text, file=stream, flush=True)\n"
            "    time.sleep(0.03)\n"
        )
        result = await run(gw, {"source_code": source, "language_id": 71, "redirect_stderr_to_stdout": True})
        assert result["stdout"] == "o1\ne1\no2\ne2\n"
        assert result["stderr"] is None
        assert result["redirect_stderr_to_stdout"] is True
        separate = await run(gw, {"source_code": source, "language_id": 71})
        assert separate["stdout"] == "o1\no2\n"
        assert separate["stderr"] == "e1\ne2\n"


class TestOptions:
    async def test_compiler_options_and_additional_files(self, gw: httpx.AsyncClient) -> None:
        result = await run(
            gw,
            {
                "source_code": '#include <stdio.h>\nint main(void){printf("%d\\n", VALUE * 2);}',
                "language_id": 50,
                "compiler_options": "-O2 -DVALUE=21",
            },
        )
        assert result["stdout"] == "42\n", result
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("helper.py", "def greet(name):\n    return 'hi ' + name\n")
            zipped.writestr("data/words.txt", "alpha\n")
            # Binary entries are kept as the bytes they are (base64 input files).
            zipped.writestr("data/all.bin", bytes(range(256)))
        zipped_b64 = base64.b64encode(archive.getvalue()).decode()
        result = await run(
            gw,
            {
                "source_code": "import helper\nprint(helper.greet(open('data/words.txt').read().strip()))\n"
                "print(open('data/all.bin', 'rb').read() == bytes(range(256)))",
                "language_id": 71,
                "additional_files": zipped_b64,
            },
        )
        assert result["stdout"] == "hi alpha\nTrue\n", result
        with zipfile.ZipFile(io.BytesIO(base64.b64decode(result["additional_files"]))) as back:
            assert sorted(back.namelist()) == ["data/all.bin", "data/words.txt", "helper.py"]
            assert back.read("data/all.bin") == bytes(range(256))

    @pytest.mark.parametrize(
        ("body", "errors"),
        [
            ({"source_code": "print(1)"}, {"language_id": ["can't be blank"]}),
            ({"source_code": "x", "language_id": 150000}, {"language_id": ["language with id 150000 doesn't exist"]}),
            ({"language_id": 71}, {"source_code": ["can't be blank"]}),
            (
                {"source_code": "x", "language_id": 71, "cpu_time_limit": 100},
                {"cpu_time_limit": ["must be less than or equal to 20"]},
            ),
            (
                {"source_code": "x", "language_id": 71, "memory_limit": 1},
                {"memory_limit": ["must be greater than or equal to 16384"]},
            ),
            (
                {"source_code": "x", "language_id": 71, "enable_network": True},
                {"enable_network": ["enabling network is not allowed"]},
            ),
            (
                {"source_code": "x", "language_id": 71, "number_of_runs": 3},
                {"number_of_runs": ["must be less than or equal to 1"]},
            ),
            (
                {"source_code": "x", "language_id": 71, "cpu_time_limit": "soon"},
                {"cpu_time_limit": ["is not a number"]},
            ),
            (
                {"source_code": "x", "language_id": 71, "compiler_options": "-O2"},
                {"compiler_options": ["setting compiler options is only allowed for compiled languages"]},
            ),
            (
                {"source_code": "x", "language_id": 71, "additional_files": "bm90IGEgemlw"},
                {"additional_files": ["must be a Base64 encoded .zip archive"]},
            ),
        ],
    )
    async def test_invalid_submissions_answer_422_by_attribute(
        self, gw: httpx.AsyncClient, body: dict[str, Any], errors: dict[str, list[str]]
    ) -> None:
        response = await gw.post(f"{J}/submissions", json=body)
        assert response.status_code == 422
        assert response.json() == errors

    async def test_compile_option_outside_the_allow_list(self, gw: httpx.AsyncClient) -> None:
        response = await gw.post(
            f"{J}/submissions",
            json={"source_code": "int main(){}", "language_id": 54, "compiler_options": "-fplugin=x.so"},
        )
        assert response.status_code == 422
        assert "compiler_options" in response.json()

    async def test_unknown_and_undeletable(self, gw: httpx.AsyncClient) -> None:
        missing = await gw.get(f"{J}/submissions/01a21870-0000-7000-8000-000000000000")
        assert missing.status_code == 404
        assert missing.json() == {"status": 404, "error": "Not Found"}
        assert (await gw.get(f"{J}/submissions/not-a-token")).status_code == 404
        result = await run(gw, {"source_code": "print(1)", "language_id": 71})
        deleted = await gw.delete(f"{J}/submissions/{result['token']}")
        assert deleted.status_code == 400
        assert deleted.json() == {"error": "delete not allowed"}


class TestBatches:
    async def test_batch_create_and_show(self, gw: httpx.AsyncClient) -> None:
        items = [
            {"source_code": b64("print(input() * 2)"), "language_id": 71, "stdin": b64("ab")},
            {"source_code": b64("x"), "language_id": 999999},
            {"source_code": b64("console.log(6 * 7)"), "language_id": 63},
        ]
        created = await gw.post(
            f"{J}/submissions/batch", params={"base64_encoded": "true"}, json={"submissions": items}
        )
        assert created.status_code == 201, created.text
        answers = created.json()
        assert answers[1] == {"language_id": ["language with id 999999 doesn't exist"]}
        tokens = [answers[0]["token"], answers[2]["token"]]
        unknown = "01a21870-0000-7000-8000-000000000000"
        for _ in range(300):
            shown = await gw.get(
                f"{J}/submissions/batch", params={"tokens": ",".join([*tokens, unknown]), "base64_encoded": "true"}
            )
            assert shown.status_code == 200
            found = shown.json()["submissions"]
            if all(item["status"]["id"] > 2 for item in found[:2]):
                break
            await asyncio.sleep(0.1)
        assert found[2] is None
        assert [base64.b64decode(item["stdout"]).decode() for item in found[:2]] == ["abab\n", "42\n"]

    async def test_batch_errors(self, gw: httpx.AsyncClient) -> None:
        empty = await gw.post(f"{J}/submissions/batch", json={"submissions": []})
        assert empty.status_code == 400
        assert empty.json() == {"error": "there should be at least one submission in a batch"}
        too_many = await gw.post(
            f"{J}/submissions/batch", json={"submissions": [{"source_code": "1", "language_id": 71}] * 21}
        )
        assert too_many.status_code == 400
        assert too_many.json() == {"error": "number of submissions in a batch should be less than or equal to 20"}
        invalid = await gw.post(f"{J}/submissions/batch", json={"submissions": [{"language_id": 71}]})
        assert invalid.status_code == 422
        assert invalid.json() == [{"source_code": ["can't be blank"]}]
        assert (await gw.get(f"{J}/submissions/batch")).status_code == 400


class TestAuthentication:
    async def test_api_key_in_x_auth_token_owns_the_execution(
        self, gw: httpx.AsyncClient, auth: AuthService, make_account: MakeAccount
    ) -> None:
        me = await make_account()
        key = await api_key(auth, me.headers, "executions:read", "executions:write")
        token_header = {"X-Auth-Token": key}
        assert (await gw.post(f"{J}/authenticate", headers=token_header)).status_code == 200
        assert (await gw.post(f"{J}/authenticate", headers={"X-Auth-Token": "crh_nope"})).status_code == 401
        assert (await gw.post(f"{J}/authorize", headers=token_header)).status_code == 403
        created = await gw.post(
            f"{J}/submissions",
            params={"wait": "true"},
            headers=token_header,
            json={"source_code": "print(7)", "language_id": 71},
        )
        assert created.status_code == 201
        assert "executions" in created.headers["RateLimit-Policy"]
        token = created.json()["token"]
        # Native history and the Judge0 list both show it; another caller cannot see it.
        history = await gw.get("/v1/executions", headers=bearer(key))
        assert token in [item["id"] for item in history.json()["items"]]
        mine = await gw.get(f"{J}/submissions", headers=token_header, params={"fields": "token,status"})
        assert token in [item["token"] for item in mine.json()["submissions"]]
        assert mine.json()["meta"]["current_page"] == 1
        assert (await gw.get(f"{J}/submissions/{token}")).status_code == 404
        assert (await gw.get(f"{J}/submissions/{token}", headers=token_header)).status_code == 200
        assert (await gw.get(f"{J}/submissions")).status_code == 401
        refused = await gw.post(
            f"{J}/submissions",
            headers={"X-Auth-Token": "crh_nope"},
            json={"source_code": "print(7)", "language_id": 71},
        )
        assert refused.status_code == 401
        assert "error" in refused.json()

    async def test_session_cookies_are_ignored(self, gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
        me = await make_account()
        cookies = {"Cookie": f"crh_access={me.access_token}"}
        created = await gw.post(
            f"{J}/submissions",
            params={"wait": "true", "fields": "token"},
            headers=cookies,
            json={"source_code": "print(1)", "language_id": 71},
        )
        assert created.status_code == 201
        # Anonymous: visible to anyone with the token, in nobody's history.
        assert (await gw.get(f"{J}/submissions/{created.json()['token']}")).status_code == 200
        history = await gw.get("/v1/executions", headers=me.headers)
        assert created.json()["token"] not in [item["id"] for item in history.json()["items"]]


class TestHostileInput:
    async def test_archives_are_bounded_before_they_are_inflated(self, gw: httpx.AsyncClient) -> None:
        many = io.BytesIO()
        with zipfile.ZipFile(many, "w") as zipped:
            for index in range(200):
                zipped.writestr(f"f{index}.txt", "x")
        bomb = io.BytesIO()
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zipped:
            zipped.writestr("zeros.txt", b"\0" * (11 << 20))
        link = io.BytesIO()
        with zipfile.ZipFile(link, "w") as zipped:
            info = zipfile.ZipInfo("escape")
            info.external_attr = 0o120777 << 16  # a symbolic link
            zipped.writestr(info, "/etc/passwd")
        for archive, message in (
            (many, "holds 200 entries; at most 64 files are allowed"),
            (bomb, f"extracts to more than {10_240 * 1024} bytes"),
            (link, "escape: only regular files are accepted"),
        ):
            response = await gw.post(
                f"{J}/submissions",
                json={"source_code": "print(1)", "language_id": 71, "additional_files": b64(archive.getvalue())},
            )
            assert response.status_code == 422
            assert response.json() == {"additional_files": [message]}

    async def test_paging_and_bodies_out_of_range_are_4xx(
        self, gw: httpx.AsyncClient, auth: AuthService, make_account: MakeAccount
    ) -> None:
        me = await make_account()
        key = {"X-Auth-Token": await api_key(auth, me.headers, "executions:read")}
        far = await gw.get(f"{J}/submissions", headers=key, params={"page": "9" * 40, "per_page": "9" * 40})
        assert far.status_code == 200
        assert far.json()["submissions"] == []
        first = await gw.get(f"{J}/submissions", headers=key, params={"page": "0"})
        assert first.json() == {"error": "invalid page: 0"}
        for body in (b"[" * 100_000, b'{"language_id": 1' + b"0" * 50_000 + b"}", b"\xff\xfe", b"null", b"[]"):
            response = await gw.post(f"{J}/submissions", content=body, headers={"content-type": "application/json"})
            assert 400 <= response.status_code < 500, (body[:20], response.status_code)
