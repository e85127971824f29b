package io.sluice.autoscaler.replica;

import java.util.Locale;
import java.util.Optional;

/**
 * Why a replica's run ended without being asked to, as a closed set: what a provider reports with
 * {@link ReplicaState#RESTARTING} and {@link ReplicaState#FAILED}, so that it can be counted and alerted on, the words
 * for a person staying in {@link ReplicaStatus#detail()}. Kubernetes keeps the same split: a container's
 * {@code reason} ({@code CrashLoopBackOff}, {@code OOMKilled}) beside its {@code message}.
 */
public enum ReplicaFailure {
  /** It could not be started at all: the command was not found, its files could not be copied. */
  START_ERROR,
  /** It exited by itself before it was ever ready (a server that cannot load its model). */
  EXITED_BEFORE_READY,
  /** It did not pass its readiness probe within the startup timeout, and was killed. */
  STARTUP_TIMEOUT,
  /** It exited by itself after it had been ready. */
  CRASHED,
  /** It failed its liveness probe too many times in a row, and was killed. */
  LIVENESS_FAILED;

  /** The name in metrics and in the fleet's registry: {@code exited_before_ready}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The failure of that label; empty for one this version does not know (written by a newer node). */
  public static Optional<ReplicaFailure> ofLabel(String label) {
    for (ReplicaFailure failure : values()) {
      if (failure.label().equals(label)) {
        return Optional.of(failure);
      }
    }
    return Optional.empty();
  }
}
