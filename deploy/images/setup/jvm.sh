# Setup hook of the JVM runtimes (java, java21, java25, kotlin and jvm-langs link to this file):
# a class-data sharing archive per tool that a zygote keeps warm (JvmZygote in
# deploy/images/agent/, started as shared/languages/families/common.py's jvm_zygote says). A JVM
# mapping the archive finds the tool's classes already parsed and verified: a cold scalac starts
# in ~60% of its time, javac too; the zygotes warm up that much sooner, so back-to-back
# submissions wait less for the next one. The archive is read-only data of this image, the same
# in every sandbox; nothing of one execution reaches another through it.
#
# Each archive is dumped by the tool compiling (or running) a small program with the class path
# the zygote uses minus the zygote's own classes, which come last: an archive is used only when
# its class path is a prefix of the JVM's. tests/e2e/test_languages.py starts every zygote's JVM
# with -Xshare:on, which fails when its archive does not match.
set -euo pipefail
FLAGS=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData)
ARCHIVES=/opt/crh/cds
mkdir -p "$ARCHIVES"
work=$(mktemp -d)
cd "$work"

dump() { # dump TOOL CLASSPATH JAVA-ARGS... (an empty CLASSPATH: none)
  local tool=$1 cp=()
  [ -z "$2" ] || cp=(-cp "$2")
  shift 2
  # The dump's warnings list classes it skips (JFR events): not errors.
  java "${FLAGS[@]}" -XX:ArchiveClassesAtExit="$ARCHIVES/$tool.jsa" "${cp[@]}" "$@" >"$work/$tool.log" 2>&1 || {
    cat "$work/$tool.log"
    exit 1
  }
  # Fail the build, not the first sandbox, when the archive cannot be used.
  java "${FLAGS[@]}" -XX:SharedArchiveFile="$ARCHIVES/$tool.jsa" -Xshare:on "${cp[@]}" -version >/dev/null
}

if command -v kotlinc >/dev/null; then
  home=/usr/share/kotlin/kotlinc
  printf 'data class P(val x: Int)\nfun main() {\n    val xs = (1..10).map { it * it }\n    println("$xs ${P(1)} ${readLine()}")\n}\n' >main.kt
  dump kotlinc "$home/lib/*" org.jetbrains.kotlin.cli.jvm.K2JVMCompiler \
    -nowarn -kotlin-home "$home" -d out main.kt
elif command -v scalac >/dev/null; then
  printf 'object Main {\n  case class P(x: Int)\n  def main(args: Array[String]): Unit = {\n    val xs = (1 to 10).map(i => i * i)\n    println(s"$xs ${P(1)} ${scala.io.StdIn.readLine()}")\n  }\n}\n' >Main.scala
  dump scalac /usr/share/java/scala-compiler.jar:/usr/share/java/scala-library.jar:/usr/share/java/scala-reflect.jar \
    -Dscala.usejavacp=true scala.tools.nsc.Main -d out.jar Main.scala
  dump clojure /usr/share/java/clojure.jar:/usr/share/java/spec.alpha.jar:/usr/share/java/core.specs.alpha.jar \
    clojure.main -e '(let [xs (map #(* % %) (range 10))] (println (reduce + xs) (clojure.string/join "," xs) (format "%d" 3)))'
  dump groovy '/usr/share/groovy/lib/*' groovy.ui.GroovyMain \
    -e 'def xs = (1..10).collect { it * it }.findAll { it % 2 == 0 }; println "${xs} ${[a: xs.sum()]}"'
else
  # A Java runtime: javac, as the module it is (no class path of its own).
  printf 'import java.util.*;\npublic class Main {\n  public static void main(String[] a) {\n    List<Integer> xs = new ArrayList<>(List.of(1, 2));\n    System.out.println("Hello " + xs + new Scanner(System.in).hasNextLine());\n  }\n}\n' >Main.java
  dump javac "" -m jdk.compiler/com.sun.tools.javac.Main -d out Main.java
fi

chmod -R a+rX "$ARCHIVES"
cd /
rm -rf "$work"
