"""A Python interpreter started ahead of its program, in a warm single-use sandbox.

The agent starts this with the program's stdio already in place; it initialises the interpreter
(the ~15 ms a hello world otherwise spends before its first line) and waits on fd 3. The agent
then writes "cpu_ms NUL file_size_bytes NUL argv..." (argv as it would exec it, interpreter
first) and closes fd 3. This process applies the program's limits and becomes the program, as
``python3 main.py`` would run it: same argv, sys.path[0], __main__, tracebacks and exit codes.

Ending is made cheap too (a hello world spent ~4 ms of its ~8 in the interpreter's teardown):
- the interpreter's own objects are frozen out of the garbage collector before the program
  starts (gc.freeze), so the collections the program and its exit trigger scan only its objects;
- a program that completes (or raises SystemExit with a number) ends as CPython's exit would, as
  far as a program can observe: non-daemon threads are joined, atexit callbacks run, the
  program's __main__ and own modules are cleared as CPython clears them, and collected (unclosed files are flushed and
  closed, __del__ methods run), standard streams are flushed, and the process exits with its
  status without tearing down the interpreter's memory and stdlib modules one object at a time.
  Python does not promise __del__ for objects alive at exit; stdlib modules keep their state.

With ``--entry MODULE:FUNCTION`` it stands for a Python tool's console script instead (Hy: ``hy``
is ``hy.cmdline:hy_main``): the module is imported while waiting (Hy's import is ~190 ms of its
~200 ms hello world) and the function runs with ``sys.argv`` as the tool's script would see it.
"""

import atexit
import gc
import os
import resource
import sys

# SystemExit codes CPython exits with as they are (anything else is printed, and exits 1).
_EXIT_CODES = (int, type(None))


def _read_go() -> list[bytes]:
    # Warm: the agent may hand this sandbox a program without waiting (a byte on fd 4, closed so
    # that the program does not inherit it).
    try:
        os.write(4, b"r")
        os.close(4)
    except OSError:
        pass
    data = b""
    while chunk := os.read(3, 65536):
        data += chunk
    os.close(3)
    return data.split(b"\0")[:-1]


def _flush_standard_streams() -> bool:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except Exception:  # CPython's exit decides what a failed flush means
            return False
    return True


def _clear_namespace(namespace: dict[str, object]) -> None:
    """What CPython does to a module's dict at exit: single-underscore names first, then all but
    __builtins__, set to None (a __del__ running meanwhile still finds the builtins)."""
    for name in [name for name in namespace if name[:1] == "_" and name[1:2] != "_"]:
        namespace[name] = None
    for name in [name for name in namespace if name != "__builtins__"]:
        namespace[name] = None


def _exit_now(status: int, main: dict[str, object], preloaded: set[str], home: str) -> None:
    """Exit as CPython would after the program, minus the teardown of the interpreter itself;
    returns (letting the interpreter exit normally) if a standard stream cannot be flushed."""
    # Non-daemon threads are joined, as Py_Finalize does; only the threading module makes them (not
    # imported here: it would cost every start-up ~6 ms).
    threading = sys.modules.get("threading")
    if threading is not None:
        threading._shutdown()
    atexit._run_exitfuncs()
    _clear_namespace(main)
    # Then the program's own modules (its other files); libraries keep their state.
    for name in [name for name in sys.modules if name not in preloaded]:
        module = sys.modules.get(name)
        path = getattr(module, "__file__", None)
        if module is not None and name != "__main__" and isinstance(path, str) and path.startswith(home):
            _clear_namespace(vars(module))
    gc.collect()
    if not _flush_standard_streams():
        return
    os._exit(status & 0xFF)


def _limit(fields: list[bytes]) -> list[str]:
    """Apply the program's limits from its go message; its argv (the interpreter's name first)."""
    cpu_s = int(fields[0]) // 1000 + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    file_size = int(fields[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    return [os.fsdecode(arg) for arg in fields[2:]]


def _run_entry(entry: str) -> None:
    """Run a console script's function as its launcher would, once the program arrives."""
    import importlib  # only here: the plain zygote does not pay for it

    module_name, _, function_name = entry.partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    compile("x = 1\nprint(x)\n", "<warm-up>", "exec")
    gc.freeze()
    fields = _read_go()
    if len(fields) < 3:
        os._exit(0)  # No program came (the sandbox was discarded).
    sys.argv = _limit(fields)
    try:
        status = function()
    except SystemExit:
        raise
    except BaseException as exc:
        # Reported as the launcher's uncaught exception would be, minus this file's frame.
        tb = exc.__traceback__
        sys.excepthook(type(exc), exc, tb.tb_next if tb is not None else None)
        sys.exit(1)
    sys.exit(status)


def _main() -> None:
    if sys.argv[1:2] == ["--entry"] and len(sys.argv) == 3:
        _run_entry(sys.argv[2])
        return
    # The interpreter's first compile() builds the parser's and compiler's lazy state (~0.5 ms here,
    # more than a hello world's own run): paid now, before the program is known.
    compile("x = 1\nprint(x)\n", "<warm-up>", "exec")
    gc.freeze()
    preloaded = set(sys.modules)
    fields = _read_go()
    if len(fields) < 4:
        os._exit(0)  # No program came (the sandbox was discarded).
    # argv[0] is the interpreter; the script and its arguments follow.
    argv = _limit(fields)[1:]
    script = os.path.abspath(argv[0])
    sys.argv = argv
    sys.path[0] = os.path.dirname(script)

    # What the interpreter does for `python3 script.py`: the script runs in a fresh __main__.
    main = type(sys)("__main__")
    main.__dict__.update(__file__=script, __builtins__=__builtins__, __cached__=None)
    sys.modules["__main__"] = main
    try:
        with open(script, "rb") as source:
            code = compile(source.read(), script, "exec")
        exec(code, main.__dict__)  # noqa: S102  (running the user's program is the point)
    except SystemExit as stop:
        if not isinstance(stop.code, _EXIT_CODES):
            raise
        status = stop.code or 0
    except BaseException as exc:
        # Report as the interpreter would, without this file's frames.
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != script:
            tb = tb.tb_next
        sys.excepthook(type(exc), exc.with_traceback(tb), tb)
        sys.exit(1)
    else:
        status = 0
    _exit_now(status, main.__dict__, preloaded, os.path.dirname(script) + os.sep)
    sys.exit(status)


_main()
