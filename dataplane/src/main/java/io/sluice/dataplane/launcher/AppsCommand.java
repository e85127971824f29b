package io.sluice.dataplane.launcher;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.regex.Pattern;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code sluice apps}: the node's apps, their state, replicas and URLs; for an app that failed, its last problem and
 * the last lines its replicas printed, which usually say why.
 */
@Command(name = "apps", mixinStandardHelpOptions = true, description = "List apps with their state and URLs.")
final class AppsCommand implements Callable<Integer> {

  private static final int LAST_LINES = 5;
  private static final Pattern NODE_NOTE = Pattern.compile("^(\\[[^]]+\\] )?\\S+ sluice ");

  @Spec
  CommandSpec spec;

  @Mixin
  NodeAddress node;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    AdminClient admin = node.client();
    AdminClient.Answer answer = admin.get("/v1/apps").orFail();
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
      if ("failed".equals(app.getString("state"))) {
        printed(admin, app.getString("project") + "/" + app.getString("name"))
            .forEach(line -> out.printf("  | %s%n", line));
      }
    }
    out.flush();
    return 0;
  }

  /** The last few lines the app's replicas printed themselves, leaving out the node's notes. */
  private static List<String> printed(AdminClient admin, String app) throws IOException {
    AdminClient.Answer logs = admin.get("/v1/apps/" + app + "/logs?tail=20");
    if (!logs.ok()) {
      return List.of();
    }
    List<String> lines = logs.body().lines().filter(line -> !NODE_NOTE.matcher(line).find()).toList();
    return lines.subList(Math.max(0, lines.size() - LAST_LINES), lines.size());
  }
}
