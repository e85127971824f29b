package io.sluice.dataplane.replica.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether replicas can see their secrets at {@code /secrets/<name>}: that takes a private mount namespace per replica
 * ({@code unshare --mount}, root only). Where the machine does not allow it, replicas find the same files in the
 * folder that {@code SLUICE_SECRETS_DIR} names.
 */
final class SecretsMount {

  private static final Logger log = LoggerFactory.getLogger(SecretsMount.class);
  private static final Path MOUNT_POINT = Path.of("/secrets");

  private SecretsMount() {}

  /** Blocking: runs {@code unshare} once. Call off the event loop. */
  static boolean available() {
    try {
      if (!Files.isDirectory(MOUNT_POINT)) {
        Files.createDirectories(MOUNT_POINT);
      }
      Process probe = new ProcessBuilder(
          "unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
          "mount -t tmpfs sluice-probe /secrets && test -w /secrets")
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      if (!probe.waitFor(5, TimeUnit.SECONDS)) {
        probe.destroyForcibly();
        return false;
      }
      boolean ok = probe.exitValue() == 0;
      if (!ok) {
        log.info("No private mount namespaces here: replicas find their secrets through SLUICE_SECRETS_DIR");
      }
      return ok;
    } catch (IOException e) {
      log.info("No private mount namespaces here ({}): replicas find their secrets through SLUICE_SECRETS_DIR",
          e.getMessage());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
