package org.neguard.av;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * One payload file handed to an engine.
 *
 * @param path the file's path in the package ({@code lib/libs1ap.so})
 * @param size its exact size in bytes
 * @param content opens the file's bytes; may be called more than once, each call a new stream
 */
public record ScanItem(String path, long size, Content content) {
  /** Opens a fresh stream over the file's bytes. */
  @FunctionalInterface
  public interface Content {
    InputStream open() throws IOException;
  }

  public ScanItem {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(content, "content");
    if (size < 0) {
      throw new IllegalArgumentException("size < 0: " + size);
    }
  }
}
