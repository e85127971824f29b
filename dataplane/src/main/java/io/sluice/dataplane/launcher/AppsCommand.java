package io.sluice.dataplane.launcher;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code sluice apps}: the node's apps, their state, replicas and URLs. */
@Command(name = "apps", mixinStandardHelpOptions = true, description = "List apps with their state and URLs.")
final class AppsCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  NodeAddress node;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    AdminClient.Answer answer = node.client().get("/v1/apps").orFail();
    String format = "%-28s %-12s %-9s %s%n";
    out.printf(format, "APP", "STATE", "READY", "URL");
    for (Object each : answer.json().getJsonArray("apps")) {
      JsonObject app = (JsonObject) each;
      long ready = app.getJsonArray("replicas").stream()
          .filter(r -> "ready".equals(((JsonObject) r).getString("state"))).count();
      out.printf(format, app.getString("project") + "/" + app.getString("name"), app.getString("state"),
          ready + "/" + app.getJsonArray("replicas").size(), app.getString("url"));
      if (app.getString("reason") != null && !"ready".equals(app.getString("state"))) {
        out.printf("  last problem: %s%n", app.getString("reason"));
      }
    }
    out.flush();
    return 0;
  }
}
