package org.neguard.vuln;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * NVD CVEs by id (to grade OSV findings with NVD's CVSS) and by the vendor and product their
 * configurations name (to match CPEs). Built once, then read-only and thread-safe.
 */
final class NvdIndex {
  static final NvdIndex EMPTY = new NvdIndex(Map.of(), Map.of());

  private final Map<String, NvdCve> byId;
  private final Map<String, List<NvdCve>> byProduct;

  private NvdIndex(Map<String, NvdCve> byId, Map<String, List<NvdCve>> byProduct) {
    this.byId = byId;
    this.byProduct = byProduct;
  }

  /**
   * Indexes the CVEs of several feeds. A CVE in two feeds (a yearly file and NVD's "modified"
   * file) is kept as the one NVD modified last.
   */
  static NvdIndex of(List<List<NvdCve>> feeds) {
    Map<String, NvdCve> byId = new HashMap<>();
    for (List<NvdCve> feed : feeds) {
      for (NvdCve c : feed) {
        byId.merge(c.id(), c, (a, b) -> b.lastModified().isAfter(a.lastModified()) ? b : a);
      }
    }
    Map<String, List<NvdCve>> byProduct = new HashMap<>();
    for (NvdCve c : byId.values()) {
      Set<String> keys = new LinkedHashSet<>();
      for (CpeRange r : c.configurations()) {
        keys.add(key(r.cpe()));
      }
      for (String k : keys) {
        byProduct.computeIfAbsent(k, x -> new ArrayList<>()).add(c);
      }
    }
    byProduct.values().forEach(l -> l.sort(java.util.Comparator.comparing(NvdCve::id)));
    return new NvdIndex(byId, byProduct);
  }

  static String key(Cpe cpe) {
    return cpe.vendor() + ":" + cpe.product();
  }

  Optional<NvdCve> cve(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  /** The CVEs whose configurations name {@code product}'s vendor and product. */
  List<NvdCve> naming(Cpe product) {
    return byProduct.getOrDefault(key(product), List.of());
  }

  int size() {
    return byId.size();
  }
}
