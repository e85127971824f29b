package io.sluice.dataplane.replica.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class RestartBackoffTest {

  private final RestartBackoff backoff =
      new RestartBackoff(Duration.ofMillis(200), Duration.ofSeconds(30), Duration.ofSeconds(60));

  @ParameterizedTest(name = "restart #{0} waits {1} ms")
  @CsvSource({"1, 200", "2, 400", "3, 800", "8, 25600", "9, 30000", "40, 30000"})
  void delay_doubles_from_the_base_up_to_the_cap(int restart, long millis) {
    assertThat(backoff.delayBefore(restart)).isEqualTo(Duration.ofMillis(millis));
  }

  @Test
  void a_cap_below_the_base_is_refused() {
    assertThatThrownBy(() -> new RestartBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ZERO))
        .hasMessageContaining("expected: 0 <= base <= cap");
  }
}
