package io.sluice.dataplane.launcher;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice undeploy APP}: stops routing to the app and stops its replicas. */
@Command(name = "undeploy", mixinStandardHelpOptions = true, description = "Remove an app and stop its replicas.")
final class UndeployCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  NodeAddress node;

  @Parameters(paramLabel = "APP", description = "project/app, or app in project local.")
  String app;

  @Override
  public Integer call() throws Exception {
    node.client().delete("/v1/apps/" + AppName.parse(app).key()).orFail();
    spec.commandLine().getOut().println("Undeployed " + AppName.parse(app));
    return 0;
  }
}
