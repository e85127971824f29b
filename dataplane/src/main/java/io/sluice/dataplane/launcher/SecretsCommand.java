package io.sluice.dataplane.launcher;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice secrets}: a project's secrets, which replicas read at {@code /secrets/<name>}. */
@Command(name = "secrets", mixinStandardHelpOptions = true,
    description = "Manage a project's secrets (replicas read them at /secrets/<name>).",
    subcommands = {SecretsCommand.Set.class, SecretsCommand.ListNames.class, SecretsCommand.Remove.class})
final class SecretsCommand {

  @Command(name = "set", mixinStandardHelpOptions = true,
      description = "Store a secret; the value is read from standard input unless --value is given.")
  static final class Set implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    NodeAddress node;

    @Parameters(index = "0", paramLabel = "PROJECT")
    String project;

    @Parameters(index = "1", paramLabel = "NAME")
    String name;

    @Option(names = "--value", description = "The value (visible in your shell history; prefer standard input).")
    String value;

    @Override
    public Integer call() throws Exception {
      String secret = value;
      if (secret == null) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
          secret = in.lines().collect(Collectors.joining("\n"));
        }
      }
      node.client().put("/v1/projects/" + project + "/secrets/" + name, secret).orFail();
      spec.commandLine().getOut().printf("Stored secret %s in project %s; redeploy apps to give it to them%n",
          name, project);
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List a project's secret names.")
  static final class ListNames implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    NodeAddress node;

    @Parameters(paramLabel = "PROJECT")
    String project;

    @Override
    public Integer call() throws Exception {
      AdminClient.Answer answer = node.client().get("/v1/projects/" + project + "/secrets").orFail();
      answer.json().getJsonArray("names").forEach(n -> spec.commandLine().getOut().println(n));
      return 0;
    }
  }

  @Command(name = "rm", mixinStandardHelpOptions = true, description = "Delete a secret.")
  static final class Remove implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    NodeAddress node;

    @Parameters(index = "0", paramLabel = "PROJECT")
    String project;

    @Parameters(index = "1", paramLabel = "NAME")
    String name;

    @Override
    public Integer call() throws Exception {
      node.client().delete("/v1/projects/" + project + "/secrets/" + name).orFail();
      spec.commandLine().getOut().printf("Deleted secret %s from project %s%n", name, project);
      return 0;
    }
  }
}
