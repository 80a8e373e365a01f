package org.neguard.harden.eval;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.Transport;
import org.neguard.harden.policy.AllowedPort;
import org.neguard.harden.policy.Baseline;
import org.neguard.harden.policy.ForbiddenRule;
import org.neguard.harden.policy.Policy;
import org.neguard.harden.policy.PortKey;

/**
 * What a scan did not examine is not closed. A NEGuard scan records the port ranges it examined
 * in its parameters ({@code tcpPorts}, {@code udpPorts}, {@code sctpPorts}, as {@code 1-1024,8080});
 * every port the policy cares about (forbidden or declared) that lies outside them, and that the
 * observation does not list, is added as {@code NOT_CHECKED}, so that a narrow scan cannot pass
 * HRD-5 by leaving the forbidden ports out. A range that cannot be read covers nothing (fail
 * closed). Observations without these parameters (an inventory lists every listener; the nmap
 * importer adds its own NOT_CHECKED ports) are taken as they are.
 */
final class Coverage {
  static final Map<Transport, String> KEYS = Map.of(
      Transport.TCP, "tcpPorts", Transport.UDP, "udpPorts", Transport.SCTP, "sctpPorts");

  private Coverage() {}

  /** The observation's ports, plus a NOT_CHECKED entry for each unexamined port of interest. */
  static List<ObservedPort> ports(Policy policy, Observation o) {
    List<ObservedPort> out = new ArrayList<>(o.ports());
    if (KEYS.values().stream().noneMatch(o.parameters()::containsKey)) {
      return out;
    }
    Set<PortKey> listed = new TreeSet<>();
    for (ObservedPort p : o.ports()) {
      listed.add(new PortKey(p.transport(), p.port()));
    }
    String address = o.parameters().getOrDefault("address", o.host());
    for (PortKey k : interesting(policy)) {
      if (listed.contains(k)) {
        continue;
      }
      String key = KEYS.get(k.transport());
      String spec = o.parameters().get(key);
      BitSet covered = spec == null ? new BitSet() : parse(spec);
      if (!covered.get(k.port())) {
        out.add(new ObservedPort(k.transport(), address, k.port(), PortState.NOT_CHECKED, null,
            "not examined: outside the scan's " + key + " ("
                + (spec == null ? "none" : spec.isBlank() ? "empty" : spec) + ")",
            null, List.of()));
      }
    }
    return out;
  }

  static Set<PortKey> interesting(Policy policy) {
    Set<PortKey> keys = new TreeSet<>(Baseline.ports());
    for (ForbiddenRule r : policy.extensions()) {
      keys.addAll(r.ports());
    }
    for (AllowedPort a : policy.allowed()) {
      keys.add(a.key());
    }
    return keys;
  }

  /** Reads {@code 1-1024,8080}; anything unreadable covers nothing. */
  static BitSet parse(String spec) {
    BitSet b = new BitSet(65536);
    String s = spec.strip().toLowerCase(Locale.ROOT);
    if (s.isEmpty()) {
      return b;
    }
    for (String part : s.split(",")) {
      String p = part.strip();
      if (!p.matches("\\d{1,5}(-\\d{1,5})?")) {
        return new BitSet();
      }
      int dash = p.indexOf('-');
      int lo = Integer.parseInt(dash < 0 ? p : p.substring(0, dash));
      int hi = dash < 0 ? lo : Integer.parseInt(p.substring(dash + 1));
      if (lo < 1 || hi > 65535 || hi < lo) {
        return new BitSet();
      }
      b.set(lo, hi + 1);
    }
    return b;
  }
}
