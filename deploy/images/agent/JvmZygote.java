import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import javax.tools.ToolProvider;

/**
 * A JVM tool started ahead of its program in a warm single-use sandbox (the agent's zygote mode;
 * the protocol is zygote.py's: the go message arrives on fd 3 as "cpu_ms NUL file_size NUL argv...",
 * and the agent has already lowered the file size limit). It loads the tool named by its argument
 * and exercises it on a throwaway program before the submission is known, so the submission runs
 * in a JVM whose tool classes are loaded and partly compiled: javac compiles a hello world in a
 * tenth of a cold javac's time. Each instance serves one program; nothing outlives its sandbox.
 *
 * Tools: javac, kotlinc and scalac compile (argv as their launchers take it); clojure and groovy
 * run a script (argv: the launcher, the script, its arguments).
 */
public final class JvmZygote {
    private static final String JAVA = String.join("\n",
            "import java.util.*;",
            "import java.util.stream.*;",
            "public class Warm {",
            "  interface Shape { double area(); }",
            "  public static void main(String[] args) throws Exception {",
            "    List<Integer> xs = new ArrayList<>();",
            "    for (int i = 0; i < 10; i++) xs.add(i * i);",
            "    Map<String, Integer> m = new HashMap<>();",
            "    m.put(\"a\" + xs.size(), xs.stream().mapToInt(Integer::intValue).sum());",
            "    Shape s = () -> 3.14;",
            "    String joined = xs.stream().map(String::valueOf).collect(Collectors.joining(\",\"));",
            "    java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));",
            "    System.out.println(joined + m + s.area() + String.format(\"%d\", 3) + r.readLine());",
            "  }",
            "}",
            "");
    private static final String KOTLIN = String.join("\n",
            "data class Point(val x: Int, val y: Int)",
            "fun main() {",
            "    val xs = (1..10).map { it * it }.filter { it % 2 == 0 }",
            "    val m = mutableMapOf(\"a\" to xs.sum())",
            "    val line = readLine() ?: \"\"",
            "    println(\"$xs $m ${Point(1, 2)} $line\")",
            "}",
            "");
    // Small on purpose: scalac's cold compile of anything larger takes longer than the time between
    // one user's runs, and a program arriving meanwhile waits for the warm-up to end.
    private static final String SCALA = String.join("\n",
            "object Warm {",
            "  def main(args: Array[String]): Unit = println(s\"${args.length} ${List(1, 2).map(_ * 2)}\")",
            "}",
            "");
    // Scripts for the interpreters print nothing: their output would be the program's.
    private static final String CLOJURE =
            "(let [xs (map #(* % %) (range 10)) m (into {} (map vector (range 5) xs))]"
            + " (str (reduce + xs) m (clojure.string/join \",\" xs) (format \"%d\" 3)))";
    private static final String GROOVY =
            "def xs = (1..10).collect { it * it }.findAll { it % 2 == 0 }\n"
            + "def m = [a: xs.sum()]\n\"${xs} ${m} ${String.format('%d', 3)}\".toString()\n";

    private JvmZygote() {}

    public static void main(String[] args) throws Exception {
        if (args.length >= 2 && args[0].equals("--main-of")) {
            runJar(args);
            return;
        }
        String tool = args[0];
        // The zygote's other arguments are options its warm-up compiles pass (e.g. kotlinc's home).
        List<String> warmOptions = Arrays.asList(args).subList(1, args.length);
        // The go message's pipe, opened now so the warm-up can stop as soon as a program waits.
        InputStream go = new FileInputStream("/proc/self/fd/3");
        Path dir = Files.createTempDirectory("crh-zygote-warm");
        try {
            // One throwaway compile loads nearly everything a second one needs; more would delay a
            // program that arrives meanwhile (back-to-back submissions find the next sandbox still
            // warming up).
            if (go.available() == 0) {
                warm(tool, warmOptions, dir);
            }
        } finally {
            delete(dir);
        }
        ready();
        List<String> fields = readGo(go);
        if (fields.size() < 3) {
            System.exit(0); // No program came (the sandbox was discarded).
        }
        // fields: cpu_ms, file size, then argv as the launcher would get it; -J options are the
        // launcher's, and this JVM already runs with them.
        String[] argv = fields.subList(3, fields.size()).stream()
                .filter(arg -> !arg.startsWith("-J")).toArray(String[]::new);
        int status = run(tool, argv, System.out, System.err);
        System.out.flush();
        System.err.flush();
        System.exit(status);
    }

