"""The CLI's other commands: languages, history, snippets, login, config."""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
from pathlib import Path

from coderunhub.cli import config
from coderunhub.cli.run import EXIT_USAGE, follow_or_cancel, guess_language, read_stdin
from coderunhub.client import AsyncClient
from coderunhub.models import FileIn

# What `crh login` asks for on the key it creates: everything a key may hold.
CLI_KEY_SCOPES = ["executions:read", "executions:write", "snippets:read", "snippets:write", "account:read"]


def _table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        sys.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")


async def languages(client: AsyncClient, args: argparse.Namespace) -> int:
    found = await client.languages()
    if args.json:
        sys.stdout.write(json.dumps([item.model_dump(mode="json") for item in found], indent=2) + "\n")
        return 0
    rows = [
        [
            item.id,
            item.name,
            item.version or "?",
            ", ".join(v.variant for v in item.versions),
            " ".join(item.extensions),
        ]
        for item in found
    ]
    _table(rows, ["ID", "NAME", "VERSION", "VARIANTS", "EXTENSIONS"])
    return 0


async def history(client: AsyncClient, args: argparse.Namespace) -> int:
    page = await client.list_executions(limit=args.limit, language=args.lang, details=False)
    if args.json:
        sys.stdout.write(json.dumps(page.model_dump(mode="json"), indent=2) + "\n")
        return 0
    rows = [
        [
            str(item.id),
            item.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            item.language,
            str(item.status),
            str(item.verdict or ""),
            "" if item.run is None or item.run.exit_code is None else str(item.run.exit_code),
        ]
        for item in page.items
    ]
    _table(rows, ["ID", "CREATED", "LANGUAGE", "STATUS", "VERDICT", "EXIT"])
    return 0


async def snippet_save(client: AsyncClient, args: argparse.Namespace) -> int:
    path = Path(args.file)
    language = args.lang or guess_language(path, await client.languages())
    if language is None:
        sys.stderr.write(f"crh: cannot tell the language of {path.name}; name it with --lang\n")
        return EXIT_USAGE
    files = [FileIn(name=path.name, content=await asyncio.to_thread(path.read_text, encoding="utf-8"))]
    snippet = await client.snippets.create(args.title or path.name, language, files, visibility=args.visibility)
    if args.json:
        sys.stdout.write(json.dumps(snippet.model_dump(mode="json"), indent=2) + "\n")
    else:
        sys.stdout.write(f"{snippet.id}\n")
    return 0


async def snippet_run(client: AsyncClient, args: argparse.Namespace) -> int:
    execution = await client.snippets.run(args.id, stdin=read_stdin(args.stdin), args=args.program_args, wait=False)
    return await follow_or_cancel(client, execution)


async def snippet_share(client: AsyncClient, args: argparse.Namespace) -> int:
    sys.stdout.write(await client.snippets.share(args.id) + "\n")
    return 0


async def _ask(prompt: str) -> str:
    answer: str = await asyncio.to_thread(input, prompt)
    return answer.strip()


async def login(client: AsyncClient, args: argparse.Namespace) -> int:
    """Phone sign-in, then an API key for this machine, saved in the config file (a key rather than
    the 15-minute access token: it lasts, and it can be revoked on its own from the web app)."""
    phone = args.phone or await _ask("Phone number (international format, e.g. +14155552671): ")
    started = await client.auth.phone_start(phone)
    if started.provider == "development":
        sys.stderr.write("(development server: the code is in the auth service's log)\n")
    code = await _ask(f"Code sent to {started.phone}: ")
    signed_in = await client.auth.phone_verify(started.phone, code)
    name = f"crh CLI on {socket.gethostname()}"[:100]
    key = await client.api_keys.create(name, CLI_KEY_SCOPES)
    path = config.save({"api_key": key.key, "url": client.base_url})
    who = signed_in.user.phone or signed_in.user.email or str(signed_in.user.id)
    sys.stdout.write(f"Signed in as {who}. API key {key.prefix} saved to {path}\n")
    return 0


async def config_command(client: AsyncClient, args: argparse.Namespace) -> int:
    if args.config_command == "set-key":
        path = config.save({"api_key": args.key})
    elif args.config_command == "set-url":
        path = config.save({"url": args.url})
    elif args.config_command == "logout":
        path = config.save({"api_key": None})
    else:
        stored = config.load()
        if stored.get("api_key"):
            stored["api_key"] = stored["api_key"][:15] + "…"
        sys.stdout.write(json.dumps({"path": str(config.config_path()), **stored}, indent=2) + "\n")
        return 0
    sys.stdout.write(f"saved to {path}\n")
    return 0
