package org.neguard.architecture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The repository's Markdown docs, read where they are written, and their tables. */
final class Docs {
  private Docs() {}

  /** A file of the repository, by its path from the root (the build passes the root). */
  static String read(String relative) {
    String root = System.getProperty("neguard.root");
    if (root == null) {
      throw new IllegalStateException("system property neguard.root (the repository) is not set");
    }
    try {
      return Files.readString(Path.of(root).resolve(relative), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The rows of the first table after the heading that starts with {@code heading}, each split
   * into its trimmed cells; the header and separator rows left out.
   *
   * @throws IllegalArgumentException if there is no such heading or no table under it
   */
  static List<List<String>> tableUnder(String markdown, String heading) {
    List<String> lines = markdown.lines().toList();
    int at = 0;
    while (at < lines.size() && !lines.get(at).startsWith(heading)) {
      at++;
    }
    if (at == lines.size()) {
      throw new IllegalArgumentException("no heading \"" + heading + "\"");
    }
    while (at < lines.size() && !lines.get(at).startsWith("|")) {
      if (at > 0 && lines.get(at).startsWith("#") && !lines.get(at).startsWith(heading)) {
        throw new IllegalArgumentException("no table under \"" + heading + "\"");
      }
      at++;
    }
    List<List<String>> rows = new ArrayList<>();
    for (at += 2; at < lines.size() && lines.get(at).startsWith("|"); at++) {
      String line = lines.get(at).strip();
      List<String> cells = new ArrayList<>();
      for (String cell : line.substring(1, line.length() - 1).split("\\|", -1)) {
        cells.add(cell.strip());
      }
      rows.add(cells);
    }
    if (rows.isEmpty()) {
      throw new IllegalArgumentException("no table under \"" + heading + "\"");
    }
    return rows;
  }
}
