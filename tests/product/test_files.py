"""Binary files both ways (issue 17): input files sent as base64 reach the program as their bytes;
output files the program leaves at the requested paths come back in the result (base64) and at
the download route, byte for byte, with headers that keep a browser from rendering them; files
beyond the cap (data or apparent size, sparse files never inflated) make the run output_limit."""

from __future__ import annotations

import base64
import hashlib
import subprocess
from typing import Any

import httpx

from tests.product.conftest import Account, MakeAccount

ALL_BYTES = bytes(range(256))
CAP = 4 << 20  # the executor's default output_files_max_bytes

WRITER = """
import os
with open("out.bin", "wb") as f:
    f.write(bytes(range(256)) * 64)
os.makedirs("results/deeper")
with open("results/a.txt", "w") as f:
    f.write("first\\n")
with open("results/deeper/b.bin", "wb") as f:
    f.write(b"\\x00\\xff" * 3)
print("written")
"""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def run(client: httpx.AsyncClient, account: Account | None, **body: Any) -> dict[str, Any]:
    headers = account.headers if account else None
    response = await client.post("/v1/executions", params={"wait": "true"}, json=body, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def refused(client: httpx.AsyncClient, account: Account, **body: Any) -> list[dict[str, Any]]:
    response = await client.post("/v1/executions", json=body, headers=account.headers)
    assert response.status_code == 422, response.text
    errors: list[dict[str, Any]] = response.json()["errors"]
    return errors


async def test_a_binary_input_file_reaches_the_program_as_its_bytes(
    gw: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    me = await make_account()
    source = "import hashlib\nprint(hashlib.sha256(open('data/all.bin', 'rb').read()).hexdigest())\n"
    result = await run(
        gw,
        me,
        language="python",
        files=[
            # null (or nothing) is text.
            {"name": "main.py", "content": source, "encoding": None},
            {"name": "data/all.bin", "content": b64(ALL_BYTES), "encoding": "base64"},
        ],
    )
    assert result["verdict"] == "ok", result
    assert result["run"]["stdout"] == hashlib.sha256(ALL_BYTES).hexdigest() + "\n"
    assert result["files"] == []

    submission = (await gw.get(f"/v1/executions/{result['id']}/submission", headers=me.headers)).json()
    assert submission["files"] == [
        {"name": "main.py", "content": source, "encoding": "text"},
        {"name": "data/all.bin", "content": b64(ALL_BYTES), "encoding": "base64"},
    ]


async def test_output_files_come_back_and_download_byte_for_byte(
    gw: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    me, stranger = await make_account(), await make_account()
    result = await run(gw, me, language="python", source=WRITER, output_files=["out.bin", "results", "missing.txt"])
    assert result["verdict"] == "ok", result
    assert result["run"]["stdout"] == "written\n"
    expected = {
        "out.bin": ALL_BYTES * 64,
        "results/a.txt": b"first\n",
        "results/deeper/b.bin": b"\x00\xff" * 3,
    }
    # Requested but never written: simply absent.
    assert {file["name"]: base64.b64decode(file["content"]) for file in result["files"]} == expected
    assert {file["name"]: file["size"] for file in result["files"]} == {n: len(d) for n, d in expected.items()}
    # GET answers the same files (read back from PostgreSQL).
    again = (await gw.get(f"/v1/executions/{result['id']}", headers=me.headers)).json()
    assert again["files"] == result["files"]
    # History pages name them (and their sizes) without their bytes.
    page = (await gw.get("/v1/executions", headers=me.headers)).json()
    listed = next(item for item in page["items"] if item["id"] == result["id"])
    assert listed["files"] == [{**file, "content": None} for file in result["files"]]

    for name, data in expected.items():
        download = await gw.get(f"/v1/executions/{result['id']}/files/{name}", headers=me.headers)
        assert download.status_code == 200, download.text
        assert download.content == data
        assert download.headers["content-type"] == "application/octet-stream"
        assert download.headers["content-disposition"].startswith("attachment; filename=")
        assert name.rsplit("/", 1)[-1] in download.headers["content-disposition"]
        assert download.headers["x-content-type-options"] == "nosniff"
        assert download.headers["content-security-policy"] == "sandbox"

    unknown = await gw.get(f"/v1/executions/{result['id']}/files/missing.txt", headers=me.headers)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    # Someone else's execution does not exist for them, nor do its files.
    foreign = await gw.get(f"/v1/executions/{result['id']}/files/out.bin", headers=stranger.headers)
    assert foreign.status_code == 404
    assert foreign.headers["content-type"] == "application/problem+json"
    anonymous = await gw.get(f"/v1/executions/{result['id']}/files/out.bin")
    assert anonymous.status_code == 404


async def test_files_are_collected_only_after_a_clean_exit(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    me = await make_account()
    source = "open('out.txt', 'w').write('partial')\nraise SystemExit(3)\n"
    result = await run(gw, me, language="python", source=source, output_files=["out.txt"])
    assert (result["verdict"], result["files"]) == ("runtime_error", [])


async def test_output_files_over_the_cap_are_an_output_limit(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    me = await make_account()
    source = "import os\nopen('big.bin', 'wb').write(os.urandom(5 << 20))\nprint('done')\n"
    result = await run(gw, me, language="python", source=source, output_files=["big.bin"])
    assert result["verdict"] == "output_limit", result
    assert result["message"] == f"Output files take more than {CAP} bytes"
    assert result["run"]["exceeded"] == "output"
    assert result["run"]["stdout"] == "done\n"
    assert result["files"] == []
    missing = await gw.get(f"/v1/executions/{result['id']}/files/big.bin", headers=me.headers)
    assert missing.status_code == 404


async def test_sparse_files_are_never_inflated(
    gw: httpx.AsyncClient, make_account: MakeAccount, executor: subprocess.Popen[bytes]
) -> None:
    """Sixteen files of 255 MiB each holding a byte (the most RLIMIT_FSIZE allows a program is
    256 MiB: ``truncate(1 << 40)`` fails with EFBIG): 4 GiB apparent, a few KiB of data. The agent
    sends only their data, within its cap; inflated they would take the executor's memory."""
    me = await make_account()
    source = (
        "import os\nos.mkdir('sparse')\n"
        "for i in range(16):\n"
        "    with open(f'sparse/{i}.bin', 'wb') as f:\n"
        "        f.truncate(255 << 20)\n"
        "        f.seek((255 << 20) - 1)\n"
        "        f.write(b'x')\n"
        "print('sparse')\n"
    )
    result = await run(
        gw, me, language="python", source=source, output_files=["sparse"], limits={"file_size_kb": 262_144}
    )
    assert result["verdict"] == "output_limit", result
    assert result["message"] == f"Output files take more than {CAP} bytes"
    assert result["files"] == []
    # The executor is still there and still runs programs.
    assert executor.poll() is None
    after = await run(gw, me, language="python", source=WRITER, output_files=["out.bin"])
    assert after["verdict"] == "ok", after
    assert [file["name"] for file in after["files"]] == ["out.bin"]


async def test_bad_files_and_paths_are_422(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    me = await make_account()
    main = {"name": "main.py", "content": "print(1)"}
    errors = await refused(
        gw, me, language="python", files=[main, {"name": "a.bin", "content": "not base64!", "encoding": "base64"}]
    )
    assert [error["loc"] for error in errors] == [["body", "files", 1, "content"]]
    assert "base64" in errors[0]["msg"]

    # The entry file is source code: text.
    errors = await refused(
        gw, me, language="python", files=[{"name": "main.py", "content": b64(b"print(1)"), "encoding": "base64"}]
    )
    assert [(error["loc"], error["msg"]) for error in errors] == [
        (["body", "files", 0, "encoding"], "the entry file must be text")
    ]

    errors = await refused(
        gw, me, language="python", source="print(1)", output_files=["../etc/passwd", "/abs", "ok", "ok", "a//b"]
    )
    assert [error["loc"] for error in errors] == [
        ["body", "output_files", 0],
        ["body", "output_files", 1],
        ["body", "output_files", 3],
        ["body", "output_files", 4],
    ]
    errors = await refused(gw, me, language="python", source="print(1)", output_files=[f"f{i}" for i in range(17)])
    assert [(error["loc"], error["msg"]) for error in errors] == [
        (["body", "output_files"], "at most 16 paths are allowed")
    ]
    errors = await refused(
        gw,
        me,
        language="python",
        source="print(input())",
        output_files=["out"],
        test_cases=[{"stdin": "1\n", "expected_stdout": "1\n"}],
    )
    assert [error["loc"] for error in errors] == [["body", "output_files"]]


async def test_snippet_files_stay_text(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    me = await make_account()
    response = await gw.post(
        "/v1/snippets",
        json={
            "title": "binary",
            "language": "python",
            "files": [
                {"name": "main.py", "content": "print(1)"},
                {"name": "a.bin", "content": "AA==", "encoding": "base64"},
            ],
        },
        headers=me.headers,
    )
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["errors"]] == [["body", "files", 1, "encoding"]]


async def test_links_and_fifos_planted_as_outputs_are_not_followed(
    gw: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    me = await make_account()
    source = (
        "import os\nos.symlink('/etc/passwd', 'link')\nos.mkfifo('fifo')\n"
        "os.mkdir('dir')\nos.symlink('/etc', 'dir/etc')\nopen('dir/real.txt', 'w').write('real')\n"
    )
    result = await run(gw, me, language="python", source=source, output_files=["link", "fifo", "dir"])
    assert result["verdict"] == "ok", result
    assert [(file["name"], base64.b64decode(file["content"])) for file in result["files"]] == [
        ("dir/real.txt", b"real")
    ]


async def test_names_that_are_not_utf8_come_back_replaced(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    me = await make_account()
    source = "import os\nos.mkdir('out')\nopen(b'out/\\xff.bin', 'wb').write(b'odd')\n"
    result = await run(gw, me, language="python", source=source, output_files=["out"])
    assert result["verdict"] == "ok", result
    assert [file["name"] for file in result["files"]] == ["out/\ufffd.bin"]
    download = await gw.get(f"/v1/executions/{result['id']}/files/out/\ufffd.bin", headers=me.headers)
    assert download.content == b"odd"
    assert download.headers["content-disposition"] == "attachment; filename=\"_.bin\"; filename*=UTF-8''%EF%BF%BD.bin"
