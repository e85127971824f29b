package io.sluice.autoscaler.decision;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Consumer;
import java.util.function.Function;

/** Rows of decisions taken one after another, each fed the state the previous one returned. */
final class PolicyCases {

  /** An even second, like Knative's zero time, so that 2-second delay slots line up with the Go tests. */
  static final Instant T0 = Instant.parse("2024-01-01T00:00:00Z");
  static final Instant LONG_AGO = T0.minus(Duration.ofHours(1));

  /**
   * An app that has been running for a long time with nothing pending: initial scale reached, active and with the hold
   * queue in its path for longer than any window or grace, so that a count of zero is applied as the autoscaler gives
   * it — the precondition of Knative's autoscaler tests, which run without the reconciler.
   */
  static final DeciderState STEADY = new DeciderState(Optional.empty(), 0, List.of(), true, Optional.of(LONG_AGO),
      Optional.of(LONG_AGO), Optional.of(LONG_AGO));

  private PolicyCases() {}

  /**
   * One decision and what it must give.
   *
   * @param spec the spec for this decision only (Knative's {@code Update}); null for the case's
   * @param ebc the excess burst capacity wanted; null to not check
   * @param panicking null to not check
   * @param reason a part the reason must contain; null to not check
   * @param then checks on the state after the decision; null for none
   */
  record Tick(Duration at, ScalingInputs inputs, DeciderSpec spec, int replicas, Integer ebc, boolean valid,
      Boolean panicking, String reason, Consumer<DeciderState> then) {

    Tick wants(int value) {
      return new Tick(at, inputs, spec, value, ebc, valid, panicking, reason, then);
    }

    Tick ebc(int value) {
      return new Tick(at, inputs, spec, replicas, value, valid, panicking, reason, then);
    }

    Tick invalid() {
      return new Tick(at, inputs, spec, replicas, ebc, false, panicking, reason, then);
    }

    Tick panicking(boolean value) {
      return new Tick(at, inputs, spec, replicas, ebc, valid, value, reason, then);
    }

    Tick reason(String part) {
      return new Tick(at, inputs, spec, replicas, ebc, valid, panicking, part, then);
    }

    Tick spec(DeciderSpec value) {
      return new Tick(at, inputs, value, replicas, ebc, valid, panicking, reason, then);
    }

    Tick then(Consumer<DeciderState> check) {
      return new Tick(at, inputs, spec, replicas, ebc, valid, panicking, reason, check);
    }
  }

  /** A row: a spec, the state before the first decision, and the decisions. */
  record Case(String name, DeciderSpec spec, DeciderState start, List<Tick> ticks) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Case row(String name, DeciderSpec spec, DeciderState start, Tick... ticks) {
    return new Case(name, spec, start, List.of(ticks));
  }

  static Tick at(Duration at, ScalingInputs inputs) {
    return new Tick(at, inputs, null, -1, null, true, null, null, null);
  }

  static Tick at(long seconds, ScalingInputs inputs) {
    return at(Duration.ofSeconds(seconds), inputs);
  }

  /** Ready replicas and the stable and panic values, nothing pending or held. */
  static ScalingInputs observed(int ready, double stable, double panic) {
    return new ScalingInputs(ready, 0, OptionalDouble.of(stable), OptionalDouble.of(panic), 0);
  }

  /** Ready and pending replicas, the stable and panic values, and held requests. */
  static ScalingInputs observed(int ready, int pending, double stable, double panic, int held) {
    return new ScalingInputs(ready, pending, OptionalDouble.of(stable), OptionalDouble.of(panic), held);
  }

  /** No data in either window. */
  static ScalingInputs noData(int ready, int held) {
    return new ScalingInputs(ready, 0, OptionalDouble.empty(), OptionalDouble.empty(), held);
  }

  /** Knative's {@code expectedEBC}: floor(total × ready − burst capacity − panic value), total = target / 0.75. */
  static int ebc(double target, double targetBurstCapacity, double panic, int ready) {
    return (int) Math.floor(target / SpecBuilder.KNATIVE_TEST_UTILIZATION * ready - targetBurstCapacity - panic);
  }

  /** Runs the row's decisions in order, checking each. */
  static void run(Case c, Function<DeciderSpec, ScalingPolicy> policies) {
    DeciderState state = c.start();
    int index = 0;
    for (Tick tick : c.ticks()) {
      DeciderSpec spec = tick.spec() != null ? tick.spec() : c.spec();
      Decision decision = policies.apply(spec).decide(state, tick.inputs(), T0.plus(tick.at()));
      ScaleDecision result = decision.result();
      String where = "decision " + index + " at +" + tick.at() + " (" + result + ")";
      assertThat(result.valid()).as("valid, " + where).isEqualTo(tick.valid());
      if (tick.valid()) {
        assertThat(result.desiredReplicas()).as("desired replicas, " + where).isEqualTo(tick.replicas());
      }
      if (tick.ebc() != null) {
        assertThat(result.excessBurstCapacity()).as("excess burst capacity, " + where).isEqualTo(tick.ebc());
      }
      if (tick.panicking() != null) {
        assertThat(result.panicking()).as("panicking, " + where).isEqualTo(tick.panicking());
      }
      if (tick.reason() != null) {
        assertThat(result.reason()).as("reason, " + where).contains(tick.reason());
      }
      if (tick.then() != null) {
        tick.then().accept(decision.next());
      }
      state = decision.next();
      index++;
    }
  }
}
