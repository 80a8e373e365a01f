package org.neguard.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Output files written whole or not at all: a temporary file beside the target, renamed over it. */
final class AtomicFiles {
  private AtomicFiles() {}

  /** Writes {@code content} to {@code file}, creating its directory; never leaves a partial file. */
  static void write(Path file, byte[] content) throws IOException {
    Path abs = file.toAbsolutePath();
    Path dir = abs.getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".partial");
    try {
      Files.write(tmp, content);
      Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
