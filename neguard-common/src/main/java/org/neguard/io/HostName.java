package org.neguard.io;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This host's name, as reports, evidence and the audit export record it.
 *
 * <p>The kernel's own name comes first: {@link InetAddress#getLocalHost()} also resolves it, and
 * on a machine whose name is in no hosts file or DNS (a fresh container, a chroot, an NE on an
 * isolated network) that throws, which once turned every audit export into an error. The
 * resolver is asked only where there is no {@code /proc}. Thread-safe.
 */
public final class HostName {
  private static final Path KERNEL = Path.of("/proc/sys/kernel/hostname");

  private HostName() {}

  /** The host's name; {@code "localhost"} when neither the kernel nor the resolver tells it. */
  public static String local() {
    try {
      String name = Files.readString(KERNEL, StandardCharsets.UTF_8).trim();
      if (!name.isEmpty()) {
        return name;
      }
    } catch (IOException e) {
      // no /proc (not Linux): the resolver below
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }
}
