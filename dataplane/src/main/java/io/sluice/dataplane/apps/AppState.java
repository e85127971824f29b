package io.sluice.dataplane.apps;

/** An app as a user sees it. */
public enum AppState {
  /** No replica has been ready yet; replicas are starting. */
  DEPLOYING,
  /** At least one replica is ready: requests are served. */
  READY,
  /** It was ready, and now no replica is (restarting, or not passing readiness). */
  UNAVAILABLE,
  /** Every replica gave up before ever becoming ready: the deploy failed. */
  FAILED;

  public String json() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
