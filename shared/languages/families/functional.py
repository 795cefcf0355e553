"""Functional and logic languages: BEAM, ML, Lisps, Prolog. Newest version first."""

from __future__ import annotations

from shared.languages.families.common import JVM_LIMITS, env, jvm_zygote
from shared.languages.model import Language

# The BEAM starts a scheduler (and a dirty CPU scheduler) per host core, more threads than a
# sandbox's process limit on a large machine; one CPU is what a sandbox gets. No crash dump file.
# Its JIT maps code twice through a file it sizes to a gigabyte (beyond the file size limit:
# SIGXFSZ); +JMsingle maps it once. The version probe runs without the language's environment.
_ERL_FLAGS = "+JMsingle true +S 1 +SDcpu 1 +SDio 1 +A 1 +sbwt none +sbwtdcpu none +sbwtdio none"
_BEAM_ENV = env(ERL_FLAGS=_ERL_FLAGS, ERL_CRASH_DUMP_SECONDS="0")

# Erlang's convention: module `main` (main.erl) exports main/1, called with the program's
# arguments as strings, like an escript's main/1 (escript itself would take the file's first line
# for a header, and a module starts with -module); it ends when main/1 returns (status 0), by
# halt(Status), or with an uncaught exception (status 1). erlc needs its output directory to
# exist: the platform's ebin/README creates it.
_ERLANG_RUN = "'{main_class}':main(init:get_plain_arguments()), halt()."

# gprolog's own loader reports a syntax error or a failing directive (the program's
# initialization(main)) on the top level's output and carries on with status 0. This goal
# consults the program with those messages captured, writes them to stderr and halts with
# status 1 when the file did not compile or a directive failed or raised an exception.
_GPROLOG_RUN = (
    "catch((open_output_atom_stream(S), '$set_top_level_streams'(user_input, S),"
    " (consult('./{entry}') -> C = ok ; C = failed),"
    " '$set_top_level_streams'(user_input, user_output), close_output_atom_stream(S, M),"
    " (C == ok, \\+ sub_atom(M, _, _, _, warning) -> true ; write(user_error, M)),"
    " (C == ok, \\+ sub_atom(M, _, _, _, directive) -> halt ; halt(1))),"
    " E, (write(user_error, E), nl(user_error), halt(1)))"
)


def _scheme(variant: str, name: str, run: tuple[str, ...], version_command: tuple[str, ...]) -> Language:
    return Language(
        id="scheme",
        variant=variant,
        name=f"Scheme ({name})",
        runtime="lisp",
        source_file="main.scm",
        extensions=(".scm", ".ss"),
        run=run,
        version_command=version_command,
    )


def _prolog(variant: str, name: str, run: tuple[str, ...], version_command: tuple[str, ...]) -> Language:
    """Both run a program whose `:- initialization(main).` directive starts it."""
    return Language(
        id="prolog",
        variant=variant,
        name=f"Prolog ({name})",
        runtime="prolog",
        source_file="main.pl",
        extensions=(".pl", ".pro"),
        run=run,
        version_command=version_command,
    )


