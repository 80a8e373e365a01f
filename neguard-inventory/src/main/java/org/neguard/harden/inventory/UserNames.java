package org.neguard.harden.inventory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * User names for numeric uids, from /etc/passwd (local accounts: those that own daemons on an
 * NE). A uid without an entry is returned as its number.
 */
final class UserNames {
  private UserNames() {}

  static Map<String, String> names(Path passwd) {
    Map<String, String> m = new HashMap<>();
    try {
      for (String line : Files.readAllLines(passwd, StandardCharsets.UTF_8)) {
        String[] f = line.split(":", -1);
        if (f.length >= 3) {
          m.putIfAbsent(f[2], f[0]);
        }
      }
    } catch (IOException e) {
      // No passwd file: numbers only.
    }
    return m;
  }
}
