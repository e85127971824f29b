package io.sluice.config;

import java.util.List;
import java.util.Objects;

/** How a replica's server is started. */
public sealed interface Command {

  /** An argument vector run as it is, without a shell (Cerebrium's {@code entrypoint = [...]}). */
  record Exec(List<String> argv) implements Command {
    public Exec {
      argv = List.copyOf(Objects.requireNonNull(argv, "argv"));
      if (argv.isEmpty() || argv.get(0).isBlank()) {
        throw new IllegalArgumentException("argv: " + argv + " (expected: a program and its arguments)");
      }
    }
  }

  /** A command line run by {@code /bin/sh -c} (Truss's {@code start_command}, as Docker's shell form runs it). */
  record Shell(String line) implements Command {
    public Shell {
      Objects.requireNonNull(line, "line");
      if (line.isBlank()) {
        throw new IllegalArgumentException("line: empty (expected: a command line)");
      }
    }
  }
}
