package org.neguard.evidence;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Test cases run together against one target: a JUnit {@code <testsuite>}.
 *
 * @param name the suite's name ({@code TC_NO_UNNECESSARY_SERVICE}, {@code evidence-authz})
 * @param cases its test cases, in order
 * @param properties what a reader needs to repeat the run (tool, target, parameters), in order
 * @param started when the run started, or null
 * @param finished when it finished, or null
 * @param hostname the host the tests ran from, or null
 */
public record Suite(
    String name,
    List<TestCase> cases,
    Map<String, String> properties,
    Instant started,
    Instant finished,
    String hostname) {
  public Suite {
    Objects.requireNonNull(name, "name");
    cases = List.copyOf(cases);
    // Insertion order is the order a reader sees; null values are kept out of the copy.
    Map<String, String> p = new LinkedHashMap<>();
    properties.forEach((k, v) -> p.put(k, v == null ? "" : v));
    properties = java.util.Collections.unmodifiableMap(p);
  }

  /** How many of its cases came out {@code o}. */
  public long count(Outcome o) {
    return cases.stream().filter(c -> c.outcome() == o).count();
  }
}
