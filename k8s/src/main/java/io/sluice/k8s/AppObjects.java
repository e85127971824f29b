package io.sluice.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.KeyToPathBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.sluice.config.AppId;
import io.sluice.config.AppSpec;
import io.sluice.config.Command;
import io.sluice.config.HardwareSpec;
import io.sluice.config.RuntimeSpec;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The Kubernetes objects that run one app: a {@link Deployment} of its replicas and, when it names secrets, the
 * {@link Secret} they are read from at {@code /secrets/<name>}.
 *
 * <p>Rendering only: nothing here talks to a cluster.
 */
public final class AppObjects {

  public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
  public static final String MANAGED_BY = "sluice";
  public static final String PROJECT_LABEL = "sluice.io/project";
  public static final String APP_LABEL = "sluice.io/app";
  /** The deployed version (the fleet's generation of the app) that a Deployment and its pods run. */
  public static final String VERSION_LABEL = "sluice.io/version";
  /** On a pod: the name of the Sluice replica it serves as. */
  public static final String REPLICA_ANNOTATION = "sluice.io/replica";
  /** Kubernetes' hint to a ReplicaSet scaling down: pods with the lowest cost go first. */
  public static final String DELETION_COST_ANNOTATION = "controller.kubernetes.io/pod-deletion-cost";
  public static final String GPU_RESOURCE = "nvidia.com/gpu";
  public static final String SECRETS_MOUNT_PATH = "/secrets";
  public static final String CONTAINER_NAME = "app";

  static final int READINESS_PERIOD_SECONDS = 1;
  static final int LIVENESS_PERIOD_SECONDS = 10;
  // A saturated model server can answer its health check slowly; a 1 s timeout would restart it and lose the
  // loaded model, which is far more costly than noticing a hang a few seconds later.
  static final int LIVENESS_TIMEOUT_SECONDS = 5;
  static final int STARTUP_PERIOD_SECONDS = 1;
  /**
   * 1800 x 1 s: a replica has 30 minutes to load its model before liveness may restart it, and is seen ready within a
   * second of being so (readiness waits for the startup probe, so a slow period would add to every cold start).
   */
  static final int STARTUP_FAILURE_THRESHOLD = 1800;
  static final int SECRET_FILE_MODE = 0400;

  private static final String SECRETS_VOLUME = "secrets";
  /** What Kubernetes accepts as a Secret key, which here is also the file name under {@code /secrets}. */
  private static final Pattern SECRET_KEY = Pattern.compile("[-._a-zA-Z0-9]+");

  private final AppSpec app;
  private final String image;
  private final NodePool pool;

  /**
   * @param image the container image that runs the app's server
   * @param pool where the replicas go; it must have the GPU model the app asks for, and enough GPUs per node
   * @throws IllegalArgumentException when the app does not fit the pool or names a secret Kubernetes cannot hold
   */
  public AppObjects(AppSpec app, String image, NodePool pool) {
    this.app = Objects.requireNonNull(app, "app");
    this.image = Objects.requireNonNull(image, "image");
    this.pool = Objects.requireNonNull(pool, "pool");
    if (image.isBlank()) {
      throw new IllegalArgumentException("image: empty (expected: a container image reference)");
    }
    HardwareSpec hardware = app.hardware();
    if (!hardware.gpu().equals(pool.gpu())) {
      throw new IllegalArgumentException("pool " + pool.name() + ": gpu " + describe(pool.gpu())
          + " (expected: " + describe(hardware.gpu()) + ", the GPU that app " + app.id() + " asks for)");
    }
    if (hardware.gpuCount() > pool.gpusPerNode()) {
      throw new IllegalArgumentException("gpuCount: " + hardware.gpuCount() + " (expected: <= "
          + pool.gpusPerNode() + ", the GPUs per node of pool " + pool.name() + ")");
    }
    for (String secretName : app.secretNames()) {
      if (!SECRET_KEY.matcher(secretName).matches() || secretName.equals(".") || secretName.equals("..")) {
        throw new IllegalArgumentException("secretNames: " + secretName
            + " (expected: letters, digits, '-', '_' or '.', and not '.' or '..')");
      }
    }
  }

  /** {@code <project>-<name>}: the name of the app's Deployment. */
  public static String deploymentName(AppId id) {
    return id.project() + "-" + id.name();
  }

  /** {@code <project>-<name>-secrets}: the name of the Secret that holds the app's secret files. */
  public static String secretName(AppId id) {
    return deploymentName(id) + "-secrets";
  }

