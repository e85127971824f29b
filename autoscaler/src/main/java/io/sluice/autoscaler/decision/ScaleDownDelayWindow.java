package io.sluice.autoscaler.decision;

import io.sluice.autoscaler.decision.DeciderState.DesiredAt;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The highest count wanted over the scale-down delay, kept as Knative's {@code max.TimeWindow} keeps it: a list of
 * descending maxima in 2-second slots (Knative's decider tick), where a newer count evicts every older count that is
 * not higher, and an entry leaves once it is a whole delay old. The first entry is the answer.
 */
final class ScaleDownDelayWindow {

  /** Knative's {@code tickInterval}: the window's granularity, so that its cases carry over to the second. */
  static final long SLOT_SECONDS = 2;

  private ScaleDownDelayWindow() {}

  /** {@code maxima} with {@code replicas} recorded at {@code now}, for a delay of {@code delay}. */
  static List<DesiredAt> record(List<DesiredAt> maxima, Duration delay, Instant now, int replicas) {
    long slots = Math.max(1, (delay.getSeconds() + SLOT_SECONDS - 1) / SLOT_SECONDS);
    long slot = slot(now);
    List<DesiredAt> next = new ArrayList<>(maxima);
    // A count that is not higher than the new one, and older, can never be the highest again.
    while (!next.isEmpty() && next.get(next.size() - 1).replicas() <= replicas) {
      next.remove(next.size() - 1);
    }
    while (!next.isEmpty() && slot - slot(next.get(0).at()) >= slots) {
      next.remove(0);
    }
    int value = replicas;
    // Two decisions in one slot share it, with the higher count, as in Knative.
    if (!next.isEmpty() && slot(next.get(next.size() - 1).at()) == slot) {
      value = Math.max(value, next.remove(next.size() - 1).replicas());
    }
    next.add(new DesiredAt(now, value));
    return List.copyOf(next);
  }

  /** The highest count inside the delay, as of the last {@link #record}. */
  static int highest(List<DesiredAt> maxima) {
    return maxima.get(0).replicas();
  }

  private static long slot(Instant at) {
    return Math.floorDiv(at.getEpochSecond(), SLOT_SECONDS);
  }
}
