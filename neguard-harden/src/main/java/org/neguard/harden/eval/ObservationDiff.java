package org.neguard.harden.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.ProcessInfo;
import org.neguard.harden.SnmpAccess;
import org.neguard.measure.Sha256;

/**
 * What changed between two observations of the same NE: ports added, removed, or changed in
 * state, service, owning program, SNMP access or protocol versions served. TS 33.117 §4.3.2.1 asks for the port check to
 * be repeated after a reboot; this shows the NE behaves the same (and the server will use it to
 * alert on drift). Process IDs are not compared: they change at every start.
 *
 * @param before the first observation
 * @param after the second
 * @param changes every difference, ordered by port, transport and address
 */
public record ObservationDiff(Observation before, Observation after, List<Change> changes) {
  /** What kind of change. */
  public enum Kind {
    ADDED,
    REMOVED,
    CHANGED
  }

  /**
   * One difference.
   *
   * @param kind added, removed or changed
   * @param key {@code tcp/22 on 0.0.0.0}
   * @param before the port before (null when added)
   * @param after the port after (null when removed)
   * @param what for CHANGED, each field that differs: {@code state OPEN -> FILTERED}
   */
  public record Change(
      Kind kind, String key, ObservedPort before, ObservedPort after, List<String> what) {
    public Change {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(key, "key");
      what = List.copyOf(what);
    }

    /** One line for people. */
    public String describe() {
      return switch (kind) {
        case ADDED -> "added    " + key + " " + summary(after);
        case REMOVED -> "removed  " + key + " " + summary(before);
        case CHANGED -> "changed  " + key + ": " + String.join("; ", what);
      };
    }
  }

  public ObservationDiff {
    Objects.requireNonNull(before, "before");
    Objects.requireNonNull(after, "after");
    changes = List.copyOf(changes);
  }

  /** Whether the two observations show the same ports, states, services and programs. */
  public boolean same() {
    return changes.isEmpty();
  }

  /** Compares two observations. */
  public static ObservationDiff of(Observation a, Observation b) {
    Map<String, ObservedPort> before = index(a);
    Map<String, ObservedPort> after = index(b);
    List<Change> changes = new ArrayList<>();
    for (Map.Entry<String, ObservedPort> e : before.entrySet()) {
      ObservedPort x = e.getValue();
      ObservedPort y = after.get(e.getKey());
      if (y == null) {
        changes.add(new Change(Kind.REMOVED, e.getKey(), x, null, List.of()));
        continue;
      }
      List<String> what = new ArrayList<>();
      differs(what, "state", x.state(), y.state());
      differs(what, "service", x.service(), y.service());
      differs(what, "program", program(x.process()), program(y.process()));
      differs(what, "SNMP access", snmp(x), snmp(y));
      differs(what, "versions served", served(a, x), served(b, y));
      if (!what.isEmpty()) {
        changes.add(new Change(Kind.CHANGED, e.getKey(), x, y, what));
      }
    }
    for (Map.Entry<String, ObservedPort> e : after.entrySet()) {
      if (!before.containsKey(e.getKey())) {
        changes.add(new Change(Kind.ADDED, e.getKey(), null, e.getValue(), List.of()));
      }
    }
    changes.sort(Comparator.comparing((Change c) -> port(c).port())
        .thenComparing(c -> port(c).transport())
        .thenComparing(c -> port(c).address()));
    return new ObservationDiff(a, b, changes);
  }

  private static ObservedPort port(Change c) {
    return c.after() != null ? c.after() : c.before();
  }

  private static Map<String, ObservedPort> index(Observation o) {
    Map<String, ObservedPort> m = new LinkedHashMap<>();
    for (ObservedPort p : o.ports()) {
      // The same socket listed twice (IPv4-mapped duplicates) keeps its first entry; a second
      // program on the same port (SO_REUSEPORT) is a listener of its own and must show.
      String k = key(p);
      ObservedPort first = m.get(k);
      if (first != null && !Objects.equals(program(first.process()), program(p.process()))) {
        k = k + " by " + program(p.process());
      }
      m.putIfAbsent(k, p);
    }
    return m;
  }

  static String key(ObservedPort p) {
    return p.transport().name().toLowerCase(Locale.ROOT) + "/" + p.port() + " on " + p.address();
  }

  private static void differs(List<String> what, String field, Object x, Object y) {
    if (!Objects.equals(x, y)) {
      what.add(field + " " + (x == null ? "-" : x) + " -> " + (y == null ? "-" : y));
    }
  }

  private static String program(ProcessInfo p) {
    return p == null ? null
        : (p.executable() != null ? p.executable() : p.name()) + " (user " + p.user() + ")";
  }

  /**
   * The protocol versions a scan saw served on this port ({@code snmp v2c, v3}); only what was
   * served, since silence and an ICMP refusal may alternate between two runs without meaning.
   */
  private static String served(Observation o, ObservedPort p) {
    List<String> v = o.protocolProbes().stream()
        .filter(r -> r.transport() == p.transport() && r.port() == p.port()
            && r.result() == org.neguard.harden.ProtocolProbe.Result.SERVED)
        .map(r -> r.protocol() + " " + r.version()).distinct().sorted().toList();
    return v.isEmpty() ? null : String.join(", ", v);
  }

  private static String snmp(ObservedPort p) {
    if (p.snmp().isEmpty()) {
      return null;
    }
    return p.snmp().stream()
        .sorted(Comparator.comparing(SnmpAccess::version).thenComparing(SnmpAccess::community))
        .map(s -> s.version() + " community#" + tag(s.community()) + " " + s.access())
        .reduce((x, y) -> x + ", " + y).orElse(null);
  }

  /** A community is a secret: compare and show a short digest of it, never the text. */
  private static String tag(String community) {
    return Sha256.hex(community.getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .substring(0, 8);
  }

  private static String summary(ObservedPort p) {
    return p.state() + (p.service() == null ? "" : " " + p.service())
        + (p.process() == null ? "" : " " + program(p.process()));
  }
}
