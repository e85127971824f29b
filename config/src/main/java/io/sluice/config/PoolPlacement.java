package io.sluice.config;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where on a Kubernetes cluster a node pool's pods land: the node labels they select and the taints they tolerate,
 * as a pool of the node's {@code sluice.toml} writes them. The keys are the cloud's own (GKE, EKS with Karpenter and
 * hand-labelled nodes all differ), so Sluice derives none of them from the pool's GPU type:
 * <pre>{@code
 * node_selector = { "cloud.google.com/gke-accelerator" = "nvidia-l4" }
 * tolerations = [ { key = "nvidia.com/gpu", operator = "Exists", effect = "NoSchedule" } ]
 * }</pre>
 * Local replicas ignore it.
 *
 * @param nodeSelector node labels a pod must carry, label key to value
 * @param tolerations taints of the pool's nodes that its pods tolerate
 */
public record PoolPlacement(Map<String, String> nodeSelector, List<Toleration> tolerations) {

  /** A pool that says nothing about placement: its pods may land on any node without taints. */
  public static final PoolPlacement ANYWHERE = new PoolPlacement(Map.of(), List.of());

  static final String LABEL_KEY_RULE = "a label key: an optional DNS-subdomain prefix and '/', then 1 to 63 letters,"
      + " digits, '-', '_' or '.' starting and ending with a letter or digit, e.g. cloud.google.com/gke-accelerator";
  static final String LABEL_VALUE_RULE =
      "a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final int MAX_PREFIX_LENGTH = 253;

  public PoolPlacement {
    nodeSelector = Map.copyOf(Objects.requireNonNull(nodeSelector, "nodeSelector"));
    tolerations = List.copyOf(Objects.requireNonNull(tolerations, "tolerations"));
    nodeSelector.forEach((key, value) -> {
      if (!labelKey(key)) {
        throw new IllegalArgumentException("nodeSelector: " + key + " (expected: " + LABEL_KEY_RULE + ")");
      }
      if (!labelValue(value)) {
        throw new IllegalArgumentException("nodeSelector." + key + ": " + value + " (expected: " + LABEL_VALUE_RULE
            + ")");
      }
    });
  }

  /** Kubernetes' rule for a label key (and a taint key): {@code [prefix/]name}. */
  static boolean labelKey(String key) {
    int slash = key.indexOf('/');
    if (slash < 0) {
      return NAME.matcher(key).matches();
    }
    String prefix = key.substring(0, slash);
    return prefix.length() <= MAX_PREFIX_LENGTH && DNS_SUBDOMAIN.matcher(prefix).matches()
        && NAME.matcher(key.substring(slash + 1)).matches();
  }

  static boolean labelValue(String value) {
    return value.isEmpty() || NAME.matcher(value).matches();
  }

  /**
   * A taint that the pool's pods tolerate, as Kubernetes writes a toleration.
   *
   * @param key the taint key; empty only with {@link Operator#EXISTS}, where it tolerates every taint
   * @param value the taint value to match with {@link Operator#EQUAL}; empty with {@link Operator#EXISTS}
   */
  public record Toleration(String key, Operator operator, String value, Effect effect) {

    public Toleration {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(operator, "operator");
      Objects.requireNonNull(value, "value");
      Objects.requireNonNull(effect, "effect");
      if (!key.isEmpty() && !labelKey(key)) {
        throw new IllegalArgumentException("key: " + key + " (expected: " + LABEL_KEY_RULE + ")");
      }
      if (operator == Operator.EXISTS && !value.isEmpty()) {
        throw new IllegalArgumentException("value: " + value + " (expected: no value with operator Exists)");
      }
      if (operator == Operator.EQUAL && key.isEmpty()) {
        throw new IllegalArgumentException("key: empty (expected: a taint key with operator Equal)");
      }
      if (!labelValue(value)) {
        throw new IllegalArgumentException("value: " + value + " (expected: " + LABEL_VALUE_RULE + ")");
      }
    }

    /** Tolerates the taint {@code key=value:effect}. */
    public static Toleration equal(String key, String value, Effect effect) {
      return new Toleration(key, Operator.EQUAL, value, effect);
    }

    /** Tolerates the taint {@code key:effect} whatever its value. */
    public static Toleration exists(String key, Effect effect) {
      return new Toleration(key, Operator.EXISTS, "", effect);
    }

    public enum Operator {
      EQUAL("Equal"),
      EXISTS("Exists");

      private final String kubernetesName;

      Operator(String kubernetesName) {
        this.kubernetesName = kubernetesName;
      }

      /** As Kubernetes and {@code sluice.toml} write it. */
      public String kubernetesName() {
        return kubernetesName;
      }

      static Optional<Operator> named(String name) {
        for (Operator operator : values()) {
          if (operator.kubernetesName.equals(name)) {
            return Optional.of(operator);
          }
        }
        return Optional.empty();
      }
    }

    public enum Effect {
      NO_SCHEDULE("NoSchedule"),
      PREFER_NO_SCHEDULE("PreferNoSchedule"),
      NO_EXECUTE("NoExecute"),
      /** Kubernetes writes "every effect" as an empty effect. */
      ANY("");

      private final String kubernetesName;

      Effect(String kubernetesName) {
        this.kubernetesName = kubernetesName;
      }

      /** As Kubernetes and {@code sluice.toml} write it; empty for every effect. */
      public String kubernetesName() {
        return kubernetesName;
      }

      static Optional<Effect> named(String name) {
        for (Effect effect : values()) {
          if (effect.kubernetesName.equals(name)) {
            return Optional.of(effect);
          }
        }
        return Optional.empty();
      }
    }
  }
}
