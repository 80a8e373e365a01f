package org.neguard.server.vuln;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.api.vuln.FleetAdvisory;
import org.neguard.api.vuln.VulnFinding;

/**
 * The fleet view by advisory: each device's findings gathered into one row per advisory, package
 * and fixed version (NEs of different releases get different fixed versions, each its own row),
 * counting the NEs that run it and those that expose it through a port. Not thread-safe: one per
 * fleet view.
 */
final class FleetAdvisories {
  private record Key(String advisoryId, String packageName, String fixedVersion) {}

  private static final class Row {
    final VulnFinding first;
    final List<String> reachable = new ArrayList<>();
    final List<String> dormant = new ArrayList<>();

    Row(VulnFinding first) {
      this.first = first;
    }
  }

  private final Map<Key, Row> rows = new LinkedHashMap<>();

  /** Adds device {@code deviceId}'s findings (a device counted once per row). */
  void add(String deviceId, List<VulnFinding> findings) {
    for (VulnFinding f : findings) {
      Row r = rows.computeIfAbsent(new Key(f.advisoryId(), f.packageName(), f.fixedVersion()),
          k -> new Row(f));
      if (r.reachable.contains(deviceId)) {
        continue;
      }
      if (f.reachable()) {
        r.dormant.remove(deviceId);
        r.reachable.add(deviceId);
      } else if (!r.dormant.contains(deviceId)) {
        r.dormant.add(deviceId);
      }
    }
  }

  /** The rows: most severe first, then the most NEs exposing it, the most running it, by id. */
  List<FleetAdvisory> list() {
    List<FleetAdvisory> out = new ArrayList<>();
    for (Row r : rows.values()) {
      List<String> ids = new ArrayList<>(r.reachable);
      ids.addAll(r.dormant);
      VulnFinding f = r.first;
      out.add(new FleetAdvisory(f.advisoryId(), f.cves(), f.severity(), f.score(),
          f.packageName(), f.fixedVersion(), ids.size(), r.reachable.size(),
          ids.subList(0, Math.min(ids.size(), FleetAdvisory.MAX_DEVICE_IDS))));
    }
    out.sort(Comparator.comparingInt((FleetAdvisory a) -> rank(a.severity()))
        .thenComparing(Comparator.comparingInt(FleetAdvisory::reachable).reversed())
        .thenComparing(Comparator.comparingInt(FleetAdvisory::devices).reversed())
        .thenComparing(FleetAdvisory::advisoryId)
        .thenComparing(FleetAdvisory::packageName));
    return out;
  }

  /** The fleet's order of severities, as the devices are ranked: unknown after high. */
  static int rank(String severity) {
    return switch (severity) {
      case "CRITICAL" -> 0;
      case "HIGH" -> 1;
      case "UNKNOWN" -> 2;
      case "MEDIUM" -> 3;
      default -> 4;
    };
  }
}
