package org.neguard.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SRC-3, INT-1: the audit export and the scan, hardening and inventory reports name this host;
 * on a fresh machine whose name no resolver knows (found in a Debian 12 chroot: every audit
 * export answered 400) that must not fail.
 */
class HostNameTest {
  @Test
  void local_isTheKernelsName() throws Exception {
    String kernel = Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.UTF_8)
        .trim();

    assertThat(HostName.local()).isEqualTo(kernel);
  }

  @Test
  void local_nameNoResolverKnows_stillTheKernelsName(@TempDir Path dir) throws Exception {
    // A JVM whose resolver is an empty hosts file: getLocalHost() throws there, as on a machine
    // whose name is in no /etc/hosts and no DNS.
    Path hosts = Files.writeString(dir.resolve("hosts"), "");
    String java = ProcessHandle.current().info().command().orElseThrow();
    Process p = new ProcessBuilder(List.of(java, "-Djdk.net.hosts.file=" + hosts,
        "-cp", System.getProperty("java.class.path"), Child.class.getName()))
        .redirectErrorStream(true).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    String kernel = Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.UTF_8)
        .trim();

    assertThat(out).isEqualTo("resolver failed; local=" + kernel);
    assertThat(p.exitValue()).isZero();
  }

  /** Run in the child JVM: shows the resolver fails there, and what {@link HostName} says. */
  public static final class Child {
    public static void main(String[] args) {
      String resolver;
      try {
        InetAddress.getLocalHost();
        resolver = "resolver answered";
      } catch (UnknownHostException e) {
        resolver = "resolver failed";
      }
      System.out.println(resolver + "; local=" + HostName.local());
    }
  }
}