  /** The labels that select the app's pods: project and app name. */
  public static Map<String, String> selectorLabels(AppId id) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(PROJECT_LABEL, id.project());
    labels.put(APP_LABEL, id.name());
    return labels;
  }

  /** Every label Sluice puts on the app's objects and pods: the selector labels and who manages them. */
  public static Map<String, String> labels(AppId id) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(MANAGED_BY_LABEL, MANAGED_BY);
    labels.putAll(selectorLabels(id));
    return labels;
  }

  /** {@code <project>-<name>-v<version>}: the Deployment of one deployed version of the app. */
  public static String deploymentName(AppId id, long version) {
    return deploymentName(id) + "-v" + version;
  }

  /**
   * The Deployment of one deployed version of the app: during a redeploy the old version's replicas run on, under
   * their own Deployment, until they are stopped, while the new version's start beside them.
   */
  public Deployment deployment(String namespace, int replicas, long version) {
    String versionLabel = Long.toString(version);
    return new DeploymentBuilder(deployment(namespace, replicas))
        .editMetadata().withName(deploymentName(app.id(), version)).addToLabels(VERSION_LABEL, versionLabel)
        .endMetadata()
        .editSpec()
        .editSelector().addToMatchLabels(VERSION_LABEL, versionLabel).endSelector()
        .editTemplate().editMetadata().addToLabels(VERSION_LABEL, versionLabel).endMetadata().endTemplate()
        .endSpec()
        .build();
  }

  /** The app's Deployment in {@code namespace}, asking for {@code replicas} pods. */
  public Deployment deployment(String namespace, int replicas) {
    requireNamespace(namespace);
    if (replicas < 0) {
      throw new IllegalArgumentException("replicas: " + replicas + " (expected: >= 0)");
    }
    AppId id = app.id();
    return new DeploymentBuilder()
        .withMetadata(metadata(deploymentName(id), namespace))
        .withNewSpec()
        .withReplicas(replicas)
        .withNewSelector()
        .withMatchLabels(selectorLabels(id))
        .endSelector()
        .withNewTemplate()
        .withNewMetadata()
        .withLabels(labels(id))
        .endMetadata()
        .withSpec(podSpec())
        .endTemplate()
        .endSpec()
        .build();
  }

  /**
   * The Secret that the app's pods mount at {@code /secrets}, one key per secret name; empty when the app names none.
   *
   * <p>The values are base64-encoded into {@code data}, as the API stores them. The returned object's
   * {@code toString()} (fabric8's) prints that data: never log it.
   *
   * @param values the value of every secret the app names, and no others
   * @throws IllegalArgumentException naming (never showing) the missing or unexpected secrets
   */
  public Optional<Secret> secret(String namespace, Map<String, String> values) {
    requireNamespace(namespace);
    Objects.requireNonNull(values, "values");
    if (app.secretNames().isEmpty()) {
      return Optional.empty();
    }
    Set<String> missing = new TreeSet<>(app.secretNames());
    missing.removeAll(values.keySet());
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException("secret values: missing " + missing
          + " (expected: a value for every secret that app " + app.id() + " names)");
    }
    Set<String> unexpected = new TreeSet<>(values.keySet());
    unexpected.removeAll(new HashSet<>(app.secretNames()));
    if (!unexpected.isEmpty()) {
      throw new IllegalArgumentException("secret values: unexpected " + unexpected
          + " (expected: only the secrets that app " + app.id() + " names, " + app.secretNames() + ")");
    }
    Map<String, String> data = new TreeMap<>();
    Base64.Encoder base64 = Base64.getEncoder();
    for (String name : app.secretNames()) {
      data.put(name, base64.encodeToString(values.get(name).getBytes(StandardCharsets.UTF_8)));
    }
    return Optional.of(new SecretBuilder()
        .withMetadata(metadata(secretName(app.id()), namespace))
        .withType("Opaque")
        .withData(data)
        .build());
  }

  private ObjectMeta metadata(String name, String namespace) {
    return new ObjectMetaBuilder()
        .withName(name)
        .withNamespace(namespace)
        .withLabels(labels(app.id()))
        .build();
  }

  private PodSpec podSpec() {
    PodSpecBuilder spec = new PodSpecBuilder()
        .withContainers(container())
        .withNodeSelector(new TreeMap<>(pool.nodeSelector()))
        .withTolerations(pool.tolerations().stream().map(AppObjects::toleration).toList())
        .withTerminationGracePeriodSeconds(wholeSecondsRoundedUp(app.scaling().responseGracePeriod()))
        // The app is user code and has no business with the Kubernetes API.
        .withAutomountServiceAccountToken(false);
    if (!app.secretNames().isEmpty()) {
      spec.withVolumes(secretsVolume());
    }
    return spec.build();
  }

  private Container container() {
    RuntimeSpec runtime = app.runtime();
    ContainerBuilder container = new ContainerBuilder()
        .withName(CONTAINER_NAME)
        .withImage(image)
        .withCommand(argv(runtime.command()))
        .addNewPort()
        .withContainerPort(runtime.port())
        .withProtocol("TCP")
        .endPort()
        .withEnv(env())
        .withResources(resources())
        .withStartupProbe(startupProbe())
        .withReadinessProbe(readinessProbe())
        .withLivenessProbe(livenessProbe());
    if (!app.secretNames().isEmpty()) {
      container.withVolumeMounts(secretsMount());
    }
    return container.build();
  }

  private static List<String> argv(Command command) {
    if (command instanceof Command.Exec exec) {
      return exec.argv();
    }
    if (command instanceof Command.Shell shell) {
      return List.of("/bin/sh", "-c", shell.line());
    }
    throw new IllegalArgumentException("command: " + command + " (expected: Exec or Shell)");
  }

  /** The app's env in name order, so that the same app always renders the same pod template. */
  private List<EnvVar> env() {
    Map<String, String> env = new TreeMap<>(app.env());
    // The probes and the node reach the server on runtime.port, so PORT must say the same whatever the config says.
    env.put("PORT", Integer.toString(app.runtime().port()));
    List<EnvVar> vars = new ArrayList<>();
    env.forEach((name, value) -> vars.add(new EnvVarBuilder().withName(name).withValue(value).build()));
    return vars;
  }

  private ResourceRequirements resources() {
    HardwareSpec hardware = app.hardware();
    Map<String, Quantity> amounts = new LinkedHashMap<>();
    amounts.put("cpu", new Quantity(plain(hardware.cpu())));
    amounts.put("memory", new Quantity(plain(hardware.memoryGb()), "Gi"));
    if (hardware.gpu().isPresent()) {
      amounts.put(GPU_RESOURCE, new Quantity(Integer.toString(hardware.gpuCount())));
    }
    // Requests equal to limits put the pod in the Guaranteed QoS class: a replica that took minutes to load its
    // model is the last to be evicted when its node runs short.
    return new ResourceRequirementsBuilder().withRequests(amounts).withLimits(amounts).build();
  }

  private Probe readinessProbe() {
    return probe(app.runtime().readyPath())
        .withPeriodSeconds(READINESS_PERIOD_SECONDS)
        .withTimeoutSeconds(1)
        .withFailureThreshold(3)
        .withSuccessThreshold(1)
        .build();
  }

  private Probe livenessProbe() {
    return probe(app.runtime().healthPath())
        .withPeriodSeconds(LIVENESS_PERIOD_SECONDS)
        .withTimeoutSeconds(LIVENESS_TIMEOUT_SECONDS)
        .withFailureThreshold(3)
        .build();
  }

  /** Holds liveness (and readiness) back until the health check first passes, so a slow model load is not killed. */
  private Probe startupProbe() {
    return probe(app.runtime().healthPath())
        .withPeriodSeconds(STARTUP_PERIOD_SECONDS)
        .withTimeoutSeconds(LIVENESS_TIMEOUT_SECONDS)
        .withFailureThreshold(STARTUP_FAILURE_THRESHOLD)
        .build();
  }

  /** An HTTP GET of {@code path} on the app's port, or a TCP connect to it when the config names no path. */
  private ProbeBuilder probe(Optional<String> path) {
    IntOrString port = new IntOrString(app.runtime().port());
    ProbeBuilder probe = new ProbeBuilder();
    if (path.isPresent()) {
      probe.withNewHttpGet().withPath(path.get()).withPort(port).withScheme("HTTP").endHttpGet();
    } else {
      probe.withNewTcpSocket().withPort(port).endTcpSocket();
    }
    return probe;
  }

  private Volume secretsVolume() {
    List<KeyToPath> files = app.secretNames().stream()
        .map(name -> new KeyToPathBuilder().withKey(name).withPath(name).withMode(SECRET_FILE_MODE).build())
        .toList();
    return new VolumeBuilder()
        .withName(SECRETS_VOLUME)
        .withNewSecret()
        .withSecretName(secretName(app.id()))
        .withItems(files)
        .endSecret()
        .build();
  }

  private static VolumeMount secretsMount() {
    return new VolumeMountBuilder()
        .withName(SECRETS_VOLUME)
        .withMountPath(SECRETS_MOUNT_PATH)
        .withReadOnly(true)
        .build();
  }

  private static Toleration toleration(NodePool.Toleration toleration) {
    return new TolerationBuilder()
        .withKey(toleration.key().isEmpty() ? null : toleration.key())
        .withOperator(toleration.operator().kubernetesName())
        .withValue(toleration.value().isEmpty() ? null : toleration.value())
        .withEffect(toleration.effect().kubernetesName().isEmpty() ? null : toleration.effect().kubernetesName())
        .build();
  }

  private static void requireNamespace(String namespace) {
    Objects.requireNonNull(namespace, "namespace");
    if (!AppId.NAME.matcher(namespace).matches()) {
      throw new IllegalArgumentException("namespace: " + namespace + " (expected: " + AppId.NAME_RULE + ")");
    }
  }

  private static long wholeSecondsRoundedUp(Duration duration) {
    return duration.toSeconds() + (duration.toNanosPart() > 0 ? 1 : 0);
  }

  /** {@code 2.0 -> "2"}, {@code 0.5 -> "0.5"}: the decimal form a Kubernetes quantity takes. */
  private static String plain(double amount) {
    return BigDecimal.valueOf(amount).stripTrailingZeros().toPlainString();
  }

  private static String describe(Optional<?> gpu) {
    return gpu.map(Object::toString).orElse("none");
  }
}
