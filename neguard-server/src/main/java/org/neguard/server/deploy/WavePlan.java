package org.neguard.server.deploy;

import java.util.ArrayList;
import java.util.List;

/** Wave sizes from the request's specs: counts ({@code "10"}) or percentages ({@code "25%"}). */
final class WavePlan {
  private WavePlan() {}

  /**
   * The sizes of the waves for {@code total} targets: each spec in order, capped at what is
   * left; the last wave takes the rest; waves left with nothing are dropped. A percentage is of
   * all targets, rounded up, at least one device.
   *
   * @throws IllegalArgumentException naming a spec that is not a positive count or 1 to 100%
   */
  static List<Integer> sizes(List<String> specs, int total) {
    List<Integer> sizes = new ArrayList<>();
    int left = total;
    List<String> all = specs == null ? List.of() : specs;
    for (int i = 0; i < all.size() && left > 0; i++) {
      int size = Math.min(left, size(all.get(i), total));
      sizes.add(size);
      left -= size;
    }
    if (left > 0) {
      if (sizes.isEmpty()) {
        sizes.add(left);
      } else {
        sizes.set(sizes.size() - 1, sizes.get(sizes.size() - 1) + left);
      }
    }
    return sizes;
  }

  private static int size(String spec, int total) {
    if (spec == null || !spec.matches("[0-9]{1,9}%?")) {
      throw new IllegalArgumentException(
          "wave '" + spec + "' is not a device count (\"10\") or a percentage (\"25%\")");
    }
    if (spec.endsWith("%")) {
      int percent = Integer.parseInt(spec.substring(0, spec.length() - 1));
      if (percent < 1 || percent > 100) {
        throw new IllegalArgumentException("wave '" + spec + "' is not 1% to 100%");
      }
      return Math.max(1, (int) ((total * (long) percent + 99) / 100));
    }
    int count = Integer.parseInt(spec);
    if (count < 1) {
      throw new IllegalArgumentException("wave '" + spec + "' has no device");
    }
    return count;
  }
}
