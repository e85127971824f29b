package io.sluice.dataplane.scaling;

import io.sluice.config.AppId;
import java.util.Optional;
import java.util.function.Consumer;

/** The fleet's merged load per app, for what scales apps from outside the node (KEDA's external scaler). */
public interface MergedLoads {

  /** The app's load over the fleet now; empty when the node has no such app. */
  Optional<MergedLoad> merged(AppId app);

  /**
   * Calls {@code changed} whenever an app's load may have changed: every time this node publishes its loads (each
   * second at most), when another node's load arrives, and at once when a request is held for an app with no ready
   * replica here. Called from the scaling loop's context or a fleet event thread; it must not block.
   */
  void watch(Consumer<AppId> changed);
}
