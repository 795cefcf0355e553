"""What several families share: flag allow-lists, JVM settings, limits."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType


def env(**values: str) -> Mapping[str, str]:
    return MappingProxyType(values)


def limits(**values: int) -> Mapping[str, int]:
    return MappingProxyType(values)


# Quick JVM start-up for short programs; a deep stack for recursive solutions.
JVM_FLAGS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xss64m")
JVM_OPTS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Xss4m"
# A JVM sizes its heap and threads from these; memory is a cgroup limit, so the large virtual
# reservations of JVM, BEAM, .NET and Go runtimes do not count against it.
JVM_LIMITS = limits(memory_mb=512, processes=128)
# deploy/images/agent/JvmZygote.java, in every runtime image.
JVM_ZYGOTE_CLASSES = "/opt/crh/jvm"
# Class-data sharing archives of each zygote's tool, dumped when its image is built
# (deploy/images/setup/jvm.sh): the tool's classes mapped already parsed and verified, which
# halves a cold compiler's start (scalac 2.0 -> 1.2 s on one CPU, javac 0.42 -> 0.26 s).
JVM_CDS_ARCHIVES = "/opt/crh/cds"


def jvm_zygote(tool: str, classpath: str = "", *warm_options: str, properties: tuple[str, ...] = ()) -> tuple[str, ...]:
    """A JVM with ``tool`` loaded and warmed, compiling (or running) once its program arrives:
    the phase's command is then ``tool`` followed by what the tool's own launcher would take."""
    # The archive was dumped with the tool's class path alone, which must be a prefix of the one it
    # is used with: the zygote's own classes come after it.
    path = f"{classpath}:{JVM_ZYGOTE_CLASSES}" if classpath else JVM_ZYGOTE_CLASSES
    archive = f"-XX:SharedArchiveFile={JVM_CDS_ARCHIVES}/{tool}.jsa"
    return ("java", *JVM_FLAGS, archive, *properties, "-cp", path, "JvmZygote", tool, *warm_options)


SLOW_COMPILER = limits(wall_time_ms=60_000, cpu_time_ms=60_000)

# Since GCC 11 diagnostics count columns in display cells (a tab up to 8 of them); in bytes, a
# column converts to an editor's exactly (docs/design/collaboration-and-analysis.md, 2.3). GCC 12
# and 14 take it; the precompiled <bits/stdc++.h> (setup/gcc.sh) stays valid with it.
GCC_BYTE_COLUMNS = "-fdiagnostics-column-unit=byte"

GCC_FLAGS = (
    r"-O[0-3sg]?",
    r"-g",
    r"-W(all|extra|error|pedantic|shadow|conversion|no-unused-result)",
    r"-pedantic",
    r"-D[A-Za-z_][A-Za-z0-9_]{0,63}(=[A-Za-z0-9_.]{0,64})?",
    r"-l(m|pthread|gmp|gmpxx)",
    r"-pthread",
    r"-march=x86-64(-v[234])?",
    r"-fno-(exceptions|rtti|strict-aliasing)",
)
