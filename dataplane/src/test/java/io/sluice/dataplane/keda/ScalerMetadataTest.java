package io.sluice.dataplane.keda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.config.AppId;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A trigger's metadata as KEDA hands it over (its own keys included), read into what Sluice scales on. */
class ScalerMetadataTest {

  record Good(String name, Map<String, String> metadata, AppId app, KedaMetric metric, OptionalDouble target) {
    @Override
    public String toString() {
      return name;
    }
  }

  record Bad(String name, Map<String, String> metadata, String message) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Good> good() {
    return Stream.of(
        new Good("app as project/name, concurrency and the app's own target by default",
            Map.of("app", "team/chat", "scalerAddress", "sluice-keda.sluice:9091"), new AppId("team", "chat"),
            KedaMetric.CONCURRENCY, OptionalDouble.empty()),
        new Good("app and project apart", Map.of("app", "chat", "project", "team"), new AppId("team", "chat"),
            KedaMetric.CONCURRENCY, OptionalDouble.empty()),
        new Good("app alone is in the default project", Map.of("app", "hello"), new AppId("local", "hello"),
            KedaMetric.CONCURRENCY, OptionalDouble.empty()),
        new Good("the same project twice is no conflict", Map.of("app", "team/chat", "project", "team"),
            new AppId("team", "chat"), KedaMetric.CONCURRENCY, OptionalDouble.empty()),
        new Good("rate with a target, spaces and case forgiven", Map.of("app", " hello ", "metric", "Rate ",
            "target", " 2.5"), new AppId("local", "hello"), KedaMetric.RATE, OptionalDouble.of(2.5)));
  }

  static Stream<Bad> bad() {
    return Stream.of(
        new Bad("no app", Map.of("scalerAddress", "x:9091"), "app: missing (expected: the app to scale on"),
        new Bad("a blank app", Map.of("app", "  "), "app: missing"),
        new Bad("an app name Sluice cannot have", Map.of("app", "My_App"), "app: My_App (expected: an app name of"),
        new Bad("a project name Sluice cannot have", Map.of("app", "Team/chat"), "project: Team (expected: "),
        new Bad("two different projects", Map.of("app", "team/chat", "project", "other"),
            "project: other disagrees with app: team/chat"),
        new Bad("an unknown metric", Map.of("app", "chat", "metric", "latency"),
            "metric: latency (expected: concurrency or rate)"),
        new Bad("a target of zero", Map.of("app", "chat", "target", "0"), "target: 0 (expected: a number > 0"),
        new Bad("a target that is no number", Map.of("app", "chat", "target", "ten"), "target: ten (expected: "),
        new Bad("an endless target", Map.of("app", "chat", "target", "Infinity"), "target: Infinity (expected: "));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("good")
  void reads(Good c) {
    ScalerMetadata read = ScalerMetadata.parse(c.metadata());

    assertThat(read).isEqualTo(new ScalerMetadata(c.app(), c.metric(), c.target()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bad")
  void refuses_naming_the_key(Bad c) {
    assertThatThrownBy(() -> ScalerMetadata.parse(c.metadata()))
        .isInstanceOf(ScalerMetadata.BadMetadata.class)
        .hasMessageContaining(c.message());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("good")
  void names_the_metric_after_the_app_and_what_is_measured(Good c) {
    ScalerMetadata read = ScalerMetadata.parse(c.metadata());

    assertThat(read.metricName()).isEqualTo("sluice-" + c.app().project() + "-" + c.app().name() + "-"
        + c.metric().metadataName());
  }
}
