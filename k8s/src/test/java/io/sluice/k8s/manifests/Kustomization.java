package io.sluice.k8s.manifests;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@code kustomization.yaml} and what it lists, read without kustomize (which is not installed where the tests
 * run): the fields Sluice's kustomizations use, each path resolved against the kustomization's folder, each manifest
 * parsed into fabric8's typed model, and each generated ConfigMap built from its files. Patches are parsed but not
 * applied, and names keep no hash suffix; kustomize does both at {@code kubectl apply -k}.
 *
 * <p>An unknown field in the kustomization, or an unknown {@code apiVersion}/{@code kind} in a manifest, fails the
 * read, as kustomize and the API server would.
 */
public record Kustomization(
    Path dir,
    String apiVersion,
    String kind,
    Optional<String> namespace,
    List<String> resources,
    List<PatchRef> patches,
    List<ConfigMapGenerator> configMapGenerator) {

  public static final String FILE_NAME = "kustomization.yaml";

  /** A {@code patches:} entry: a file of a partial object, merged into the object of the same kind and name. */
  public record PatchRef(String path) {}

  /** A {@code configMapGenerator:} entry: a ConfigMap whose keys are the files' names. */
  public record ConfigMapGenerator(String name, String behavior, List<String> files) {
    public ConfigMapGenerator {
      files = files == null ? List.of() : List.copyOf(files);
    }
  }

  /** A manifest's object and the file it came from. */
  public record Manifest(Path file, HasMetadata object) {
    public String kind() {
      return object.getKind();
    }

    public String name() {
      return object.getMetadata().getName();
    }

    @Override
    public String toString() {
      return kind() + " " + name() + " (" + file + ")";
    }
  }

  /** The kinds Sluice's manifests hold, by {@code apiVersion/kind}. */
  public static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
      "v1/Namespace", Namespace.class,
      "v1/ServiceAccount", ServiceAccount.class,
      "v1/Service", Service.class,
      "v1/ConfigMap", ConfigMap.class,
      "apps/v1/Deployment", Deployment.class,
      "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
      "rbac.authorization.k8s.io/v1/Role", Role.class,
      "rbac.authorization.k8s.io/v1/RoleBinding", RoleBinding.class);

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  public Kustomization {
    resources = resources == null ? List.of() : List.copyOf(resources);
    patches = patches == null ? List.of() : List.copyOf(patches);
    configMapGenerator = configMapGenerator == null ? List.of() : List.copyOf(configMapGenerator);
  }

  /** Reads {@code dir/kustomization.yaml}. */
  public static Kustomization read(Path dir) {
    Path file = dir.resolve(FILE_NAME);
    try {
      Fields fields = YAML.readValue(file.toFile(), Fields.class);
      return new Kustomization(dir, fields.apiVersion, fields.kind, Optional.ofNullable(fields.namespace),
          fields.resources, fields.patches, fields.configMapGenerator);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** The file's fields as written; records above are what the tests use. */
  private static final class Fields {
    @JsonProperty(required = true) String apiVersion;
    @JsonProperty(required = true) String kind;
    @JsonProperty String namespace;
    @JsonProperty List<String> resources;
    @JsonProperty List<PatchRef> patches;
    @JsonProperty List<ConfigMapGenerator> configMapGenerator;
  }

  /** Every path this kustomization names (resources, patches, generators' files), resolved, whether it exists or not. */
  public List<Path> referencedPaths() {
    List<Path> paths = new ArrayList<>();
    resources.forEach(resource -> paths.add(dir.resolve(resource).normalize()));
    patches.forEach(patch -> paths.add(dir.resolve(patch.path()).normalize()));
    configMapGenerator.forEach(generator -> generator.files().forEach(f -> paths.add(dir.resolve(f).normalize())));
    return paths;
  }

  /**
   * The objects this kustomization makes before patches: its resources' manifests (a folder resource is another
   * kustomization, read the same way), then its generated ConfigMaps, an overlay's replacing or merging the base's.
   */
  public List<Manifest> objects() {
    List<Manifest> objects = new ArrayList<>();
    for (String resource : resources) {
      Path path = dir.resolve(resource).normalize();
      if (Files.isDirectory(path)) {
        objects.addAll(read(path).objects());
      } else {
        objects.addAll(manifests(path));
      }
    }
    for (ConfigMapGenerator generator : configMapGenerator) {
      Optional<Manifest> base = objects.stream()
          .filter(m -> m.kind().equals("ConfigMap") && m.name().equals(generator.name())).findFirst();
      String behavior = generator.behavior() == null ? "create" : generator.behavior();
      Map<String, String> data = new LinkedHashMap<>();
      switch (behavior) {
        case "create" -> {
          if (base.isPresent()) {
            throw new IllegalStateException(dir + ": ConfigMap " + generator.name() + " already exists (expected: "
                + "behavior: replace or merge)");
          }
        }
        case "replace", "merge" -> {
          if (base.isEmpty()) {
            throw new IllegalStateException(dir + ": ConfigMap " + generator.name() + " to " + behavior
                + " is not in the resources");
          }
          if (behavior.equals("merge")) {
            data.putAll(((ConfigMap) base.get().object()).getData());
          }
          objects.remove(base.get());
        }
        default -> throw new IllegalStateException(dir + ": configMapGenerator " + generator.name() + " behavior: "
            + behavior + " (expected: create, replace or merge)");
      }
      for (String file : generator.files()) {
        Path path = dir.resolve(file).normalize();
        data.put(path.getFileName().toString(), readString(path));
      }
      ConfigMap generated = new ConfigMapBuilder().withNewMetadata().withName(generator.name()).endMetadata()
          .withData(data).build();
      objects.add(new Manifest(dir.resolve(FILE_NAME), generated));
    }
    return objects;
  }

  /** The patches' partial objects, parsed as what they patch. */
  public List<Manifest> patchObjects() {
    List<Manifest> parsed = new ArrayList<>();
    patches.forEach(patch -> parsed.addAll(manifests(dir.resolve(patch.path()).normalize())));
    return parsed;
  }

  /** The objects of one YAML file of one or more documents, each parsed as its kind's fabric8 class. */
  public static List<Manifest> manifests(Path file) {
    List<Manifest> manifests = new ArrayList<>();
    try (MappingIterator<JsonNode> documents = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
      while (documents.hasNext()) {
        JsonNode document = documents.next();
        if (document == null || document.isNull() || document.isMissingNode()) {
          continue;
        }
        String type = document.path("apiVersion").asText() + "/" + document.path("kind").asText();
        Class<? extends HasMetadata> modelClass = KINDS.get(type);
        if (modelClass == null) {
          throw new IllegalStateException(file + ": apiVersion/kind " + type + " (expected: one of "
              + KINDS.keySet() + ")");
        }
        manifests.add(new Manifest(file, YAML.treeToValue(document, modelClass)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return manifests;
  }

  private static String readString(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