LANGUAGES: tuple[Language, ...] = (
    Language(
        id="elixir",
        variant="1.18",
        name="Elixir 1.18",
        runtime="beam",
        source_file="main.exs",
        extensions=(".exs", ".ex"),
        # elixir takes "--" for the end of its own options and then runs nothing: ./name.
        run=("elixir", "./{entry}"),
        # The VM, Elixir and its compiler loaded ahead of the script, which then runs through
        # Elixir's own command line (deploy/images/agent/zygote.exs): ~300 ms of boot paid early.
        zygote=("elixir", "/opt/crh/zygote.exs"),
        run_env=_BEAM_ENV,
        version_command=("env", f"ERL_FLAGS={_ERL_FLAGS}", "elixir", "--version"),
        version_pattern=r"Elixir (\d+(?:\.\d+)+)",
    ),
    Language(
        id="erlang",
        variant="27",
        name="Erlang/OTP 27",
        runtime="beam",
        source_file="main.erl",
        extensions=(".erl",),
        compile=("erlc", "-o", "ebin", "{flags}", "./{sources}"),
        compile_env=_BEAM_ENV,
        support_files=env(**{"ebin/README": "erlc -o ebin: the compiled modules.\n"}),
        allowed_flags=(
            r"-W[0-9]?",
            r"-Werror",
            r"-D[A-Za-z_][A-Za-z0-9_]{0,63}(=[A-Za-z0-9_.]{0,64})?",
            r"\+(debug_info|warnings_as_errors|warn_export_all|warn_export_vars|nowarn_unused_vars|"
            r"nowarn_unused_function|nowarn_shadow_vars)",
        ),
        artifacts=("ebin",),
        run=("erl", "-noshell", "-pa", "ebin", "-eval", _ERLANG_RUN, "-extra"),
        run_env=_BEAM_ENV,
        version_command=(
            "env",
            f"ERL_FLAGS={_ERL_FLAGS}",
            "erl",
            "-noshell",
            "-eval",
            'io:put_chars(element(2, file:read_file(filename:join([code:root_dir(), "releases",'
            ' erlang:system_info(otp_release), "OTP_VERSION"])))), halt().',
        ),
    ),
    Language(
        id="ocaml",
        variant="5.3",
        name="OCaml 5.3",
        runtime="ocaml",
        source_file="main.ml",
        extensions=(".ml",),
        # ocamlopt links modules in the order given, a module after those it uses: ocamldep
        # sorts them (a file it cannot parse keeps its place, for ocamlopt to report).
        compile=(
            "sh",
            "-c",
            'files=; while [ "$1" != -- ]; do files="$files $1"; shift; done; shift;'
            " sorted=$(ocamldep -sort $files 2>/dev/null) || sorted=$files;"
            ' exec ocamlopt "$@" -o main $sorted',
            "ocamlopt",
            "./{sources}",
            "--",
            "{flags}",
        ),
        allowed_flags=(r"-unsafe", r"-noassert", r"-g", r"-principal", r"-rectypes", r"-strict-sequence"),
        artifacts=("main",),
        run=("./main",),
        version_command=("ocamlopt", "-version"),
    ),
    Language(
        id="clojure",
        variant="1.12",
        name="Clojure 1.12",
        runtime="jvm-langs",
        source_file="main.clj",
        extensions=(".clj", ".cljc"),
        # Debian's wrapper for clojure.main; in the sandbox, Clojure is loaded and warmed before the
        # script arrives (~0.5 s of start-up), and runs it as clojure.main would.
        run=("clojure", "./{entry}"),
        zygote=jvm_zygote(
            "clojure", "/usr/share/java/clojure.jar:/usr/share/java/spec.alpha.jar:/usr/share/java/core.specs.alpha.jar"
        ),
        version_command=("java", "-cp", "/usr/share/java/clojure.jar", "clojure.main", "-e", "(clojure-version)"),
        run_limit_defaults=JVM_LIMITS,
    ),
    Language(
        id="commonlisp",
        variant="sbcl-2.5",
        name="Common Lisp (SBCL 2.5)",
        runtime="lisp",
        source_file="main.lisp",
        extensions=(".lisp", ".lsp", ".cl"),
        # --script: no init files, no debugger (an error ends the program with status 1).
        run=("sbcl", "--script", "./{entry}"),
        version_command=("sbcl", "--version"),
    ),
    Language(
        id="racket",
        variant="8.16",
        name="Racket 8.16",
        runtime="lisp",
        source_file="main.rkt",
        extensions=(".rkt",),
        # A module (#lang racket, racket/base...): its body runs, then its main submodule.
        run=("racket", "./{entry}"),
        # racket/base and racket loaded ahead of the module, which then runs as the launcher runs
        # a file (deploy/images/agent/zygote.rkt).
        zygote=("racket", "/opt/crh/zygote.rkt"),
        version_command=("racket", "--version"),
    ),
    # Guile by default: the more common one. Without auto-compilation (each run would compile the
    # file first, and say so on stderr).
    _scheme("guile-3.0", "Guile 3.0", ("guile", "--no-auto-compile", "-s", "./{entry}"), ("guile", "--version")),
    _scheme("chez-10", "Chez Scheme 10", ("scheme", "--script", "./{entry}"), ("scheme", "--version")),
    # -t halt: no top level once the program has run; --on-error=status: status 1 after a syntax
    # error or an exception (warnings, such as singleton variables, do not fail a program).
    _prolog(
        "swi-9.2",
        "SWI-Prolog 9.2",
        ("swipl", "-q", "--on-error=status", "-t", "halt", "./{entry}"),
        ("swipl", "--version"),
    ),
    _prolog("gprolog-1.4", "GNU Prolog 1.4", ("gprolog", "--init-goal", _GPROLOG_RUN, "--"), ("gprolog", "--version")),
)
