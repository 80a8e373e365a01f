package org.neguard.measure;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A measured tree: its {@link TreeDigest} and the leaves it was computed from, sorted by path,
 * so that a digest that differs from its reference can name the files that differ.
 *
 * @param digest the tree digest ({@link TreeDigest#ALGORITHM}) of {@code leaves}
 * @param leaves one per measured entry, sorted by path (unsigned UTF-8 bytes)
 */
public record TreeMeasurement(String digest, List<TreeDigest.Leaf> leaves) {
  public TreeMeasurement {
    leaves = List.copyOf(leaves);
    if (!TreeDigest.of(leaves).equals(digest)) {
      throw new IllegalArgumentException("digest is not the tree digest of the leaves: "
          + digest);
    }
  }

  /** The measurement of {@code leaves}. */
  public static TreeMeasurement of(Collection<TreeDigest.Leaf> leaves) {
    // Each path encoded once (not once per comparison).
    TreeDigest.Leaf[] byIndex = leaves.toArray(new TreeDigest.Leaf[0]);
    byte[][] paths = new byte[byIndex.length][];
    Integer[] order = new Integer[byIndex.length];
    for (int i = 0; i < byIndex.length; i++) {
      paths[i] = byIndex[i].path().getBytes(java.nio.charset.StandardCharsets.UTF_8);
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> java.util.Arrays.compareUnsigned(paths[a], paths[b]));
    List<TreeDigest.Leaf> sorted = new ArrayList<>(byIndex.length);
    for (int i : order) {
      sorted.add(byIndex[i]);
    }
    return new TreeMeasurement(TreeDigest.of(sorted), sorted);
  }

  /**
   * How this measurement differs from {@code reference} (for example a package's manifest):
   * the paths whose digest or mode changed, the paths missing here, the paths only here.
   */
  public Diff diff(Collection<TreeDigest.Leaf> reference) {
    Map<String, TreeDigest.Leaf> here = new LinkedHashMap<>();
    for (TreeDigest.Leaf l : leaves) {
      here.put(l.path(), l);
    }
    List<String> changed = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (TreeDigest.Leaf r : reference) {
      TreeDigest.Leaf l = here.remove(r.path());
      if (l == null) {
        missing.add(r.path());
      } else if (!l.equals(r)) {
        changed.add(r.path());
      }
    }
    List<String> extra = new ArrayList<>(here.keySet());
    changed.sort(TreeMeasurement::compareUtf8);
    missing.sort(TreeMeasurement::compareUtf8);
    return new Diff(changed, missing, extra);
  }

  /** The files that differ from a reference, each list sorted by path. */
  public record Diff(List<String> changed, List<String> missing, List<String> extra) {
    public Diff {
      changed = List.copyOf(changed);
      missing = List.copyOf(missing);
      extra = List.copyOf(extra);
    }

    public boolean isEmpty() {
      return changed.isEmpty() && missing.isEmpty() && extra.isEmpty();
    }
  }

  static int compareUtf8(String a, String b) {
    return java.util.Arrays.compareUnsigned(a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
