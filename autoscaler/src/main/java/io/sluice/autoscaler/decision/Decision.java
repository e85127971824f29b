package io.sluice.autoscaler.decision;

import java.util.Objects;

/** One decision's outcome and the state to hand to the next one. */
public record Decision(ScaleDecision result, DeciderState next) {

  public Decision {
    Objects.requireNonNull(result, "result");
    Objects.requireNonNull(next, "next");
  }
}
