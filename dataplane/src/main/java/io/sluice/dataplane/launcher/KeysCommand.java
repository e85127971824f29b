package io.sluice.dataplane.launcher;

import io.vertx.core.json.JsonObject;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice keys}: a project's API keys, which open its apps as {@code Authorization: Bearer <key>}. */
@Command(name = "keys", mixinStandardHelpOptions = true,
    description = "Manage a project's API keys (callers send one as `Authorization: Bearer <key>`).",
    subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Revoke.class})
final class KeysCommand {

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Make a key; it is printed once, on standard output, and never shown again.")
  static final class Create implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    NodeAddress node;

    @Parameters(paramLabel = "PROJECT")
    String project;

    @Option(names = "--name", defaultValue = "", description = "A label to tell keys apart in `keys list`.")
    String name;

    @Override
    public Integer call() throws Exception {
      JsonObject created = node.client().post("/v1/projects/" + project + "/api-keys",
          new JsonObject().put("name", name).encode()).orFail().json();
      spec.commandLine().getOut().println(created.getString("key"));
      spec.commandLine().getErr().printf("Made key %s for project %s; it is not shown again%n",
          created.getString("id"), project);
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List a project's keys (ids and names).")
  static final class ListKeys implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    NodeAddress node;

    @Parameters(paramLabel = "PROJECT")
    String project;

    @Override
    public Integer call() throws Exception {
      AdminClient.Answer answer = node.client().get("/v1/projects/" + project + "/api-keys").orFail();
      for (Object key : answer.json().getJsonArray("keys")) {
        JsonObject json = (JsonObject) key;
        spec.commandLine().getOut().printf("%s  %s  %s%n", json.getString("id"), json.getString("created"),
            json.getString("name"));
      }
      return 0;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a key; it stops working at once.")
  static final class Revoke implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    NodeAddress node;

    @Parameters(index = "0", paramLabel = "PROJECT")
    String project;

    @Parameters(index = "1", paramLabel = "ID")
    String id;

    @Override
    public Integer call() throws Exception {
      node.client().delete("/v1/projects/" + project + "/api-keys/" + id).orFail();
      spec.commandLine().getOut().printf("Revoked key %s of project %s%n", id, project);
      return 0;
    }
  }
}
