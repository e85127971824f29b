package io.sluice.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.EnvVarSourceBuilder;
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
import io.sluice.config.ConfigFormat;
import io.sluice.config.ContainerSpec;
import io.sluice.config.HardwareSpec;
import io.sluice.config.NodePoolSpec;
import io.sluice.config.PoolPlacement;
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
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The Kubernetes objects that run one app: a {@link Deployment} of its replicas and, when it names secrets or fetches
 * its files, the {@link Secret} they are read from at {@code /secrets/<name>}.
 *
 * <p>What each format needs on a cluster ({@link #forCluster}):
 * <ul>
 *   <li>a Truss app runs in its {@code base_image.image}, as Baseten runs it: the image holds the server, and
 *       {@code start_command} runs in it;</li>
 *   <li>a {@code cerebrium.toml} app has no image of its own: its pods run {@code docker_base_image_url} (or the
 *       default, see {@link #image}), and an init container of the same image fetches the app's files for the
 *       Deployment's version from the fleet ({@link ArchiveFetch}) into an {@code emptyDir} at {@link #APP_DIR} and
 *       pip-installs {@code [cerebrium.dependencies.pip]} beside them; the app container then runs the entrypoint in
 *       that folder with the packages on {@code PYTHONPATH} and {@code PATH}.</li>
 * </ul>
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
  /** The init container that fetches a Cerebrium app's files and installs its pip packages. */
  public static final String FETCH_CONTAINER_NAME = "fetch-app";
  /** Where a fetched app's files are, and the app container's working folder. */
  public static final String APP_DIR = "/app";
  /** Where the app's pip packages are installed, inside the same volume; their scripts are in {@code bin/}. */
  public static final String PACKAGES_DIR = APP_DIR + "/.sluice/packages";
  /** The init container's environment variable that holds the fetch token, from the app's Secret. */
  public static final String FETCH_TOKEN_ENV = "SLUICE_FETCH_TOKEN";
  /**
   * Cerebrium's default base image is {@code debian:bookworm-slim} with {@code python_version} (default 3.12)
   * installed by Cerebrium's build (its TOML reference, docs.cerebrium.ai/toml-reference/toml-reference, lists
   * {@code docker_base_image_url} default "debian:bookworm-slim" and {@code python_version} default "3.12"). Sluice
   * builds no image, so it runs the official Python image of the same Debian release with that Python:
   * {@code python:<version>-slim-bookworm}.
   */
  public static final String CEREBRIUM_DEFAULT_PYTHON = "3.12";

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
  private static final String APP_FILES_VOLUME = "app-files";
  /**
   * The init container's program, run by the image's {@code python3} with the archive URL, the app folder and the
   * packages folder, then the requirement lines as arguments (never through a shell). Standard library only: the
   * image needs Python and pip, nothing else. A failure exits non-zero, and Kubernetes retries the init container.
   */
  static final String FETCH_SCRIPT = String.join("\n",
      "import io, os, subprocess, sys, urllib.request, zipfile",
      "url, app_dir, packages, requirements = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]",
      "request = urllib.request.Request(url, headers={'Authorization': 'Bearer ' + os.environ['" + FETCH_TOKEN_ENV
          + "']})",
      "try:",
      "    with urllib.request.urlopen(request, timeout=120) as answer:",
      "        archive = zipfile.ZipFile(io.BytesIO(answer.read()))",
      "except Exception as e:",
      "    sys.exit('could not fetch the app from ' + url + ': ' + str(e))",
      "for entry in archive.infolist():",
      "    path = archive.extract(entry, app_dir)",
      "    mode = entry.external_attr >> 16",
      "    if mode & 0o777:",
      "        os.chmod(path, mode & 0o777)",
      "if requirements:",
      "    subprocess.run([sys.executable, '-m', 'pip', 'install', '--no-cache-dir', '--disable-pip-version-check',",
      "                    '--target', packages] + requirements, check=True)");
  /** Puts the pip packages' scripts (uvicorn, gunicorn) before the image's own {@code PATH}, which only a shell knows. */
  static final String WITH_PACKAGES_ON_PATH = "export PATH=\"" + PACKAGES_DIR + "/bin:$PATH\"; exec \"$@\"";
  /** What Kubernetes accepts as a Secret key, which here is also the file name under {@code /secrets}. */
  private static final Pattern SECRET_KEY = Pattern.compile("[-._a-zA-Z0-9]+");

  private final AppSpec app;
  private final String image;
  private final NodePool pool;
  private final Optional<ArchiveFetch> fetch;
  private final Optional<String> fleetUrl;

  /**
   * An app whose image holds everything it runs: no files are fetched.
   *
   * @param image the container image that runs the app's server
   * @param pool where the replicas go; it must have the GPU model the app asks for, and enough GPUs per node
   * @throws IllegalArgumentException when the app does not fit the pool or names a secret Kubernetes cannot hold
   */
  public AppObjects(AppSpec app, String image, NodePool pool) {
    this(app, image, pool, Optional.empty());
  }

  /**
   * @param fetch where the pods fetch the app's files from when they start; empty when the image holds them
   * @throws IllegalArgumentException when the app does not fit the pool, names a secret Kubernetes cannot hold, or
   *     names the fetch token's key as one of its secrets
   */
  public AppObjects(AppSpec app, String image, NodePool pool, Optional<ArchiveFetch> fetch) {
    this(app, image, pool, fetch, Optional.empty());
  }

  private AppObjects(AppSpec app, String image, NodePool pool, Optional<ArchiveFetch> fetch,
      Optional<String> fleetUrl) {
    this.app = Objects.requireNonNull(app, "app");
    this.image = Objects.requireNonNull(image, "image");
    this.pool = Objects.requireNonNull(pool, "pool");
    this.fetch = Objects.requireNonNull(fetch, "fetch");
    this.fleetUrl = Objects.requireNonNull(fleetUrl, "fleetUrl");
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
    if ((fetch.isPresent() || fleetUrl.isPresent()) && app.secretNames().contains(tokenKey())) {
      throw new IllegalArgumentException("secretNames: " + tokenKey() + " (expected: a name other than the"
          + " replica token's Secret key " + tokenKey() + "; rename the app's secret)");
    }
  }

  /**
   * The same objects, with the pods told where the fleet's public port is and given the app's replica token
   * ({@code SLUICE_URL}, {@code SLUICE_TOKEN}, the token from the app's Secret), as local replicas are: for calls to
   * other apps and for async runs' callers.
   */
  public AppObjects withFleetUrl(String publicUrl) {
    return new AppObjects(app, image, pool, fetch, Optional.of(Objects.requireNonNull(publicUrl, "publicUrl")));
  }

  /** The key of the app's Secret that holds its replica token (what the pods fetch files and call apps with). */
  public String tokenKey() {
    return fetch.map(ArchiveFetch::tokenKey).orElse(ArchiveFetch.DEFAULT_TOKEN_KEY);
  }

  /**
   * The objects of an app as a cluster runs it: a Truss app in its {@code base_image.image}; a {@code cerebrium.toml}
   * app in its base image (see {@link #image}) with its files and pip packages fetched from the fleet as each pod
   * starts.
   *
   * @param pool where the replicas go, e.g. from {@link #nodePool(NodePoolSpec, PoolPlacement)}
   * @param fetch where a Cerebrium app's pods fetch its files (a Truss app's pods fetch nothing)
   * @throws IllegalArgumentException when a Truss app has no {@code base_image.image}, or as the constructor does
   */
  public static AppObjects forCluster(AppSpec app, NodePool pool, ArchiveFetch fetch) {
    Objects.requireNonNull(fetch, "fetch");
    return new AppObjects(app, image(app), pool,
        app.format() == ConfigFormat.CEREBRIUM_TOML ? Optional.of(fetch) : Optional.empty());
  }

  /**
   * The image the app's pods run: a Truss app's {@code base_image.image}; a Cerebrium app's
   * {@code docker_base_image_url}, or {@code python:<python_version>-slim-bookworm} when it names none (Cerebrium's
   * default Debian image with its Python, see {@link #CEREBRIUM_DEFAULT_PYTHON}). A Cerebrium base image must have
   * {@code python3} with pip, since its pods install the app's packages with it.
   *
   * @throws IllegalArgumentException when a Truss app has no {@code base_image.image}: its server is in no image
   *     Sluice could run
   */
  public static String image(AppSpec app) {
    ContainerSpec container = app.container();
    return switch (app.format()) {
      case TRUSS_YAML -> container.image().orElseThrow(() -> new IllegalArgumentException("base_image.image: missing"
          + " in the config.yaml of app " + app.id() + " (expected: the image start_command runs in, e.g."
          + " base_image: {image: vllm/vllm-openai:latest}; a Truss app runs on Kubernetes only inside its base"
          + " image, as on Baseten)"));
      case CEREBRIUM_TOML -> container.image().orElseGet(() ->
          "python:" + container.pythonVersion().orElse(CEREBRIUM_DEFAULT_PYTHON) + "-slim-bookworm");
    };
  }

  /**
   * The Kubernetes node pool of a {@code sluice.toml} pool: its GPUs from the pool, its node selector and tolerations
   * from the pool's placement keys ({@code node_selector}, {@code tolerations}).
   */
  public static NodePool nodePool(NodePoolSpec spec, PoolPlacement placement) {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(placement, "placement");
    return new NodePool(spec.name(), spec.gpu(), spec.gpusPerNode(), placement.nodeSelector(),
        placement.tolerations());
  }

  /** Where the pods fetch the app's files from; empty when its image holds them. */
  public Optional<ArchiveFetch> fetch() {
    return fetch;
  }

  /** The image the app's containers run. */
  public String image() {
    return image;
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
    return new DeploymentBuilder(deployment(namespace, replicas, OptionalLong.of(version)))
        .editMetadata().withName(deploymentName(app.id(), version)).addToLabels(VERSION_LABEL, versionLabel)
        .endMetadata()
        .editSpec()
        .editSelector().addToMatchLabels(VERSION_LABEL, versionLabel).endSelector()
        .editTemplate().editMetadata().addToLabels(VERSION_LABEL, versionLabel).endMetadata().endTemplate()
        .endSpec()
        .build();
  }

  /**
   * The app's Deployment in {@code namespace}, asking for {@code replicas} pods.
   *
   * @throws IllegalArgumentException when the pods fetch the app's files, which belong to a version: use
   *     {@link #deployment(String, int, long)}
   */
  public Deployment deployment(String namespace, int replicas) {
    return deployment(namespace, replicas, OptionalLong.empty());
  }

  private Deployment deployment(String namespace, int replicas, OptionalLong version) {
    requireNamespace(namespace);
    if (replicas < 0) {
      throw new IllegalArgumentException("replicas: " + replicas + " (expected: >= 0)");
    }
    if (fetch.isPresent() && version.isEmpty()) {
      throw new IllegalArgumentException("version: none (expected: the deployed version whose files the pods of app "
          + app.id() + " fetch)");
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
        .withSpec(podSpec(version))
        .endTemplate()
        .endSpec()
        .build();
  }

  /**
   * The Secret that the app's pods mount at {@code /secrets}, one key per secret name; empty when the app names none
   * and fetches no files.
   *
   * @param values the value of every secret the app names, and no others
   * @throws IllegalArgumentException as {@link #secret(String, Map, Optional)}, and when the pods fetch the app's files
   *     (they need the fetch token)
   */
  public Optional<Secret> secret(String namespace, Map<String, String> values) {
    return secret(namespace, values, Optional.empty());
  }

  /**
   * The Secret that the app's pods mount at {@code /secrets}, one key per secret name, and that holds the token its
   * pods fetch the app's files with (under {@link ArchiveFetch#tokenKey()}, which is not mounted as a file); empty when
   * the app names no secrets and fetches no files.
   *
   * <p>The values are base64-encoded into {@code data}, as the API stores them. The returned object's
   * {@code toString()} (fabric8's) prints that data: never log it.
   *
   * @param values the value of every secret the app names, and no others
   * @param fetchToken the token the pods fetch the app's files with (the app's replica token); required when
   *     {@link #fetch()} is present, ignored otherwise
   * @throws IllegalArgumentException naming (never showing) the missing or unexpected secrets, or the missing token
   */
  public Optional<Secret> secret(String namespace, Map<String, String> values, Optional<String> fetchToken) {
    requireNamespace(namespace);
    Objects.requireNonNull(values, "values");
    Objects.requireNonNull(fetchToken, "fetchToken");
    if ((fetch.isPresent() || fleetUrl.isPresent()) && fetchToken.filter(token -> !token.isBlank()).isEmpty()) {
      throw new IllegalArgumentException("fetchToken: missing (expected: the replica token of app " + app.id()
          + ", with which its pods fetch the app's files and call the fleet)");
    }
    if (app.secretNames().isEmpty() && fetchToken.isEmpty()) {
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
    fetchToken.ifPresent(token -> data.put(tokenKey(), base64.encodeToString(token.getBytes(StandardCharsets.UTF_8))));
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

  private PodSpec podSpec(OptionalLong version) {
    PodSpecBuilder spec = new PodSpecBuilder()
        .withContainers(container())
        .withNodeSelector(new TreeMap<>(pool.nodeSelector()))
        .withTolerations(pool.tolerations().stream().map(AppObjects::toleration).toList())
        .withTerminationGracePeriodSeconds(wholeSecondsRoundedUp(app.scaling().responseGracePeriod()))
        // The app is user code and has no business with the Kubernetes API.
        .withAutomountServiceAccountToken(false);
    List<Volume> volumes = new ArrayList<>();
    if (!app.secretNames().isEmpty()) {
      volumes.add(secretsVolume());
    }
    if (fetch.isPresent()) {
      volumes.add(new VolumeBuilder().withName(APP_FILES_VOLUME).withNewEmptyDir().endEmptyDir().build());
      spec.withInitContainers(fetchContainer(fetch.get(), version.orElseThrow()));
    }
    if (!volumes.isEmpty()) {
      spec.withVolumes(volumes);
    }
    return spec.build();
  }

  private Container container() {
    RuntimeSpec runtime = app.runtime();
    ContainerBuilder container = new ContainerBuilder()
        .withName(CONTAINER_NAME)
        .withImage(image)
        .withCommand(fetch.isPresent() ? withPackagesOnPath(argv(runtime.command())) : argv(runtime.command()))
        .addNewPort()
        .withContainerPort(runtime.port())
        .withProtocol("TCP")
        .endPort()
        .withEnv(env())
        .withResources(resources())
        .withStartupProbe(startupProbe())
        .withReadinessProbe(readinessProbe())
        .withLivenessProbe(livenessProbe());
    List<VolumeMount> mounts = new ArrayList<>();
    if (!app.secretNames().isEmpty()) {
      mounts.add(secretsMount());
    }
    if (fetch.isPresent()) {
      container.withWorkingDir(APP_DIR);
      mounts.add(appFilesMount());
    }
    if (!mounts.isEmpty()) {
      container.withVolumeMounts(mounts);
    }
    return container.build();
  }

  /**
   * Fetches the version's files into the shared volume and installs the pip packages beside them, in the app's own
   * image so that compiled packages and their scripts' {@code #!} lines match the Python the app runs with. It gets the
   * app's vCPUs and memory (a large wheel needs them) but no GPU; an init container's requests do not add to the
   * pod's, which is the larger of the two.
   */
  private Container fetchContainer(ArchiveFetch source, long version) {
    List<String> command = new ArrayList<>(List.of("python3", "-c", FETCH_SCRIPT,
        source.archiveUrl(app.id(), version), APP_DIR, PACKAGES_DIR));
    command.addAll(app.container().pipRequirements());
    Map<String, Quantity> amounts = new LinkedHashMap<>(cpuAndMemory());
    return new ContainerBuilder()
        .withName(FETCH_CONTAINER_NAME)
        .withImage(image)
        .withCommand(command)
        .withEnv(new EnvVarBuilder()
            .withName(FETCH_TOKEN_ENV)
            .withValueFrom(new EnvVarSourceBuilder()
                .withNewSecretKeyRef().withName(secretName(app.id())).withKey(source.tokenKey()).endSecretKeyRef()
                .build())
            .build())
        .withResources(new ResourceRequirementsBuilder().withRequests(amounts).withLimits(amounts).build())
        .withVolumeMounts(appFilesMount())
        .build();
  }

  private static List<String> withPackagesOnPath(List<String> argv) {
    List<String> wrapped = new ArrayList<>(List.of("/bin/sh", "-c", WITH_PACKAGES_ON_PATH, "sh"));
    wrapped.addAll(argv);
    return wrapped;
  }

  private static VolumeMount appFilesMount() {
    return new VolumeMountBuilder().withName(APP_FILES_VOLUME).withMountPath(APP_DIR).build();
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
    if (fetch.isPresent()) {
      // The app's own modules first, then its packages: what a Cerebrium build's image would have on sys.path.
      // A PYTHONPATH of the app's own comes after them.
      env.merge("PYTHONPATH", APP_DIR + ":" + PACKAGES_DIR, (own, ours) -> ours + ":" + own);
    }
    fleetUrl.ifPresent(url -> {
      env.put("SLUICE_URL", url);
      env.put("SLUICE_PROJECT", app.id().project());
      env.put("SLUICE_APP", app.id().name());
    });
    List<EnvVar> vars = new ArrayList<>();
    env.forEach((name, value) -> vars.add(new EnvVarBuilder().withName(name).withValue(value).build()));
    if (fleetUrl.isPresent()) {
      vars.add(new EnvVarBuilder().withName("SLUICE_TOKEN").withNewValueFrom().withNewSecretKeyRef()
          .withName(secretName(app.id())).withKey(tokenKey()).endSecretKeyRef().endValueFrom().build());
    }
    return vars;
  }

  private Map<String, Quantity> cpuAndMemory() {
    HardwareSpec hardware = app.hardware();
    Map<String, Quantity> amounts = new LinkedHashMap<>();
    amounts.put("cpu", new Quantity(plain(hardware.cpu())));
    amounts.put("memory", new Quantity(plain(hardware.memoryGb()), "Gi"));
    return amounts;
  }

  private ResourceRequirements resources() {
    HardwareSpec hardware = app.hardware();
    Map<String, Quantity> amounts = cpuAndMemory();
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

  private static Toleration toleration(PoolPlacement.Toleration toleration) {
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
