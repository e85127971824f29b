package io.sluice.autoscaler.decision;

import static io.sluice.autoscaler.decision.PolicyCases.T0;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The states a decider starts from. */
class DeciderStateTest {

  record ResumeCase(String name, int ready, boolean panicking) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<ResumeCase> resumeCases() {
    return Stream.of(
        new ResumeCase("a decider resuming an app at zero does not panic (TestStartInPanicMode)", 0, false),
        new ResumeCase("a decider resuming an app with one replica does not panic (TestStartInPanicMode)", 1, false),
        new ResumeCase("a decider resuming an app with two replicas panics to hold them (TestStartInPanicMode)", 2,
            true));
  }

  @ParameterizedTest
  @MethodSource("resumeCases")
  void resumes_like_a_restarted_knative_autoscaler(ResumeCase c) {
    DeciderState state = DeciderState.resumed(c.ready, T0);

    assertThat(state.panicking()).isEqualTo(c.panicking);
    assertThat(state.lastPanicAt()).isEqualTo(c.panicking ? Optional.of(T0) : Optional.empty());
    assertThat(state.maxPanicReplicas()).isEqualTo(c.ready);
    assertThat(state.initialized()).isTrue();
    assertThat(state.lastLoadAt()).contains(T0);
  }

  @Test
  void a_new_app_has_seen_nothing_and_has_its_initial_scale_to_reach() {
    DeciderState state = DeciderState.initial();

    assertThat(state.panicking()).isFalse();
    assertThat(state.initialized()).isFalse();
    assertThat(state.scaleDownDelayWindow()).isEmpty();
    assertThat(state.activeSince()).isEmpty();
    assertThat(state.holdQueueInPathSince()).isEmpty();
    assertThat(state.lastLoadAt()).isEmpty();
  }
}
