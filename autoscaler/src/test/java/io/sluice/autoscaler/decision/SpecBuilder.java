package io.sluice.autoscaler.decision;

import io.sluice.config.ScalingMetric;
import java.time.Duration;

/** A {@link DeciderSpec} changed one knob at a time, for test rows. */
final class SpecBuilder {

  /** The utilization Knative's autoscaler tests presume ({@code targetUtilization} in autoscaler_test.go). */
  static final double KNATIVE_TEST_UTILIZATION = 0.75;

  private int minReplicas;
  private int maxReplicas;
  private ScalingMetric metric;
  private double targetPerReplica;
  private double totalPerReplica;
  private double maxScaleUpRate;
  private double maxScaleDownRate;
  private double panicWindowPercentage;
  private double panicThresholdPercentage;
  private Duration stableWindow;
  private Duration scaleDownDelay;
  private Duration scaleToZeroGracePeriod;
  private int initialScale;
  private double targetBurstCapacity;
  private int buffer;
  private Duration replicaStartupTime;
  private int hardLimit;

  private SpecBuilder(DeciderSpec spec) {
    minReplicas = spec.minReplicas();
    maxReplicas = spec.maxReplicas();
    metric = spec.metric();
    targetPerReplica = spec.targetPerReplica();
    totalPerReplica = spec.totalPerReplica();
    maxScaleUpRate = spec.maxScaleUpRate();
    maxScaleDownRate = spec.maxScaleDownRate();
    panicWindowPercentage = spec.panicWindowPercentage();
    panicThresholdPercentage = spec.panicThresholdPercentage();
    stableWindow = spec.stableWindow();
    scaleDownDelay = spec.scaleDownDelay();
    scaleToZeroGracePeriod = spec.scaleToZeroGracePeriod();
    initialScale = spec.initialScale();
    targetBurstCapacity = spec.targetBurstCapacity();
    buffer = spec.buffer();
    replicaStartupTime = spec.replicaStartupTime();
    hardLimit = spec.hardLimit();
  }

  static SpecBuilder of(DeciderSpec spec) {
    return new SpecBuilder(spec);
  }

  /**
   * The spec of Knative's {@code newTestAutoscaler(targetValue, targetBurstCapacity, ...)}: total = target / 0.75, panic
   * at 200 %, rates of 10, a 60 s stable window; no grace period, so the autoscaler's own cases are not held back by
   * the reconciler's.
   */
  static SpecBuilder knativeTest(double target, double targetBurstCapacity) {
    return of(DeciderSpec.knativeDefaults())
        .target(target)
        .total(target / KNATIVE_TEST_UTILIZATION)
        .targetBurstCapacity(targetBurstCapacity)
        .maxScaleUpRate(10)
        .maxScaleDownRate(10)
        .panicThresholdPercentage(200)
        .stableWindow(Duration.ofSeconds(60))
        .scaleToZeroGracePeriod(Duration.ZERO);
  }

  SpecBuilder minReplicas(int value) {
    minReplicas = value;
    return this;
  }

  SpecBuilder maxReplicas(int value) {
    maxReplicas = value;
    return this;
  }

  SpecBuilder metric(ScalingMetric value) {
    metric = value;
    return this;
  }

  SpecBuilder target(double value) {
    targetPerReplica = value;
    return this;
  }

  SpecBuilder total(double value) {
    totalPerReplica = value;
    return this;
  }

  SpecBuilder maxScaleUpRate(double value) {
    maxScaleUpRate = value;
    return this;
  }

  SpecBuilder maxScaleDownRate(double value) {
    maxScaleDownRate = value;
    return this;
  }

  SpecBuilder panicWindowPercentage(double value) {
    panicWindowPercentage = value;
    return this;
  }

  SpecBuilder panicThresholdPercentage(double value) {
    panicThresholdPercentage = value;
    return this;
  }

  SpecBuilder stableWindow(Duration value) {
    stableWindow = value;
    return this;
  }

  SpecBuilder scaleDownDelay(Duration value) {
    scaleDownDelay = value;
    return this;
  }

  SpecBuilder scaleToZeroGracePeriod(Duration value) {
    scaleToZeroGracePeriod = value;
    return this;
  }

  SpecBuilder initialScale(int value) {
    initialScale = value;
    return this;
  }

  SpecBuilder targetBurstCapacity(double value) {
    targetBurstCapacity = value;
    return this;
  }

  SpecBuilder buffer(int value) {
    buffer = value;
    return this;
  }

  SpecBuilder replicaStartupTime(Duration value) {
    replicaStartupTime = value;
    return this;
  }

  SpecBuilder hardLimit(int value) {
    hardLimit = value;
    return this;
  }

  DeciderSpec build() {
    return new DeciderSpec(minReplicas, maxReplicas, metric, targetPerReplica, totalPerReplica, maxScaleUpRate,
        maxScaleDownRate, panicWindowPercentage, panicThresholdPercentage, stableWindow, scaleDownDelay,
        scaleToZeroGracePeriod, initialScale, targetBurstCapacity, buffer, replicaStartupTime, hardLimit);
  }
}
