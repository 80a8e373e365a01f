package org.neguard.vuln;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One CVE as an NVD CVE API 2.0 feed gives it, with what matching and grading need.
 *
 * @param id {@code CVE-2024-6387}
 * @param lastModified NVD's {@code lastModified} (NVD writes UTC without a zone)
 * @param description the English description, or empty
 * @param metrics the CVSS metrics, best first: v4.0, v3.1, v3.0, v2, and within a version
 *     the {@code Primary} (NVD's own) before {@code Secondary} (a CNA's) ones
 * @param configurations every {@code cpeMatch} of every configuration, flattened, in feed
 *     order (for indexing by vendor and product)
 * @param tree the configurations as NVD gives them (AND/OR, negate), which
 *     {@link CpeMatcher} evaluates; the five-argument constructor makes one OR node of
 *     {@code configurations}
 */
public record NvdCve(String id, Instant lastModified, String description, List<Cvss> metrics,
    List<CpeRange> configurations, List<Configuration> tree) {
  public NvdCve {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(lastModified, "lastModified");
    Objects.requireNonNull(description, "description");
    metrics = List.copyOf(metrics);
    configurations = List.copyOf(configurations);
    tree = List.copyOf(tree);
    // The flat list and the tree are two views of one thing: refuse a record where they differ,
    // or an index built from one would disagree with a match evaluated on the other.
    if (!flatten(tree).equals(configurations)) {
      throw new IllegalArgumentException(id + ": configurations are not the tree's cpeMatches");
    }
  }

  /** A CVE whose configurations are one OR of {@code configurations} (the common case). */
  public NvdCve(String id, Instant lastModified, String description, List<Cvss> metrics,
      List<CpeRange> configurations) {
    this(id, lastModified, description, metrics, configurations, configurations.isEmpty()
        ? List.of() : List.of(new Configuration(Operator.OR, false,
            List.of(new Node(Operator.OR, false, configurations)))));
  }

  /** The best metric (first of {@link #metrics}), if NVD or a CNA scored it. */
  public Optional<Cvss> bestMetric() {
    return metrics.isEmpty() ? Optional.empty() : Optional.of(metrics.get(0));
  }

  /** AND or OR. */
  public enum Operator {
    AND, OR
  }

  /**
   * One element of NVD's {@code configurations}: its nodes combined by {@code operator}
   * (NVD omits it for a single node: OR).
   */
  public record Configuration(Operator operator, boolean negate, List<Node> nodes) {
    public Configuration {
      Objects.requireNonNull(operator, "operator");
      nodes = List.copyOf(nodes);
    }
  }

  /** One node: its {@code cpeMatch}es combined by {@code operator}, negated if {@code negate}. */
  public record Node(Operator operator, boolean negate, List<CpeRange> cpeMatch) {
    public Node {
      Objects.requireNonNull(operator, "operator");
      cpeMatch = List.copyOf(cpeMatch);
    }
  }

  private static List<CpeRange> flatten(List<Configuration> tree) {
    List<CpeRange> out = new ArrayList<>();
    for (Configuration c : tree) {
      for (Node n : c.nodes()) {
        out.addAll(n.cpeMatch());
      }
    }
    return out;
  }
}
