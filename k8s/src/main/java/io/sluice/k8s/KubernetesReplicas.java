package io.sluice.k8s;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodListBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentList;
import io.fabric8.kubernetes.api.model.apps.DeploymentListBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v1.ScaleBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sluice.autoscaler.replica.ReplicaFailure;
import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.autoscaler.replica.ReplicaListener;
import io.sluice.autoscaler.replica.ReplicaProvider;
import io.sluice.autoscaler.replica.ReplicaState;
import io.sluice.autoscaler.replica.ReplicaStatus;
import io.sluice.config.AppId;
import io.sluice.config.AppSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replicas as pods of a Deployment per deployed app version, in one namespace of a Kubernetes cluster.
 *
 * <p>The Deployment's scale subresource is the only thing written to change how many pods run, and only this provider
 * writes it: the fleet starts every replica of a cluster through the node that places replicas ({@link
 * #sharedByTheFleet()}). A replica is a name the fleet gave; the pod it runs as is found by a watch on the pods
 * (an informer) and bound to it with an annotation, so that a node that takes over after a restart or a failover
 * adopts the pods that exist instead of starting more:
 * <ul>
 *   <li><b>Start</b> raises the scale by one, unless a pod that no replica claims is there to take (adoption);</li>
 *   <li><b>stop</b> marks the replica's pod as the cheapest to delete ({@code pod-deletion-cost}) and lowers the
 *       scale by one; it completes once that pod is gone, or has been handed to another replica that was left
 *       without one (the ReplicaSet may delete a pending pod first);</li>
 *   <li>a pod nobody claims is kept for the adoption window, counted in the scale, then marked and scaled away, so
 *       that there are no orphans either.</li>
 * </ul>
 * Readiness is the pod's Ready condition, and the node routes to the pod's IP, not through a Service, so that the
 * per-replica limit and least-outstanding picking keep working. A pod that cannot be scheduled shows as a starting
 * replica whose detail is the scheduler's message ("pending: 0/3 nodes are available: 3 Insufficient
 * nvidia.com/gpu"); adding nodes is the cluster autoscaler's job.
 *
 * <p>Every call to the API server runs on one thread of the provider's own, never on an event loop, and all of the
 * provider's state lives on it.
 */
public final class KubernetesReplicas implements ReplicaProvider {

  private static final Logger log = LoggerFactory.getLogger(KubernetesReplicas.class);
  /** The cost that makes a pod the first a ReplicaSet deletes when it scales down. */
  static final String DOOMED_COST = "-1000";

  private final KubernetesClient client;
  private final String namespace;
  private final Function<AppSpec, AppObjects> objects;
  private final Function<AppSpec, Map<String, String>> secrets;
  private final Function<AppId, String> fetchTokens;
  private final ReplicaListener listener;
  private final InstantSource clock;
  private final Duration adoptionWindow;
  private final ScheduledExecutorService worker;
  private final Map<String, Pod> pods = new HashMap<>();
  private final Map<VersionKey, Version> versions = new LinkedHashMap<>();
  private final Map<ReplicaId, Replica> replicas = new HashMap<>();
  private SharedIndexInformer<Pod> informer;

  /**
   * @param objects renders an app's objects: picks its image and node pool (throws {@link IllegalArgumentException}
   *     when no pool fits it)
   * @param secrets the values of the secrets the app's pods get (blocking; called off the event loops)
   * @param fetchTokens the token an app's pods fetch its files from the fleet with (its replica token)
   * @param adoptionWindow how long a pod that no replica claims is kept for a replica that may still claim it
   * @param tick how often the provider looks at adoption windows that ran out
   */
  public KubernetesReplicas(KubernetesClient client, String namespace, Function<AppSpec, AppObjects> objects,
      Function<AppSpec, Map<String, String>> secrets, Function<AppId, String> fetchTokens,
      ReplicaListener listener, InstantSource clock,
      Duration adoptionWindow, Duration tick) {
    this.client = Objects.requireNonNull(client, "client");
    this.namespace = Objects.requireNonNull(namespace, "namespace");
    this.objects = Objects.requireNonNull(objects, "objects");
    this.secrets = Objects.requireNonNull(secrets, "secrets");
    this.fetchTokens = Objects.requireNonNull(fetchTokens, "fetchTokens");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.adoptionWindow = Objects.requireNonNull(adoptionWindow, "adoptionWindow");
    this.worker = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "sluice-kubernetes");
      thread.setDaemon(true);
      return thread;
    });
    worker.scheduleWithFixedDelay(this::reconcileAll, tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Starts watching the pods Sluice manages in the namespace; completes once the first list is in. */
  public CompletionStage<KubernetesReplicas> start() {
    return CompletableFuture.supplyAsync(() -> {
      warmUpSerialization();
      informer = client.pods().inNamespace(namespace)
          .withLabel(AppObjects.MANAGED_BY_LABEL, AppObjects.MANAGED_BY)
          .inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
              worker.execute(() -> podChanged(pod, false));
            }

            @Override
            public void onUpdate(Pod before, Pod pod) {
              worker.execute(() -> podChanged(pod, false));
            }

            @Override
            public void onDelete(Pod pod, boolean finalStateUnknown) {
              worker.execute(() -> podChanged(pod, true));
            }
          }, 0);
      return this;
    }, worker);
  }

  /**
   * The client parses the API server's answers on the Vert.x event loop that received them; Jackson builds its
   * deserializer for a type at its first use, which for the pod and deployment models takes hundreds of milliseconds.
   * Built here, on the provider's own thread, they are not built on an event loop that serves requests.
   */
  private void warmUpSerialization() {
    var serialization = client.getKubernetesSerialization();
    Pod pod = new PodBuilder().withNewMetadata().withName("warm-up").addToAnnotations("a", "b").endMetadata()
        .withNewSpec().addNewContainer().withName("c").withNewReadinessProbe().withNewHttpGet().withPath("/")
        .endHttpGet().endReadinessProbe().endContainer().endSpec()
        .withNewStatus().addNewCondition().withType("Ready").withStatus("True").endCondition()
        .addNewContainerStatus().withName("c").withNewState().withNewWaiting().endWaiting().endState()
        .endContainerStatus().endStatus()
        .build();
    List<Object> samples = List.of(pod, new PodListBuilder().addToItems(pod).build(),
        new WatchEvent(pod, "ADDED"), new StatusBuilder().withCode(404).build(),
        new SecretBuilder().withNewMetadata().withName("warm-up").endMetadata().build(),
        new ScaleBuilder().withNewSpec().withReplicas(1).endSpec().build());
    for (Object sample : samples) {
      serialization.unmarshal(serialization.asJson(sample), sample.getClass());
    }
    Deployment deployment = new DeploymentBuilder().withNewMetadata()
        .withName("warm-up").endMetadata().withNewSpec().withReplicas(1).withNewTemplate().withSpec(pod.getSpec())
        .endTemplate().endSpec().build();
    serialization.unmarshal(serialization.asJson(deployment), Deployment.class);
    serialization.unmarshal(serialization.asJson(
        new DeploymentListBuilder().addToItems(deployment).build()),
        DeploymentList.class);
  }

  public String namespace() {
    return namespace;
  }

  @Override
  public boolean sharedByTheFleet() {
    return true;
  }

  @Override
  public void start(ReplicaId id, AppSpec app) {
    start(id, app, 0);
  }

  @Override
  public void start(ReplicaId id, AppSpec app, long version) {
    worker.execute(() -> {
      if (replicas.containsKey(id)) {
        log.warn("replica {} is already running", id);
        return;
      }
      Version deployed;
      try {
        deployed = version(app, version);
      } catch (RuntimeException e) {
        Replica failed = new Replica(id, null);
        failed.emit(ReplicaState.FAILED, "could not create its Deployment: " + e.getMessage(),
            Optional.of(ReplicaFailure.START_ERROR));
        return;
      }
      Replica replica = new Replica(id, deployed);
      replicas.put(id, replica);
      deployed.wanted.add(id);
      replica.emit(ReplicaState.STARTING, "waiting for a pod of " + deployed.name, Optional.empty());
      reconcile(deployed);
    });
  }

  @Override
  public CompletionStage<Void> stop(ReplicaId id, Duration grace) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    worker.execute(() -> {
      Replica replica = replicas.get(id);
      if (replica == null) {
        done.complete(null);
        return;
      }
      replica.stopped.whenComplete((v, e) -> done.complete(null));
      if (replica.stopping) {
        return;
      }
      replica.stopping = true;
      replica.version.wanted.remove(id);
      replica.emit(ReplicaState.STOPPING, "stopping", Optional.empty());
      if (replica.pod != null) {
        markDoomed(replica.pod);
      }
      reconcile(replica.version);
    });
    return done;
  }

  /**
   * Lets go of the cluster without touching it: the pods run on, and the node that places replicas next adopts
   * them (a node being replaced in a rolling update must not take the apps down with it).
   */
  @Override
  public CompletionStage<Void> stopAll(Duration grace) {
    return CompletableFuture.runAsync(() -> {
      if (informer != null) {
        informer.close();
      }
    }, worker).whenComplete((v, e) -> worker.shutdown());
  }

  /** Deletes every Deployment and the Secret that the app owns, whichever version or node made them. */
  @Override
  public CompletionStage<Void> removeApp(AppId app) {
    return CompletableFuture.runAsync(() -> {
      versions.values().removeIf(v -> v.app.equals(app));
      Map<String, String> labels = AppObjects.labels(app);
      for (Deployment deployment : client.apps().deployments().inNamespace(namespace).withLabels(labels).list()
          .getItems()) {
        client.apps().deployments().inNamespace(namespace).withName(deployment.getMetadata().getName()).delete();
      }
      client.secrets().inNamespace(namespace).withName(AppObjects.secretName(app)).delete();
      log.info("removed the Deployments and Secret of {} from namespace {}", app, namespace);
    }, worker);
  }

  /** The Deployment of this version of the app, made (or adopted, when it exists) at its first replica. */
  private Version version(AppSpec app, long version) {
    VersionKey key = new VersionKey(app.id(), version);
    Version known = versions.get(key);
    if (known != null) {
      return known;
    }
    // The secrets the node gives the app (a Truss app the ones it names and the project holds, a Cerebrium app all
    // of its project's, as on one machine) are the files its pods mount.
    Map<String, String> values = secrets.apply(app);
    List<String> names = new ArrayList<>(app.secretNames().stream().filter(values::containsKey).toList());
    values.keySet().stream().filter(name -> !names.contains(name)).sorted().forEach(names::add);
    AppObjects rendered = objects.apply(app.withSecretNames(names));
    Optional<Secret> secret = rendered.secret(namespace, values, Optional.of(fetchTokens.apply(app.id())));
    secret.ifPresent(s -> client.secrets().inNamespace(namespace).resource(s).createOr(existing -> existing.update()));
    String name = AppObjects.deploymentName(app.id(), version);
    Deployment existing = client.apps().deployments().inNamespace(namespace).withName(name).get();
    Version made = new Version(app, version, name);
    if (existing == null) {
      client.apps().deployments().inNamespace(namespace).resource(rendered.deployment(namespace, 0, version))
          .create();
      made.scale = 0;
      log.info("created Deployment {}/{} for {}", namespace, name, app.id());
    } else {
      made.scale = existing.getSpec().getReplicas() == null ? 1 : existing.getSpec().getReplicas();
      log.info("adopted Deployment {}/{} ({} pod(s) asked for)", namespace, name, made.scale);
    }
    Instant now = clock.instant();
    for (Pod pod : podsOf(made)) {
      made.unclaimedSince.put(pod.getMetadata().getName(), now);
    }
    versions.put(key, made);
    return made;
  }

  private void podChanged(Pod pod, boolean deleted) {
    String name = pod.getMetadata().getName();
    if (deleted) {
      pods.remove(name);
    } else {
      pods.put(name, pod);
    }
    Map<String, String> labels = pod.getMetadata().getLabels();
    for (Version version : versions.values()) {
      if (version.owns(labels)) {
        reconcile(version);
      }
    }
  }

  private void reconcileAll() {
    try {
      List.copyOf(versions.values()).forEach(this::reconcile);
    } catch (RuntimeException e) {
      log.warn("Could not reconcile replicas: {}", e.getMessage());
    }
  }

  /**
   * Brings one version's pods, claims and scale in line with the replicas wanted: binds pods to replicas, hands
   * unclaimed pods to replicas without one, scales away pods nobody claimed within the adoption window, and writes
   * the scale when it changes.
   */
  private void reconcile(Version version) {
    Instant now = clock.instant();
    List<Pod> live = podsOf(version).stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    Set<String> livePods = new HashSet<>();
    live.forEach(p -> livePods.add(p.getMetadata().getName()));

    // Who holds which pod now: a replica loses a pod that is gone or has been handed to another.
    for (Replica replica : replicasOf(version)) {
      if (replica.pod != null && !livePods.contains(replica.pod)) {
        replica.pod = null;
      }
    }
    // A claim this provider made is known here before the watch brings the pod's annotation back.
    Map<String, Replica> heldHere = new HashMap<>();
    for (Replica replica : replicasOf(version)) {
      if (replica.pod != null) {
        heldHere.put(replica.pod, replica);
      }
    }
    List<Pod> free = new ArrayList<>();
    for (Pod pod : live) {
      String podName = pod.getMetadata().getName();
      String claimant = annotation(pod, AppObjects.REPLICA_ANNOTATION);
      Replica holder = heldHere.containsKey(podName) ? heldHere.get(podName)
          : claimant == null ? null : replicaNamed(version, claimant);
      if (holder != null && (holder.pod == null || holder.pod.equals(podName))) {
        holder.pod = podName;
        version.unclaimedSince.remove(podName);
        if (holder.stopping) {
          free.add(pod); // doomed, but a replica left without a pod may take it over
        }
      } else {
        version.unclaimedSince.putIfAbsent(podName, now);
        free.add(pod);
      }
    }
    // Replicas without a pod take one: a ready one first, then the oldest.
    free.sort(Comparator.comparing((Pod p) -> !PodView.isReady(p))
        .thenComparing(p -> Optional.ofNullable(p.getMetadata().getCreationTimestamp()).orElse("")));
    for (ReplicaId id : version.wanted) {
      Replica replica = replicas.get(id);
      if (replica.pod != null || free.isEmpty()) {
        continue;
      }
      Pod pod = free.remove(0);
      String podName = pod.getMetadata().getName();
      Replica loser = heldHere.get(podName);
      if (loser != null) {
        loser.pod = null;
      }
      claim(podName, id.name());
      replica.pod = podName;
      version.unclaimedSince.remove(podName);
    }
    // Unclaimed pods are kept for the adoption window, then scaled away.
    int kept = 0;
    for (Pod pod : free) {
      String podName = pod.getMetadata().getName();
      Instant since = version.unclaimedSince.get(podName);
      boolean held = since != null;
      if (!held) {
        continue; // a stopping replica's pod: already doomed
      }
      if (Duration.between(since, now).compareTo(adoptionWindow) < 0) {
        kept++;
      } else if (version.doomed.add(podName)) {
        log.info("pod {} of {} was claimed by no replica for {}; scaling it away", podName, version.name,
            adoptionWindow);
        markDoomed(podName);
      }
    }
    int desired = version.wanted.size() + kept;
    if (desired != version.scale) {
      client.apps().deployments().inNamespace(namespace).withName(version.name).scale(desired);
      log.info("scaled Deployment {} from {} to {} pod(s)", version.name, version.scale, desired);
      version.scale = desired;
    }
    for (Replica replica : replicasOf(version)) {
      replica.report();
    }
    version.doomed.retainAll(livePods);
    version.unclaimedSince.keySet().retainAll(livePods);
    retireIfReplaced(version);
  }

  /** A version whose last replica is gone, once a newer version of the app runs here, loses its Deployment. */
  private void retireIfReplaced(Version version) {
    boolean replaced = versions.values().stream()
        .anyMatch(other -> other.app.equals(version.app) && other.number > version.number);
    if (replaced && version.wanted.isEmpty() && replicasOf(version).isEmpty()) {
      versions.remove(new VersionKey(version.app, version.number));
      client.apps().deployments().inNamespace(namespace).withName(version.name).delete();
      log.info("deleted Deployment {} of {}: version {} was replaced", version.name, version.app, version.number);
    }
  }

  private void claim(String podName, String replicaName) {
    Map<String, Object> annotations = new HashMap<>();
    annotations.put(AppObjects.REPLICA_ANNOTATION, replicaName);
    annotations.put(AppObjects.DELETION_COST_ANNOTATION, null);
    patchAnnotations(podName, annotations);
  }

  private void markDoomed(String podName) {
    patchAnnotations(podName, Map.of(AppObjects.DELETION_COST_ANNOTATION, DOOMED_COST));
  }

  private void patchAnnotations(String podName, Map<String, Object> annotations) {
    Map<String, Object> patch = Map.of("metadata", Map.of("annotations", annotations));
    try {
      client.pods().inNamespace(namespace).withName(podName)
          .patch(PatchContext.of(PatchType.JSON_MERGE), Serialization.asJson(patch));
    } catch (RuntimeException e) {
      log.warn("Could not annotate pod {}: {}", podName, e.getMessage());
    }
  }

  private List<Pod> podsOf(Version version) {
    return pods.values().stream().filter(p -> version.owns(p.getMetadata().getLabels())).toList();
  }

  private List<Replica> replicasOf(Version version) {
    return replicas.values().stream().filter(r -> r.version == version).toList();
  }

  private Replica replicaNamed(Version version, String name) {
    Replica replica = replicas.get(new ReplicaId(version.app, name));
    return replica != null && replica.version == version ? replica : null;
  }

  private static String annotation(Pod pod, String key) {
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }

  private record VersionKey(AppId app, long version) {}

  /** One deployed version of an app: its Deployment, the replicas wanted of it, the pods nobody claims yet. */
  private static final class Version {
    final AppId app;
    final AppSpec spec;
    final long number;
    final String name;
    final Set<ReplicaId> wanted = new LinkedHashSet<>();
    final Map<String, Instant> unclaimedSince = new HashMap<>();
    final Set<String> doomed = new HashSet<>();
    int scale;

    Version(AppSpec spec, long number, String name) {
      this.app = spec.id();
      this.spec = spec;
      this.number = number;
      this.name = name;
    }

    boolean owns(Map<String, String> labels) {
      return labels != null && app.project().equals(labels.get(AppObjects.PROJECT_LABEL))
          && app.name().equals(labels.get(AppObjects.APP_LABEL))
          && Long.toString(number).equals(labels.get(AppObjects.VERSION_LABEL));
    }
  }

  /** A replica the fleet asked for, and the pod it runs as when it has one. */
  private final class Replica {
    final ReplicaId id;
    final Version version;
    final CompletableFuture<Void> stopped = new CompletableFuture<>();
    String pod;
    boolean stopping;
    boolean everReady;
    ReplicaStatus last;

    Replica(ReplicaId id, Version version) {
      this.id = id;
      this.version = version;
    }

    /** Tells the listener what the replica's pod says now, when that changed. */
    void report() {
      if (stopping) {
        if (pod == null) {
          emit(ReplicaState.STOPPED, "stopped", Optional.empty());
          replicas.remove(id);
          stopped.complete(null);
        }
        return;
      }
      if (pod == null) {
        boolean lost = last != null && last.endpoint().isPresent();
        if (lost) {
          last = new ReplicaStatus(id, ReplicaState.RESTARTING, Optional.empty(), last.restarts() + 1,
              "its pod is gone; waiting for a new one", clock.instant(),
              Optional.of(everReady ? ReplicaFailure.CRASHED : ReplicaFailure.EXITED_BEFORE_READY));
          listener.onStatus(last);
        } else if (last == null || last.state() != ReplicaState.STARTING && last.state() != ReplicaState.RESTARTING) {
          emit(ReplicaState.STARTING, "waiting for a pod of " + version.name, Optional.empty());
        }
        return;
      }
      PodView view = PodView.of(pods.get(pod), version.spec.runtime().port());
      ReplicaState state = view.state();
      if (state == ReplicaState.STARTING && everReady) {
        state = ReplicaState.NOT_READY;
      }
      if (state == ReplicaState.READY) {
        everReady = true;
      }
      Optional<ReplicaFailure> failure = state == ReplicaState.RESTARTING
          ? Optional.of(everReady ? ReplicaFailure.CRASHED : ReplicaFailure.EXITED_BEFORE_READY)
          : Optional.empty();
      ReplicaStatus next = new ReplicaStatus(id, state, view.endpoint(), view.restarts(), view.detail(),
          clock.instant(), failure);
      if (last == null || last.state() != next.state() || !last.endpoint().equals(next.endpoint())
          || last.restarts() != next.restarts() || !last.detail().equals(next.detail())) {
        last = next;
        listener.onStatus(next);
      }
    }

    void emit(ReplicaState state, String detail, Optional<ReplicaFailure> failure) {
      last = new ReplicaStatus(id, state, last == null ? Optional.empty() : last.endpoint(),
          last == null ? 0 : last.restarts(), detail, clock.instant(), failure);
      log.info("replica {} {}: {}", id, state, detail);
      listener.onStatus(last);
    }
  }
}
