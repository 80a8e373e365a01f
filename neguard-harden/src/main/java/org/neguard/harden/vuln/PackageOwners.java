package org.neguard.harden.vuln;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Which installed Debian package owns an executable, from dpkg's file lists ({@code
 * /var/lib/dpkg/info/PACKAGE[:ARCH].list}, one path per line), as {@code dpkg -S} answers it,
 * without running dpkg (the lists may be an NE's, copied here).
 *
 * <p>Bounded: at most {@value #MAX_LISTS} lists, each read no further than {@value
 * #MAX_LIST_BYTES} bytes, {@value #MAX_TOTAL_BYTES} bytes in all; beyond that the lookup is
 * refused rather than answered from part of the lists, since a missed owner would hide a
 * listener's findings' reachability.
 *
 * <p>On a merged-/usr system (Debian 12) {@code /bin}, {@code /sbin} and {@code /lib*} are links
 * into {@code /usr}, and the kernel names a process's executable by its real path ({@code
 * /usr/bin/bash}) while bash's list says {@code /bin/bash}: both spellings are looked up.
 */
public final class PackageOwners {
  static final int MAX_LISTS = 100_000;
  static final long MAX_LIST_BYTES = 16L << 20;
  static final long MAX_TOTAL_BYTES = 1L << 30;

  private final Map<String, String> owners;

  private PackageOwners(Map<String, String> owners) {
    this.owners = Map.copyOf(owners);
  }

  /**
   * The owners of {@code executables} according to the lists in {@code infoDir}.
   *
   * @throws RefusalException BAD_INPUT when the lists exceed the bounds
   */
  public static PackageOwners lookUp(Path infoDir, Collection<String> executables)
      throws IOException, RefusalException {
    Map<String, String> wanted = new HashMap<>(); // spelling -> executable asked for
    for (String exe : executables) {
      for (String spelling : spellings(exe)) {
        // Compared byte for byte: the lists are read as Latin-1, which maps every byte, so a
        // path that is not UTF-8 cannot stop the reading of a list halfway.
        wanted.putIfAbsent(new String(spelling.getBytes(StandardCharsets.UTF_8),
            StandardCharsets.ISO_8859_1), exe);
      }
    }
    Map<String, String> found = new HashMap<>();
    if (wanted.isEmpty()) {
      return new PackageOwners(found);
    }
    List<Path> lists = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(infoDir, "*.list")) {
      for (Path p : ds) {
        if (lists.size() >= MAX_LISTS) {
          throw RefusalException.about(ReasonCode.BAD_INPUT, infoDir.toString(), infoDir
              + " holds more than " + MAX_LISTS + " package file lists: not a dpkg database");
        }
        lists.add(p);
      }
    }
    lists.sort(null); // deterministic: the first owner by name wins, as dpkg -S lists them
    // Sizes first (a stat each): the bounds hold whatever the lists hold and wherever the
    // executables are found, so reading may stop as soon as every one has its owner.
    long total = 0;
    for (Path list : lists) {
      long size = Files.size(list);
      if (size > MAX_LIST_BYTES || (total += size) > MAX_TOTAL_BYTES) {
        throw RefusalException.about(ReasonCode.BAD_INPUT, list.toString(), list + ": the"
            + " package file lists are larger than a dpkg database can be (" + MAX_LIST_BYTES
            + " bytes a list, " + MAX_TOTAL_BYTES + " in all)");
      }
    }
    long wantedExecutables = wanted.values().stream().distinct().count();
    for (Path list : lists) {
      if (found.size() == wantedExecutables) {
        break;
      }
      String name = list.getFileName().toString();
      String pkg = name.substring(0, name.length() - ".list".length());
      int colon = pkg.indexOf(':');
      pkg = colon < 0 ? pkg : pkg.substring(0, colon); // multi-arch: bash:amd64.list
      try (BufferedReader r = Files.newBufferedReader(list, StandardCharsets.ISO_8859_1)) {
        for (String line; (line = r.readLine()) != null; ) {
          String exe = wanted.get(line);
          if (exe != null) {
            found.putIfAbsent(exe, pkg);
          }
        }
      }
    }
    return new PackageOwners(found);
  }

  /** The package owning {@code executable}, if one does. */
  public Optional<String> owner(String executable) {
    return Optional.ofNullable(owners.get(executable));
  }

  /** An executable and its merged-/usr alias ({@code /usr/bin/x} and {@code /bin/x}). */
  static Set<String> spellings(String exe) {
    Set<String> out = new LinkedHashSet<>();
    out.add(exe);
    for (String top : List.of("bin/", "sbin/", "lib/", "lib32/", "lib64/", "libx32/")) {
      if (exe.startsWith("/usr/" + top)) {
        out.add(exe.substring(4));
      } else if (exe.startsWith("/" + top)) {
        out.add("/usr" + exe);
      }
    }
    return out;
  }
}
