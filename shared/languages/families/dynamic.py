"""More interpreted languages (and Scala, on the JVM). Newest version first."""

from __future__ import annotations

from shared.languages.families.common import JVM_FLAGS, JVM_LIMITS, JVM_OPTS, SLOW_COMPILER, env, jvm_zygote
from shared.languages.model import Language

# GNU bc reports syntax and run-time errors on stderr but exits with status 0, and reads its
# standard input as more program once the files are done. So: a file with a newline (bc reads its
# files as one text, and a program's last line may lack one) and `quit` after the program (stdin
# is only data, for read()), and status 1 when bc said anything on stderr (which still reaches
# stderr, as it comes).
_BC = (
    "printf '\\nquit\\n' > /tmp/crh-quit.bc; exec 3>&1;"
    ' bc -q -- "$1" /tmp/crh-quit.bc 2>&1 >&3 3>&-'
    ' | { if IFS= read -r line || [ -n "$line" ]; then printf "%s\\n" "$line"; cat; exit 1; fi; } >&2'
)


LANGUAGES: tuple[Language, ...] = (
    Language(
        id="r",
        variant="4.5",
        name="R 4.5",
        runtime="r",
        source_file="main.R",
        extensions=(".R", ".r"),
        run=("Rscript", "--vanilla", "./{entry}"),
        # R with its default packages attached ahead of the script, which runs through the same
        # read-eval loop as under Rscript (deploy/images/agent/zygote-r.pl).
        zygote=("perl", "/opt/crh/zygote-r.pl"),
        version_command=("Rscript", "--version"),
        # Debian's CRAN packages (deploy/images/runtimes.conf); ggplot2 draws with the pdf() device
        # or png(type = "cairo") into the program's files.
        libraries=(
            "jsonlite",
            "data.table",
            "dplyr",
            "tidyr",
            "readr",
            "purrr",
            "stringr",
            "tibble",
            "magrittr",
            "ggplot2",
        ),
    ),
    Language(
        id="octave",
        variant="9.4",
        name="GNU Octave 9.4",
        runtime="octave",
        # A script file: one that starts with a function definition is a function file, which
        # defines and runs nothing (start it with `1;`).
        source_file="main.m",
        extensions=(".m",),
        run=("octave-cli", "--quiet", "--no-init-file", "--no-history", "--no-window-system", "./{entry}"),
        version_command=("octave-cli", "--version"),
    ),
    Language(
        id="tcl",
        variant="8.6",
        name="Tcl 8.6",
        runtime="trixie-base",
        source_file="main.tcl",
        extensions=(".tcl",),
        run=("tclsh8.6", "./{entry}"),
        version_command=("sh", "-c", "echo 'puts [info patchlevel]' | tclsh8.6"),
    ),
    Language(
        id="awk",
        variant="gawk-5.2",
        name="AWK (GNU Awk 5.2)",
        runtime="trixie-base",
        source_file="main.awk",
        extensions=(".awk",),
        # The program reads its standard input (arguments after "--" are input files, as in awk).
        run=("gawk", "-f", "{entry}", "--"),
        version_command=("gawk", "--version"),
    ),
    Language(
        id="coffeescript",
        variant="2.7",
        name="CoffeeScript 2.7 (Node.js 20)",
        runtime="trixie-node",
        source_file="main.coffee",
        extensions=(".coffee",),
        run=("coffee", "./{entry}"),
        # Node with CoffeeScript's compiler loaded ahead of the script (deploy/images/agent/
        # coffee-zygote.js): ~150 ms of start-up paid while the sandbox waits.
        zygote=("node", "/opt/crh/coffee-zygote.js", "/usr/share/nodejs/coffeescript/lib/coffeescript"),
        version_command=("coffee", "--version"),
    ),
    Language(
        id="basic",
        variant="yabasic-2.91",
        name="BASIC (Yabasic 2.91)",
        runtime="trixie-base",
        source_file="main.bas",
        extensions=(".bas", ".yab"),
        run=("yabasic", "./{entry}"),
        version_command=("yabasic", "--version"),
    ),
    Language(
        id="hy",
        variant="1.0",
        name="Hy 1.0 (Python 3.13)",
        runtime="trixie-python",
        source_file="main.hy",
        extensions=(".hy",),
        run=("hy", "./{entry}"),
        # Python with Hy imported (most of its ~200 ms hello world) ahead of the program; `hy` is
        # this function's console script.
        zygote=("python3", "/opt/crh/zygote.py", "--entry", "hy.cmdline:hy_main"),
        run_env=env(PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1", MPLCONFIGDIR="/tmp", MPLBACKEND="Agg"),
        version_command=("hy", "--version"),
        libraries=("numpy", "pandas", "scipy", "sympy", "matplotlib"),
    ),
    Language(
        id="bc",
        variant="1.07",
        name="bc (GNU bc 1.07)",
        runtime="trixie-base",
        source_file="main.bc",
        extensions=(".bc",),
        run=("sh", "-c", _BC, "bc", "./{entry}"),
        version_command=("bc", "--version"),
    ),
    Language(
        id="plaintext",
        variant="coreutils-9.7",
        name="Plain text",
        runtime="trixie-base",
        source_file="main.txt",
        extensions=(".txt",),
        # The output is the text, as it is: nothing in a text can fail.
        run=("cat", "--", "{entry}"),
        version_command=("cat", "--version"),
    ),
    Language(
        id="groovy",
        variant="2.4",
        name="Groovy 2.4 (OpenJDK 21)",
        runtime="jvm-langs",
        source_file="main.groovy",
        extensions=(".groovy",),
        run=("groovy", "./{entry}"),
        run_env=env(JAVA_OPTS=JVM_OPTS),
        # Groovy loaded and warmed before the script arrives (~0.5 s of JVM and Groovy start-up).
        zygote=jvm_zygote("groovy", "/usr/share/groovy/lib/*"),
        version_command=("groovy", "--version"),
        run_limit_defaults=JVM_LIMITS,
    ),
    Language(
        id="scala",
        variant="2.11",
        name="Scala 2.11 (OpenJDK 21)",
        runtime="jvm-langs",
        # The program is an object with a main method (or extending App); a single source is
        # named after it, as Java's public class.
        source_file="Main.scala",
        extensions=(".scala",),
        compile=("scalac", "-d", "main.jar", "{flags}", "./{sources}"),
        compile_env=env(JAVA_OPTS=JVM_OPTS),
        # scalac loaded and warmed: a hello world compiles in a fraction of its ~2-3 s. It finds
        # the Scala library on the JVM's class path, as its launcher arranges.
        compile_zygote=jvm_zygote(
            "scalac",
            "/usr/share/java/scala-compiler.jar:/usr/share/java/scala-library.jar:/usr/share/java/scala-reflect.jar",
            properties=("-Dscala.usejavacp=true",),
        ),
        allowed_flags=(
            r"-deprecation",
            r"-feature",
            r"-unchecked",
            r"-optimi[sz]e",
            r"-Xlint(:[a-z,-]{1,64})?",
            r"-Xfatal-warnings",
            r"-language:[A-Za-z.,]{1,64}",
        ),
        file_name_pattern=r"^\s*object\s+([A-Za-z_]\w*)(?=\s+extends\s+App\b|[^}]*\bdef\s+main\b)",
        package_pattern=r"^\s*package\s+([A-Za-z_][\w.]*)",
        artifacts=("main.jar",),
        run=("java", *JVM_FLAGS, "-cp", "/usr/share/java/scala-library.jar:main.jar", "{main_class}"),
        version_command=("scalac", "-version"),
        run_limit_defaults=JVM_LIMITS,
        compile_limit_defaults=SLOW_COMPILER,
    ),
)
