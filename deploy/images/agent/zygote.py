"""A Python interpreter started ahead of its program, in a warm single-use sandbox.

The agent starts this with the program's stdio already in place; it initialises the interpreter
(the ~15 ms a hello world otherwise spends before its first line) and waits on fd 3. The agent
then writes "cpu_ms NUL file_size_bytes NUL argv..." (argv as it would exec it, interpreter
first) and closes fd 3. This process applies the program's limits and becomes the program, as
``python3 main.py`` would run it: same argv, sys.path[0], __main__, tracebacks and exit codes.
"""

import os
import resource
import sys


def _read_go() -> list[bytes]:
    data = b""
    while chunk := os.read(3, 65536):
        data += chunk
    os.close(3)
    return data.split(b"\0")[:-1]


def _main() -> None:
    fields = _read_go()
    if len(fields) < 4:
        os._exit(0)  # No program came (the sandbox was discarded).
    cpu_s = int(fields[0]) // 1000 + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    file_size = int(fields[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    # argv[0] is the interpreter; the script and its arguments follow.
    argv = [os.fsdecode(arg) for arg in fields[3:]]
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
    except SystemExit:
        raise
    except BaseException as exc:
        # Report as the interpreter would, without this file's frames.
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != script:
            tb = tb.tb_next
        sys.excepthook(type(exc), exc.with_traceback(tb), tb)
        sys.exit(1)


_main()
