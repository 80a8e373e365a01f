package org.neguard.harden.inventory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.neguard.harden.ProcessInfo;

/**
 * Finds which process holds each socket inode by reading every {@code /proc/PID/fd/*} link
 * ({@code socket:[INODE]}), as {@code ss -p} and {@code lsof} do. When several processes share a
 * socket (inetd and its children, pre-forked servers) the one with the lowest pid, normally the
 * parent that opened it, is kept.
 *
 * <p>Processes that vanish or cannot be read while walking are skipped: their sockets stay
 * without an owner, which {@link LocalInventory} reports.
 */
final class SocketOwners {
  private SocketOwners() {}

  /** The owner of each of {@code wanted}, for those an owner was found for. */
  static Map<Long, ProcessInfo> find(Path procRoot, Set<Long> wanted) {
    Map<Long, Integer> pidOf = new HashMap<>();
    try (DirectoryStream<Path> pids = Files.newDirectoryStream(procRoot)) {
      for (Path pidDir : pids) {
        String name = pidDir.getFileName().toString();
        if (!isPid(name)) {
          continue;
        }
        int pid = Integer.parseInt(name);
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(pidDir.resolve("fd"))) {
          for (Path fd : fds) {
            long inode = socketInode(fd);
            if (inode > 0 && wanted.contains(inode)) {
              pidOf.merge(inode, pid, Math::min);
            }
          }
        } catch (IOException | SecurityException e) {
          // Gone, or not ours to read (not root): its sockets stay unattributed.
        }
      }
    } catch (IOException e) {
      return Map.of();
    }
    Map<String, String> users = UserNames.names(Path.of("/etc/passwd"));
    Map<Integer, ProcessInfo> infos = new HashMap<>();
    Map<Long, ProcessInfo> out = new HashMap<>();
    pidOf.forEach((inode, pid) -> {
      ProcessInfo p = infos.computeIfAbsent(pid, x -> describe(procRoot, x, users));
      if (p != null) {
        out.put(inode, p);
      }
    });
    return out;
  }

  private static long socketInode(Path fd) {
    try {
      String target = Files.readSymbolicLink(fd).toString();
      if (target.startsWith("socket:[") && target.endsWith("]")) {
        return Long.parseLong(target.substring(8, target.length() - 1));
      }
    } catch (IOException | RuntimeException e) {
      // The descriptor closed meanwhile.
    }
    return -1;
  }

  private static ProcessInfo describe(Path procRoot, int pid, Map<String, String> users) {
    Path dir = procRoot.resolve(Integer.toString(pid));
    try {
      String comm = Files.readString(dir.resolve("comm"), StandardCharsets.UTF_8).strip();
      String exe;
      try {
        exe = Files.readSymbolicLink(dir.resolve("exe")).toString();
      } catch (IOException | SecurityException e) {
        exe = null; // kernel threads, or another user's process when not root
      }
      return new ProcessInfo(pid, comm, exe, owner(dir, users));
    } catch (IOException e) {
      return null;
    }
  }

  /** The process's real uid from its status file, named through the system's user database. */
  private static String owner(Path dir, Map<String, String> users) throws IOException {
    String uid = null;
    for (String line : Files.readAllLines(dir.resolve("status"), StandardCharsets.UTF_8)) {
      if (line.startsWith("Uid:")) {
        uid = line.substring(4).strip().split("\\s+")[0];
        break;
      }
    }
    return uid == null ? null : users.getOrDefault(uid, uid);
  }

  private static boolean isPid(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }
}
