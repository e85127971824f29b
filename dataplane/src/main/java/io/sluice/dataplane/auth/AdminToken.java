package io.sluice.dataplane.auth;

import io.sluice.cluster.state.OwnerOnlyFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

/**
 * The admin API's credential, apart from any project's: whoever holds it deploys, undeploys and manages keys and
 * secrets for every project. The operator may set it ({@code SLUICE_ADMIN_TOKEN}); otherwise the node makes one at
 * first start and leaves it, owner-only, in {@code <state>/admin-token}, where the CLI on the same machine finds it.
 */
public final class AdminToken {

  public static final String FILE_NAME = "admin-token";
  public static final String ENV = "SLUICE_ADMIN_TOKEN";

  private final byte[] digest;

  private AdminToken(String token) {
    this.digest = ApiKeyStore.sha256(token);
  }

  /** The operator's token when given, else the one in the state folder, made on first use. Blocking. */
  public static AdminToken open(Path stateDir, Optional<String> given) throws IOException {
    if (given.isPresent() && !given.get().isBlank()) {
      return new AdminToken(given.get().trim());
    }
    Path file = stateDir.resolve(FILE_NAME);
    if (Files.exists(file)) {
      return new AdminToken(Files.readString(file).trim());
    }
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    String token = "sa_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    OwnerOnlyFiles.write(file, token + "\n");
    return new AdminToken(token);
  }

  /** Whether an {@code Authorization} header carries this token; compared in constant time. */
  public boolean admits(String authorization) {
    String presented = Authenticator.credential(authorization);
    return presented != null && MessageDigest.isEqual(ApiKeyStore.sha256(presented), digest);
  }
}
