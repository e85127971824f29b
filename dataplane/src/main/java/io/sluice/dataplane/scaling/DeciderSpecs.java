package io.sluice.dataplane.scaling;

import io.sluice.autoscaler.decision.DeciderSpec;
import io.sluice.config.AppSpec;
import java.time.Duration;

/** An app's decider spec: its own knobs, the node's scale-to-zero grace, and its measured start-up time. */
public final class DeciderSpecs {

  private DeciderSpecs() {}

  public static DeciderSpec of(AppSpec app, Duration replicaStartupTime, ScalingOptions node) {
    DeciderSpec d = DeciderSpec.from(app.scaling(), replicaStartupTime);
    return new DeciderSpec(d.minReplicas(), d.maxReplicas(), d.metric(), d.targetPerReplica(), d.totalPerReplica(),
        d.maxScaleUpRate(), d.maxScaleDownRate(), d.panicWindowPercentage(), d.panicThresholdPercentage(),
        d.stableWindow(), d.scaleDownDelay(), node.scaleToZeroGrace(), d.initialScale(), d.targetBurstCapacity(),
        d.buffer(), d.replicaStartupTime(), d.hardLimit());
  }
}
