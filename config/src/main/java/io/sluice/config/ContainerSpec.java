package io.sluice.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

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
 */
public record ContainerSpec(Optional<String> image, List<String> pipRequirements, Optional<String> pythonVersion) {

  /** A config that says nothing about its container. */
  public static final ContainerSpec NONE = new ContainerSpec(Optional.empty(), List.of(), Optional.empty());

  public ContainerSpec {
    Objects.requireNonNull(image, "image");
    pipRequirements = List.copyOf(Objects.requireNonNull(pipRequirements, "pipRequirements"));
    Objects.requireNonNull(pythonVersion, "pythonVersion");
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
