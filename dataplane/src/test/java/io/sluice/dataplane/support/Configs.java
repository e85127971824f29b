package io.sluice.dataplane.support;

/** App configs for tests, written the way users write them. */
public final class Configs {

  private Configs() {}

  /** A Cerebrium custom runtime on port 5000 running the example server; {@code extra} adds TOML tables. */
  public static String cerebrium(String name, int minReplicas, double warmupSeconds, String extra) {
    return """
        [cerebrium.deployment]
        name = "%s"

        [cerebrium.runtime.custom]
        port = 5000
        entrypoint = ["python3", "main.py", "--host", "0.0.0.0", "--port", "5000"]
        healthcheck_endpoint = "/health"
        readycheck_endpoint = "/ready"

        [cerebrium.scaling]
        min_replicas = %d
        max_replicas = 3
        replica_concurrency = 8

        [cerebrium.environment_variables]
        WARMUP_SECONDS = "%s"

        %s
        """.formatted(name, minReplicas, warmupSeconds, extra);
  }

  /** A Truss docker_server on port 8000 running the example server. */
  public static String truss(String name, String extra) {
    return """
        model_name: %s
        docker_server:
          start_command: python3 main.py --port 8000
          readiness_endpoint: /ready
          liveness_endpoint: /health
          predict_endpoint: /predict
          server_port: 8000
        environment_variables:
          WARMUP_SECONDS: "0"
        %s
        """.formatted(name, extra);
  }
}