    /**
     * Not a zygote: "--main-of JAR ARGS..." runs the Main-Class a compiler wrote into JAR's manifest
     * (kotlinc names it after the file and package), the classpath already holding the jar and the
     * language's runtime library.
     */
    private static void runJar(String[] args) throws Exception {
        String mainClass;
        try (JarFile jar = new JarFile(args[1])) {
            mainClass = jar.getManifest().getMainAttributes().getValue(Attributes.Name.MAIN_CLASS);
        }
        Method main = Class.forName(mainClass).getMethod("main", String[].class);
        try {
            main.invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
        } catch (InvocationTargetException e) {
            // As the launcher reports an uncaught exception: its trace, exit status 1.
            Thread.currentThread().getUncaughtExceptionHandler().uncaughtException(Thread.currentThread(), e.getCause());
            System.exit(1);
        }
    }

    private static int run(String tool, String[] argv, PrintStream out, PrintStream err) throws Exception {
        switch (tool) {
            case "javac":
                return ToolProvider.getSystemJavaCompiler().run(null, out, err, argv);
            case "kotlinc": {
                Class<?> compiler = Class.forName("org.jetbrains.kotlin.cli.jvm.K2JVMCompiler");
                Object instance = compiler.getDeclaredConstructor().newInstance();
                Method exec = compiler.getMethod("exec", PrintStream.class, String[].class);
                Object code = exec.invoke(instance, err, argv);
                return (Integer) code.getClass().getMethod("getCode").invoke(code);
            }
            case "scalac": {
                Class<?> main = Class.forName("scala.tools.nsc.Main");
                // scalac reports through scala.Console, whose streams are its own (taken from
                // System.out and System.err when it was first used): point them at this run's.
                Class<?> console = Class.forName("scala.Console");
                console.getMethod("setOut", PrintStream.class).invoke(null, out);
                console.getMethod("setErr", PrintStream.class).invoke(null, err);
                try {
                    // Scala 2.11's process returns nothing: its reporter says whether errors occurred.
                    main.getMethod("process", String[].class).invoke(null, (Object) argv);
                    Object reporter = main.getMethod("reporter").invoke(null);
                    boolean errors = (Boolean) reporter.getClass().getMethod("hasErrors").invoke(reporter);
                    return errors ? 1 : 0;
                } finally {
                    console.getMethod("setOut", PrintStream.class).invoke(null, System.out);
                    console.getMethod("setErr", PrintStream.class).invoke(null, System.err);
                }
            }
            case "clojure":
                Class.forName("clojure.main").getMethod("main", String[].class).invoke(null, (Object) argv);
                return 0;
            case "groovy":
                Class.forName("groovy.ui.GroovyMain").getMethod("main", String[].class).invoke(null, (Object) argv);
                return 0;
            default:
                throw new IllegalArgumentException("unknown tool " + tool);
        }
    }

    private static void warm(String tool, List<String> options, Path dir) throws Exception {
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        Path out = dir.resolve("out");
        Files.createDirectories(out);
        String source = switch (tool) {
            case "javac" -> write(dir, "Warm.java", JAVA);
            case "kotlinc" -> write(dir, "warm.kt", KOTLIN);
            case "scalac" -> write(dir, "Warm.scala", SCALA);
            default -> null;
        };
        List<String> argv = new ArrayList<>(options);
        argv.addAll(List.of("-d", out.toString(), String.valueOf(source)));
        switch (tool) {
            case "javac", "kotlinc", "scalac":
                run(tool, argv.toArray(String[]::new), quiet, quiet);
                break;
            case "clojure": {
                Class<?> rt = Class.forName("clojure.lang.RT");
                Object loadString = rt.getMethod("var", String.class, String.class).invoke(null, "clojure.core", "load-string");
                loadString.getClass().getMethod("invoke", Object.class).invoke(loadString, CLOJURE);
                break;
            }
            case "groovy": {
                Object shell = Class.forName("groovy.lang.GroovyShell").getDeclaredConstructor().newInstance();
                shell.getClass().getMethod("evaluate", String.class).invoke(shell, GROOVY);
                break;
            }
            default:
                throw new IllegalArgumentException("unknown tool " + tool);
        }
    }

    private static String write(Path dir, String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file.toString();
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    /** Warm: the agent may hand this sandbox a program without waiting (a byte on fd 4). */
    private static void ready() {
        try (OutputStream ready = new FileOutputStream("/proc/self/fd/4")) {
            ready.write('r');
        } catch (IOException e) {
            // No readiness pipe: the agent learns it when the program starts.
        }
    }

    private static List<String> readGo(InputStream go) throws IOException {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        try (InputStream in = go) {
            in.transferTo(data);
        }
        List<String> fields = new ArrayList<>();
        byte[] bytes = data.toByteArray();
        int start = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                fields.add(new String(bytes, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        return fields;
    }
}
