package io.sluice.dataplane.launcher;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bin/sluice}: runs a node, and talks to a running one. */
@Command(
    name = "sluice",
    mixinStandardHelpOptions = true,
    version = "sluice 0.1.0",
    description = "A data plane for serverless inference apps: runs your model server from its cerebrium.toml or "
        + "Truss config.yaml and routes requests to it.",
    subcommands = {
        UpCommand.class, DeployCommand.class, AppsCommand.class, LogsCommand.class, RequestsCommand.class,
        UndeployCommand.class, SecretsCommand.class, KeysCommand.class, SimulateCommand.class,
        CommandLine.HelpCommand.class})
public final class SluiceCommand {

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  public static CommandLine commandLine() {
    return new CommandLine(new SluiceCommand()).setExecutionExceptionHandler((failure, cli, parsed) -> {
      if (failure instanceof CommandFailed || failure instanceof java.io.IOException
          || failure instanceof io.sluice.config.ConfigException) {
        cli.getErr().println(failure.getMessage());
        cli.getErr().flush();
        return 1;
      }
      throw failure;
    });
  }
}
