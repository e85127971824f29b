package io.sluice.dataplane.scaling;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.autoscaler.decision.DeciderState;
import io.sluice.cluster.decisions.FleetDecisions.AppDecision;
import io.sluice.config.AppId;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The placer trusts a decision's count only when the decision knows of every replica being stopped. */
class PlaceableTest {

  private static AppDecision decided(int desired, Set<String> stopping) {
    return new AppDecision(new AppId("p", "a"), "decider", 0, desired, stopping, false, DeciderState.initial(),
        new JsonObject());
  }

  @Test
  void a_decision_that_ordered_the_stops_it_sees_is_placed_as_it_is() {
    assertThat(ScalingLoop.placeable(Optional.of(decided(3, Set.of("a-1"))), Set.of("a-1"), 1)).contains(3);
    assertThat(ScalingLoop.placeable(Optional.of(decided(3, Set.of("a-1", "a-2"))), Set.of(), 1))
        .as("stops since carried out").contains(3);
  }

  @Test
  void a_decision_older_than_a_stop_starts_nothing_more() {
    assertThat(ScalingLoop.placeable(Optional.of(decided(3, Set.of())), Set.of("a-2", "a-3"), 1))
        .as("the replica that is left, and no replacements for the two stopped").contains(1);
    assertThat(ScalingLoop.placeable(Optional.of(decided(0, Set.of())), Set.of("a-2"), 1)).contains(0);
  }

  @Test
  void no_decision_yet_leaves_the_minimum_to_the_caller() {
    assertThat(ScalingLoop.placeable(Optional.empty(), Set.of("a-2"), 1)).isEmpty();
  }
}
