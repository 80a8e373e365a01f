package org.neguard.agent;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.neguard.api.device.InventoryLimits;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.ProcessInfo;

/**
 * Fits a socket inventory within what the server accepts ({@link InventoryLimits}). Any local
 * user can open thousands of listening sockets, or run a listener from a path thousands of
 * characters long; sent whole, such an inventory would be refused every time, and the server
 * would know nothing newer than the last report it took. Fitted, it is judged: first each
 * socket's evidence is dropped and long names are cut (the server keeps neither); if that is not
 * enough, sockets are left out, those of the users with the most sockets first (a user, unlike
 * an executable's name, is not the flooder's to choose), so that a user flooding the table loses
 * its own sockets rather than another user's; and the report says so and is marked incomplete,
 * which never passes, resolves no finding, and is alerted by the server. A socket of the
 * flooding user itself may be among those left out: only a report that lists every socket
 * shows it. An agent not running as root sees no socket's owner, so it cannot tell users apart
 * and leaves sockets out in the inventory's order. Stateless and thread-safe.
 */
public final class InventoryBudget {
  /** An executable path is cut to this many characters when the inventory is too large. */
  static final int EXECUTABLE_CHARS = 256;
  /** A user or command name is cut to this many characters then. */
  static final int NAME_CHARS = 64;
  /**
   * A multi-homed SCTP endpoint keeps this many of its addresses then (any user can bind one to
   * thousands of loopback addresses); the server keys such an endpoint by fewer still.
   */
  static final int ADDRESSES = 16;

  private InventoryBudget() {}

  /** {@code o} fitted within the server's limits ({@link InventoryLimits}). */
  public static Observation fit(Observation o) {
    return fit(o, InventoryLimits.MAX_PORTS, InventoryLimits.MAX_BYTES);
  }

  /**
   * What is sent: {@code o} fitted and encoded ({@link ObservationCodec}). An inventory that
   * fits as taken, the usual case, is encoded once.
   */
  static Fitted encode(Observation o) {
    byte[] whole = ObservationCodec.encode(o);
    if (o.ports().size() <= InventoryLimits.MAX_PORTS
        && whole.length <= InventoryLimits.MAX_BYTES) {
      return new Fitted(o, whole);
    }
    Observation fitted = fit(o);
    return new Fitted(fitted, ObservationCodec.encode(fitted));
  }

  /** An observation as sent, and its JSON. */
  record Fitted(Observation observation, byte[] json) {}

  /**
   * {@code o} itself when it lists at most {@code maxPorts} sockets in at most {@code maxBytes}
   * of JSON; else a lighter copy, and if needed one with sockets left out and marked incomplete,
   * that does. Only an inventory whose notes and parameters alone exceed {@code maxBytes} does
   * not fit: it is returned without sockets, and the server refuses it.
   */
  static Observation fit(Observation o, int maxPorts, int maxBytes) {
    if (o.ports().size() <= maxPorts && ObservationCodec.encode(o).length <= maxBytes) {
      return o;
    }
    List<ObservedPort> light = o.ports().stream().map(InventoryBudget::light).toList();
    Observation lighter = with(o, light, o.complete(), o.notes());
    if (light.size() <= maxPorts && ObservationCodec.encode(lighter).length <= maxBytes) {
      return lighter;
    }
    // The users with the most sockets go first, each user's sockets in inventory order.
    Map<String, Integer> perOwner = new HashMap<>();
    light.forEach(p -> perOwner.merge(owner(p), 1, Integer::sum));
    List<ObservedPort> byFewest = new ArrayList<>(light);
    byFewest.sort(Comparator.comparingInt(p -> perOwner.get(owner(p))));
    // The most sockets that fit: the encoded size grows with each socket kept.
    int lo = 0;
    int hi = Math.min(maxPorts, byFewest.size());
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (ObservationCodec.encode(cut(o, light, byFewest, mid, perOwner)).length <= maxBytes) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return cut(o, light, byFewest, lo, perOwner);
  }

  /** {@code o} with the first {@code keep} of {@code ranked}, in {@code light}'s order. */
  private static Observation cut(Observation o, List<ObservedPort> light,
      List<ObservedPort> ranked, int keep, Map<String, Integer> perOwner) {
    Set<ObservedPort> kept = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    kept.addAll(ranked.subList(0, keep));
    List<ObservedPort> ports = light.stream().filter(kept::contains).toList();
    Map<String, Integer> leftOut = new HashMap<>();
    ranked.subList(keep, ranked.size()).forEach(p -> leftOut.merge(owner(p), 1, Integer::sum));
    String most = leftOut.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(3)
        .map(e -> e.getValue() + " of " + e.getKey() + " (" + perOwner.get(e.getKey())
            + " in all)").collect(Collectors.joining(", "));
    List<String> notes = new ArrayList<>(o.notes());
    notes.add((ranked.size() - keep) + " of " + ranked.size() + " listening sockets left out:"
        + " the whole inventory exceeds what the server accepts (" + InventoryLimits.MAX_PORTS
        + " sockets, " + InventoryLimits.MAX_BYTES + " bytes); left out first, the sockets of"
        + " the users with the most: " + most + ". A user may be opening sockets to hide"
        + " another: look at this NE");
    return with(o, ports, false, notes);
  }

  private static Observation with(Observation o, List<ObservedPort> ports, boolean complete,
      List<String> notes) {
    return new Observation(o.source(), o.host(), o.scanner(), o.tool(), o.started(),
        o.finished(), complete, o.parameters(), ports, notes, o.protocolProbes(),
        o.machineId());
  }

  /** The socket without its evidence, its owner's names and its address list cut. */
  private static ObservedPort light(ObservedPort p) {
    ProcessInfo owner = p.process();
    ProcessInfo cut = owner == null ? null : new ProcessInfo(owner.pid(),
        clip(owner.name(), NAME_CHARS), clip(owner.executable(), EXECUTABLE_CHARS),
        clip(owner.user(), NAME_CHARS));
    String[] addresses = p.address().split(" ");
    String address = addresses.length <= ADDRESSES ? p.address()
        : String.join(" ", java.util.Arrays.copyOf(addresses, ADDRESSES));
    return new ObservedPort(p.transport(), address, p.port(), p.state(), p.service(), null,
        cut, p.snmp(), p.cpe());
  }

  /** Who a socket belongs to, as the report can say it: its process's user. */
  private static String owner(ObservedPort p) {
    ProcessInfo o = p.process();
    return o == null ? "no known process" : "user " + o.user();
  }

  private static String clip(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max - 3) + "...";
  }
}
