package io.sluice.cluster.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Credentials on disk: readable by the node's user alone, replaced whole so that a crash never leaves half a file. */
public final class OwnerOnlyFiles {

  private OwnerOnlyFiles() {}

  public static void write(Path file, String content) throws IOException {
    Path dir = file.getParent();
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    Path next = dir.resolve("." + file.getFileName() + ".new");
    Files.deleteIfExists(next);
    Files.createFile(next, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(next, content);
    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
