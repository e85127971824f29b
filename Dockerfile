# syntax=docker/dockerfile:1
# The Sluice node's image: built from this checkout by the project's own Maven build, run as a non-root user.
#
#   docker build -t REGISTRY/sluice:TAG . && docker push REGISTRY/sluice:TAG
#
# Needs a container engine (Docker, Podman, BuildKit); see the README, "Run on Kubernetes".

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# Every module of the reactor (the root pom's <modules>), and only what the build reads. The cache mount keeps
# downloaded dependencies between builds.
COPY pom.xml ./
COPY config/pom.xml config/
COPY autoscaler/pom.xml autoscaler/
COPY cluster/pom.xml cluster/
COPY k8s/pom.xml k8s/
COPY dataplane/pom.xml dataplane/
COPY config/src config/src
COPY autoscaler/src autoscaler/src
COPY cluster/src cluster/src
COPY k8s/src k8s/src
COPY dataplane/src dataplane/src
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -DskipTests package

# A JRE and the node's one jar. Apps run as Kubernetes pods (--replicas kubernetes), so the image has no Python: the
# local-process provider, which runs an app's entrypoint itself, needs the app's runtime in this image too.
FROM eclipse-temurin:17-jre
RUN useradd --uid 10001 --user-group --home-dir /var/lib/sluice --create-home --shell /usr/sbin/nologin sluice \
    && mkdir -p /opt/sluice /etc/sluice
COPY --from=build /src/dataplane/target/sluice.jar /opt/sluice/sluice.jar
COPY bin/jvm.options /opt/sluice/jvm.options
USER 10001:10001
WORKDIR /var/lib/sluice
EXPOSE 8080 9090 9091 5701 5801
# The options every node runs with (bin/jvm.options: the JIT yields the CPU to the event loops; as this user, the JVM
# warns at start that it may lack permission to change priorities: it only lacks it to raise them). The heap follows
# the container's memory limit; an out-of-memory node exits and is restarted rather than limping.
ENTRYPOINT ["java", "@/opt/sluice/jvm.options", "-XX:MaxRAMPercentage=75.0", "-XX:+ExitOnOutOfMemoryError", \
            "-jar", "/opt/sluice/sluice.jar"]
CMD ["up", "--host=0.0.0.0", "--admin-host=0.0.0.0", "--state=/var/lib/sluice"]
