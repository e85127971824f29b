package io.sluice.dataplane.proxy;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PublicTlsTest {

  @TempDir
  Path temp;

  @Test
  void a_missing_file_is_named_with_the_option_that_gives_it() throws Exception {
    Path cert = Files.writeString(temp.resolve("cert.pem"), "not used");

    assertThatThrownBy(() -> new PublicTls(cert, temp.resolve("no-such-key.pem")).context())
        .hasMessageContaining("no-such-key.pem").hasMessageContaining("--tls-key");
  }

  @Test
  void files_that_are_not_pem_say_what_they_should_be() throws Exception {
    Path cert = Files.writeString(temp.resolve("cert.pem"), "hello");
    Path key = Files.writeString(temp.resolve("key.pem"), "world");

    assertThatThrownBy(() -> new PublicTls(cert, key).context())
        .hasMessageContaining("PEM certificate chain").hasMessageContaining("PKCS#8");
  }
}
