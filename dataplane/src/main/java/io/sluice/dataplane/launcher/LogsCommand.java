package io.sluice.dataplane.launcher;

import io.sluice.config.AppId;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sluice logs APP}: the last lines of the app's replicas' output, gone replicas included, whichever nodes of
 * the fleet run them (the node asked gathers them); with {@code -f}, then every new line as the replicas print it,
 * replicas that start later on any node included, until Ctrl-C.
 */
@Command(name = "logs", mixinStandardHelpOptions = true, description = "Show the app's replica logs.")
final class LogsCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  NodeAddress node;

  @Parameters(paramLabel = "APP", description = "project/app, or app in project local.")
  String app;

  @Option(names = "--replica", description = "Only this replica.")
  String replica;

  @Option(names = "--tail", description = "Lines per replica to start with (default: 100, or 10 with -f).")
  Integer tail;

  @Option(names = {"-f", "--follow"}, description = "Keep printing lines as they come, from replicas that start "
      + "later too, until Ctrl-C.")
  boolean follow;

  private volatile InputStream following;
  private volatile boolean stopped;

  @Override
  public Integer call() throws Exception {
    AppId id = AppName.parse(app);
    String query = "?tail=" + (tail != null ? tail : follow ? 10 : 100)
        + (replica == null ? "" : "&" + AdminClient.query("replica", replica));
    PrintWriter out = spec.commandLine().getOut();
    if (!follow) {
      AdminClient.Answer answer = node.client().get("/v1/apps/" + id.key() + "/logs" + query).orFail();
      out.print(answer.body());
      out.flush();
      return 0;
    }
    HttpResponse<InputStream> answer = node.client().stream("/v1/apps/" + id.key() + "/logs" + query
        + "&follow=true");
    try (InputStream body = answer.body()) {
      if (answer.statusCode() / 100 != 2) {
        String text = new String(body.readAllBytes(), StandardCharsets.UTF_8);
        throw new CommandFailed(new AdminClient.Answer(answer.statusCode(), text).errorMessage());
      }
      following = body;
      printEvents(body, out, spec.commandLine().getErr());
    } catch (IOException cut) {
      if (following == null) {
        throw cut;
      }
      if (!stopped) {
        throw new CommandFailed("the stream of lines broke off: " + cut.getMessage());
      }
    }
    return 0;
  }

  /** Ends a follow from another thread, as Ctrl-C would. */
  void stop() throws IOException {
    stopped = true;
    InputStream body = following;
    if (body != null) {
      body.close();
    }
  }

  /** Server-sent events: a {@code data:} line per event, an {@code event:} line naming the kind when not a line. */
  private void printEvents(InputStream body, PrintWriter out, PrintWriter err) throws IOException {
    BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
    String event = null;
    StringBuilder data = new StringBuilder();
    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
      if (line.isEmpty()) {
        if (data.length() > 0) {
          print(event, new JsonObject(data.toString()), out, err);
        }
        event = null;
        data.setLength(0);
      } else if (line.startsWith("event:")) {
        event = line.substring("event:".length()).trim();
      } else if (line.startsWith("data:")) {
        data.append(line.substring("data:".length()).stripLeading());
      }
    }
    if (!stopped) {
      err.println("The node closed the stream.");
      err.flush();
    }
  }

  private void print(String event, JsonObject data, PrintWriter out, PrintWriter err) {
    if ("dropped".equals(event)) {
      err.println("sluice: " + data.getString("message"));
      err.flush();
      return;
    }
    out.println((replica == null ? "[" + data.getString("replica") + "] " : "")
        + (data.getString("time") == null ? "-" : data.getString("time")) + " " + data.getString("stream") + " "
        + data.getString("text"));
    out.flush();
  }
}
