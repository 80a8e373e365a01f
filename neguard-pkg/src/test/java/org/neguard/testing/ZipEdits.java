package org.neguard.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;

/** Edits of a bundle's bytes the way an attacker or a broken tool would make them. */
public final class ZipEdits {
  private ZipEdits() {}

  /**
   * Replaces entry {@code name}'s content with {@code content}, keeping its mode and time and
   * every other entry byte for byte.
   */
  public static void replaceEntry(Path bundle, String name, String content) throws IOException {
    Path tmp = bundle.resolveSibling(bundle.getFileName() + ".rewrite");
    try (ZipFile zip = ZipFile.builder().setPath(bundle).get();
        ZipArchiveOutputStream out = new ZipArchiveOutputStream(tmp)) {
      for (ZipArchiveEntry e : Collections.list(zip.getEntriesInPhysicalOrder())) {
        if (e.getName().equals(name)) {
          ZipArchiveEntry n = new ZipArchiveEntry(name);
          n.setUnixMode(e.getUnixMode());
          n.setLastModifiedTime(e.getLastModifiedTime());
          out.putArchiveEntry(n);
          out.write(content.getBytes(StandardCharsets.UTF_8));
          out.closeArchiveEntry();
        } else {
          try (InputStream raw = zip.getRawInputStream(e)) {
            out.addRawArchiveEntry(e, raw);
          }
        }
      }
    }
    Files.move(tmp, bundle, StandardCopyOption.REPLACE_EXISTING);
  }
}
