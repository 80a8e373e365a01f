package org.neguard.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The enforce mode of the port drift check (HRD-1, HRD-4; {@code enforce.ports=true}): the
 * listening ports (TCP, UDP and SCTP: an MME's S1-MME is SCTP) the server judged undeclared are
 * dropped by the agent's own nftables table,
 * {@code inet neguard_agent}, until the policy declares them. The agent touches no other table:
 * every change replaces its table whole in one {@code nft -f} transaction (create if absent,
 * delete, create with the new rules: all or nothing, so there is never a moment with half the
 * rules), and {@link #clear} deletes it. Needs CAP_NET_ADMIN.
 *
 * <p>The ruleset is written from validated {@link PortRef}s only (a keyword, a number, a
 * canonical IP literal) and handed to nft in a private file, never through a shell.
 * Not thread-safe: one caller (the agent's loop).
 */
public final class PortEnforcer {
  /** The agent's own table (family inet: IPv4 and IPv6 alike). */
  public static final String TABLE = "neguard_agent";
  /** At most this many rules: an inventory is bounded, and so is what it can make us write. */
  public static final int MAX_PORTS = 4096;
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final List<String> nft;

  /**
   * @param nft the nft command to run ({@code List.of("nft")} on the NE; a test prefixes
   *     {@code ip netns exec NS})
   */
  public PortEnforcer(List<String> nft) {
    if (nft.isEmpty()) {
      throw new IllegalArgumentException("no nft command");
    }
    this.nft = List.copyOf(nft);
  }

  /** The host's own {@code nft}, found on PATH. */
  public static PortEnforcer system() {
    return new PortEnforcer(List.of("nft"));
  }

  /**
   * Blocks exactly {@code ports} (incoming packets to them are dropped), replacing what was
   * blocked before in one transaction; an empty set removes the table ({@link #clear}).
   *
   * @throws IllegalArgumentException more than {@link #MAX_PORTS}
   * @throws IOException nft failed (its message included); the table is then as it was
   */
  public void apply(Set<PortRef> ports) throws IOException {
    Objects.requireNonNull(ports, "ports");
    if (ports.isEmpty()) {
      clear();
      return;
    }
    run(ruleset(ports));
  }

  /** Removes the agent's table (nothing blocked); nothing happens when there is none. */
  public void clear() throws IOException {
    // Declaring the table first makes the delete valid whether it exists or not.
    run("table inet " + TABLE + "\ndelete table inet " + TABLE + "\n");
  }

  /** The transaction that replaces the table with one blocking {@code ports}. */
  static String ruleset(Set<PortRef> ports) {
    if (ports.size() > MAX_PORTS) {
      throw new IllegalArgumentException(ports.size() + " ports to block, more than "
          + MAX_PORTS);
    }
    TreeSet<PortRef> sorted = new TreeSet<>(Comparator.comparing(PortRef::protocol)
        .thenComparingInt(PortRef::port)
        .thenComparing(p -> p.address() == null ? "" : p.address()));
    sorted.addAll(ports);
    StringBuilder b = new StringBuilder();
    b.append("table inet ").append(TABLE).append('\n');
    b.append("delete table inet ").append(TABLE).append('\n');
    b.append("table inet ").append(TABLE).append(" {\n");
    b.append("  chain input {\n");
    // Before the usual filter chains (priority 0): ours drops first, others are untouched.
    b.append("    type filter hook input priority -10; policy accept;\n");
    for (PortRef p : sorted) {
      b.append("    ");
      if (p.address() != null) {
        b.append(p.ipv6() ? "ip6" : "ip").append(" daddr ").append(p.address()).append(' ');
      }
      // counter: what each rule dropped, for the operator (nft list table inet neguard_agent).
      b.append(p.protocol()).append(" dport ").append(p.port()).append(" counter drop\n");
    }
    b.append("  }\n}\n");
    return b.toString();
  }

  private void run(String script) throws IOException {
    // The ruleset in a private file (0600) for nft -f; CommandRunner bounds the output and kills
    // nft at the timeout.
    Path f = Files.createTempFile("neguard-nft-", ".nft",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.writeString(f, script, StandardCharsets.US_ASCII);
      List<String> cmd = new ArrayList<>(nft);
      cmd.add("-f");
      cmd.add(f.toString());
      CommandRunner.Result r = CommandRunner.run(cmd, f.getParent(), Map.of(), TIMEOUT);
      if (!r.ok()) {
        throw new IOException(String.join(" ", nft) + " -f failed: " + r.describe());
      }
    } finally {
      Files.deleteIfExists(f);
    }
  }
}
