package io.sluice.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What the app's container needs when it runs on a cluster rather than as a local process: the image, and for a
 * {@code cerebrium.toml} the pip packages installed into the pod when it starts. Local replicas ignore all of it; they
 * run the entrypoint as it is on the node's machine.
 *
 * @param image the container image: Truss {@code base_image.image}, Cerebrium
 *     {@code [cerebrium.deployment] docker_base_image_url}; empty when the config names none
 * @param pipRequirements requirement lines as pip reads them ({@code torch>=2.0}, {@code numpy==1.26.4},
 *     {@code fastapi}), from Cerebrium's {@code [cerebrium.dependencies.pip]}, in file order
 * @param pythonVersion Cerebrium's {@code python_version} ({@code 3.12}); empty when the config names none
 * @param observedService observe-only ({@code [sluice] observe_service}): the app's containers are the pods behind
 *     this existing Service of the fleet's namespace, which something else runs and scales (KEDA, an HPA); Sluice
 *     routes to them, holds, limits and counts, and starts and scales nothing
 */
public record ContainerSpec(Optional<String> image, List<String> pipRequirements, Optional<String> pythonVersion,
    Optional<String> observedService) {

  /** What a Kubernetes Service name may be: a DNS label (RFC 1035). */
  public static final Pattern SERVICE_NAME =
      Pattern.compile("[a-z]([-a-z0-9]{0,61}[a-z0-9])?");
  public static final String SERVICE_NAME_RULE = "a Service name: lowercase letters, digits and '-', starting with a "
      + "letter, at most 63 characters";

  /** A config that says nothing about its container. */
  public static final ContainerSpec NONE = new ContainerSpec(Optional.empty(), List.of(), Optional.empty());

  /** Containers that Sluice runs itself. */
  public ContainerSpec(Optional<String> image, List<String> pipRequirements, Optional<String> pythonVersion) {
    this(image, pipRequirements, pythonVersion, Optional.empty());
  }

  /** The same, observing the pods of an existing Service instead of running its own. */
  public ContainerSpec observing(Optional<String> service) {
    return new ContainerSpec(image, pipRequirements, pythonVersion, service);
  }

  public boolean observeOnly() {
    return observedService.isPresent();
  }

  public ContainerSpec {
    Objects.requireNonNull(image, "image");
    pipRequirements = List.copyOf(Objects.requireNonNull(pipRequirements, "pipRequirements"));
    Objects.requireNonNull(pythonVersion, "pythonVersion");
    Objects.requireNonNull(observedService, "observedService");
    observedService.ifPresent(name -> {
      if (!SERVICE_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("observedService: " + name + " (expected: " + SERVICE_NAME_RULE + ")");
      }
    });
    image.ifPresent(reference -> {
      if (!ImageReference.valid(reference)) {
        throw new IllegalArgumentException("image: " + reference + " (expected: " + ImageReference.RULE + ")");
      }
    });
    for (String line : pipRequirements) {
      if (!PipRequirement.valid(line)) {
        throw new IllegalArgumentException("pipRequirements: " + line + " (expected: " + PipRequirement.LINE_RULE
            + ")");
      }
    }
  }
}
