# A BEAM with Elixir loaded, started ahead of its program in a warm single-use sandbox (the agent's
# zygote mode; the protocol is zygote.py's: the go message arrives on fd 3 as
# "cpu_ms NUL file_size NUL argv...", the agent has already lowered the file size limit and keeps
# the CPU limit on the cell itself). `elixir ./main.exs` spends ~300 ms booting the VM and
# loading Elixir and its compiler before the script's first line; here that happens while the
# sandbox waits, and the script then runs through Elixir's own command line (Kernel.CLI.main,
# what `elixir` itself calls), so argv, System.argv/0, error reports and exit statuses are the
# launcher's. Each instance serves one program; nothing outlives its sandbox.

# Exercise the compiler on a throwaway module (what a script's defmodule goes through) and forget
# it, so that nothing of the warm-up is visible to the program. It prints nothing: its output
# would be the program's.
{_, _} =
  Code.eval_string(~S"""
  defmodule CRH.ZygoteWarmUp do
    def run(xs), do: xs |> Enum.map(&(&1 * &1)) |> Enum.filter(&(rem(&1, 2) == 0)) |> Enum.sum()
  end
  "#{CRH.ZygoteWarmUp.run(1..10)} #{inspect(%{a: [1, 2]})}" <> String.trim(" x ")
  """)

:code.delete(CRH.ZygoteWarmUp)
:code.purge(CRH.ZygoteWarmUp)

# Warm: the agent may hand this sandbox a program without waiting (a byte on fd 4).
ready = Port.open({:fd, 4, 4}, [:binary, :out])
Port.command(ready, "r")
Port.close(ready)

go = Port.open({:fd, 3, 3}, [:binary, :eof, :in])

read = fn read, acc ->
  receive do
    {^go, {:data, data}} -> read.(read, [acc | data])
    {^go, :eof} -> IO.iodata_to_binary(acc)
  end
end

fields = read.(read, []) |> :binary.split(<<0>>, [:global]) |> Enum.drop(-1)
Port.close(go)

case fields do
  # The launcher's name, then the script and its arguments, as `elixir` passes them on.
  [_cpu_ms, _file_size, _elixir, _script | _] ->
    Kernel.CLI.main(fields |> Enum.drop(3) |> Enum.map(&String.to_charlist/1))

  # No program came (the sandbox was discarded).
  _ ->
    System.halt(0)
end
