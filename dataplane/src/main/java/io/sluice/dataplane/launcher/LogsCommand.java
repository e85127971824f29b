package io.sluice.dataplane.launcher;

import io.sluice.config.AppId;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice logs APP}: the last lines of the app's replicas' output, gone replicas included. */
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

  @Option(names = "--tail", defaultValue = "100", description = "Lines per replica (default: ${DEFAULT-VALUE}).")
  int tail;

  @Override
  public Integer call() throws Exception {
    AppId id = AppName.parse(app);
    String query = "?tail=" + tail + (replica == null ? "" : "&" + AdminClient.query("replica", replica));
    AdminClient.Answer answer = node.client().get("/v1/apps/" + id.key() + "/logs" + query).orFail();
    spec.commandLine().getOut().print(answer.body());
    spec.commandLine().getOut().flush();
    return 0;
  }
}
