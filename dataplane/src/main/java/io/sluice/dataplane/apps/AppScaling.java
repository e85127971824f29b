package io.sluice.dataplane.apps;

/** Whoever decides how many replicas each app runs learns here which apps exist. */
public interface AppScaling {

  void added(DeployedApp app);

  void removed(DeployedApp app);

  /** No autoscaler yet: a node sets one before it deploys anything, so deploying without one is a wiring bug. */
  AppScaling NONE = new AppScaling() {
    @Override
    public void added(DeployedApp app) {
      throw new IllegalStateException("no autoscaler set for " + app.spec().id());
    }

    @Override
    public void removed(DeployedApp app) {
    }
  };
}
