package io.sluice.dataplane.launcher;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sluice requests [APP]}: the app's recent requests, from every node of the fleet, newest first; without an
 * app, every request, those refused before they reached an app (401, 404, malformed) included.
 */
@Command(name = "requests", mixinStandardHelpOptions = true,
    description = "Show recent requests (every node of the fleet), newest first: the app's, or without APP all of "
        + "them, those refused before they reached an app (401, 404, malformed, oversized) included.")
final class RequestsCommand implements Callable<Integer> {

  private static final String FORMAT = "%-24s  %-36s  %-6s %-4s %9s %8s  %-30s %s%n";

  @Spec
  CommandSpec spec;

  @Mixin
  NodeAddress node;

  @Parameters(paramLabel = "APP", arity = "0..1", description = "project/app, or app in project local; "
      + "omitted: every request.")
  String app;

  @Option(names = "--status", description = "Only these: a class (2xx, 4xx, 5xx), a status (404), or none.")
  String status;

  @Option(names = "--refused", description = "Only requests refused before they reached an app (without APP).")
  boolean refused;

  @Option(names = "--limit", defaultValue = "50", description = "How many (default: ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = {"-f", "--follow"}, description = "Keep printing new requests as they come, oldest first.")
  boolean follow;

  @Option(names = "--json", description = "One JSON object per request.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    String path = app == null ? "/v1/requests" : "/v1/apps/" + AppName.parse(app).key() + "/requests";
    PrintWriter out = spec.commandLine().getOut();
    String filter = (status == null ? "" : "&" + AdminClient.query("status", status))
        + (refused ? "&routed=false" : "");
    JsonArray newest = fetch(path, "?limit=" + limit + filter);
    if (!json) {
      out.printf(FORMAT, "START", "REQUEST ID", "METHOD", "ST", "LATENCY", "HELD", "PATH", "REPLICA / ERROR");
    }
    List<JsonObject> shown = new ArrayList<>();
    newest.forEach(record -> shown.add(0, (JsonObject) record));
    Set<String> seen = new HashSet<>();
    long since = 0;
    for (JsonObject record : shown) {
      print(out, record);
      seen.add(record.getString("request_id"));
      since = Math.max(since, record.getLong("start_ms"));
    }
    out.flush();
    while (follow) {
      Thread.sleep(1000);
      JsonArray fresh = fetch(path, "?limit=" + limit + filter + "&since=" + since);
      for (int i = fresh.size() - 1; i >= 0; i--) {
        JsonObject record = fresh.getJsonObject(i);
        if (seen.add(record.getString("request_id"))) {
          print(out, record);
          since = Math.max(since, record.getLong("start_ms"));
        }
      }
      out.flush();
    }
    return 0;
  }

  private JsonArray fetch(String path, String query) throws Exception {
    return node.client().get(path + query).orFail().json().getJsonArray("records");
  }

  private void print(PrintWriter out, JsonObject record) {
    if (json) {
      out.println(record.encode());
      return;
    }
    String end = record.getString("error") != null ? record.getString("error")
        : record.getString("replica") == null ? "-" : record.getString("replica");
    JsonObject websocket = record.getJsonObject("websocket");
    if (websocket != null) {
      end += " closed " + websocket.getInteger("close_code") + " by " + websocket.getString("closed_by");
    }
    out.printf(FORMAT, record.getString("start"), record.getString("request_id"),
        record.getString("method") == null ? "-" : record.getString("method"), record.getInteger("status"), String.format("%.1fms", record.getDouble("latency_ms")),
        String.format("%.1fms", record.getDouble("held_ms")),
        record.getString("path") == null ? "-" : record.getString("path"), end);
  }
}
