"""``crh``: CodeRunHub from the terminal. Exit codes are listed in clients/python/README.md."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import httpx

from coderunhub import errors
from coderunhub._http import __version__
from coderunhub.cli import commands, config
from coderunhub.cli.run import EXIT_API, EXIT_INTERRUPTED, EXIT_USAGE, read_stdin, run_file
from coderunhub.client import AsyncClient

Command = Callable[[AsyncClient, argparse.Namespace], Awaitable[int]]


async def _run(client: AsyncClient, args: argparse.Namespace) -> int:
    return await run_file(
        client,
        Path(args.file),
        language=args.lang,
        version=args.lang_version,
        stdin=read_stdin(args.stdin),
        args=args.program_args,
        as_json=args.json,
        interactive=args.interactive,
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="crh", description="Run code on CodeRunHub.")
    top.add_argument("-V", "--version", action="version", version=f"crh {__version__}")
    top.add_argument("--url", help="the API's base URL (default: $CRH_URL, the config file, http://127.0.0.1:8000)")
    top.add_argument("--auth-url", help="the auth service's base URL when not the API's (default: $CRH_AUTH_URL)")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a file and stream its output (arguments after --)")
    run.add_argument("file")
    run.add_argument("--lang", help="language id (default: guessed from the file's extension)")
    run.add_argument("--lang-version", help="language version prefix, e.g. 3.11, pypy, clang")
    run.add_argument("--stdin", metavar="FILE", help="file fed to the program's stdin ('-': this one)")
    run.add_argument("--json", action="store_true", help="print the finished execution as JSON instead")
    run.add_argument("-i", "--interactive", action="store_true", help="type the program's input as it runs")
    run.set_defaults(handler=_run)

    languages = sub.add_parser("languages", help="list the languages and their versions")
    languages.add_argument("--json", action="store_true")
    languages.set_defaults(handler=commands.languages)

    history = sub.add_parser("history", help="list my latest executions")
    history.add_argument("--limit", type=int, default=20)
    history.add_argument("--lang")
    history.add_argument("--json", action="store_true")
    history.set_defaults(handler=commands.history)

    snippet = sub.add_parser("snippet", help="save, run and share snippets").add_subparsers(
        dest="snippet_command", required=True, metavar="ACTION"
    )
    save = snippet.add_parser("save", help="save a file as a snippet; prints its id")
    save.add_argument("file")
    save.add_argument("--title")
    save.add_argument("--lang")
    save.add_argument("--visibility", choices=["private", "unlisted", "public"])
    save.add_argument("--json", action="store_true")
    save.set_defaults(handler=commands.snippet_save)
    snippet_run = snippet.add_parser("run", help="run a snippet (arguments after --)")
    snippet_run.add_argument("id")
    snippet_run.add_argument("--stdin", metavar="FILE")
    snippet_run.set_defaults(handler=commands.snippet_run)
    share = snippet.add_parser("share", help="print a snippet's share link (making it unlisted if private)")
    share.add_argument("id")
    share.set_defaults(handler=commands.snippet_share)

    login = sub.add_parser("login", help="sign in with a code sent to your phone; saves an API key")
    login.add_argument("--phone", help="the number (else it is asked for)")
    login.set_defaults(handler=commands.login)

    config_parser = sub.add_parser("config", help="show or change the config file")
    config_parser.set_defaults(handler=commands.config_command)
    settings = config_parser.add_subparsers(dest="config_command", metavar="ACTION")
    settings.add_parser("show", help="the settings (the key shortened)")
    settings.add_parser("set-key", help="use this API key").add_argument("key")
    settings.add_parser("set-url", help="use this API URL").add_argument("url")
    settings.add_parser("logout", help="forget the API key")
    return top


def _on_retry(error: errors.ProblemError, wait: float) -> None:
    sys.stderr.write(f"crh: {error.status} {error.title}; retrying in {wait:g} s\n")


async def _main(args: argparse.Namespace) -> int:
    settings = config.resolve(url=args.url, auth_url=args.auth_url)
    handler: Command = args.handler
    async with AsyncClient(
        settings.url, api_key=settings.api_key, auth_url=settings.auth_url, on_retry=_on_retry
    ) as client:
        return await handler(client, args)


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after the first `--` belongs to the program, never to crh.
    program_args = argv[argv.index("--") + 1 :] if "--" in argv else []
    own = argv[: argv.index("--")] if "--" in argv else argv
    args = parser().parse_args(own)
    args.program_args = program_args
    try:
        code = asyncio.run(_main(args))
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    except errors.ProblemError as problem:
        sys.stderr.write(f"crh: {problem}\n")
        for field in problem.errors:
            sys.stderr.write(f"  {'.'.join(map(str, field.loc))}: {field.msg}\n")
        code = EXIT_API
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError) as unreadable:
        sys.stderr.write(f"crh: {unreadable}\n")
        code = EXIT_USAGE
    except (errors.StreamError, httpx.HTTPError, OSError) as failure:
        sys.stderr.write(f"crh: {failure}\n")
        code = EXIT_API
    sys.exit(code)
