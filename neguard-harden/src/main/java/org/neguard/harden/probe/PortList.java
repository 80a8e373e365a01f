package org.neguard.harden.probe;

import java.util.BitSet;

/**
 * A set of ports written as nmap does: {@code 1-65535}, {@code 22,80,8000-8100}.
 *
 * <p>Immutable and thread-safe.
 */
public final class PortList {
  private final BitSet ports;
  private final String text;

  private PortList(BitSet ports, String text) {
    this.ports = ports;
    this.text = text;
  }

  /** Every port, 1-65535. */
  public static PortList all() {
    return parse("1-65535");
  }

  /**
   * Parses a comma-separated list of ports and ranges.
   *
   * @throws IllegalArgumentException naming the bad element (out of 1..65535, reversed range,
   *     not a number, empty)
   */
  public static PortList parse(String spec) {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("port list is empty: give ports like 1-65535 or 22,80");
    }
    BitSet set = new BitSet(65536);
    for (String part : spec.split(",", -1)) {
      String p = part.strip();
      if (p.isEmpty()) {
        throw new IllegalArgumentException("empty element in port list: '" + spec + "'");
      }
      int dash = p.indexOf('-');
      int lo;
      int hi;
      if (dash < 0) {
        lo = hi = number(p, spec);
      } else {
        lo = number(p.substring(0, dash).strip(), spec);
        hi = number(p.substring(dash + 1).strip(), spec);
        if (lo > hi) {
          throw new IllegalArgumentException("reversed port range '" + p + "': write " + hi + "-" + lo);
        }
      }
      set.set(lo, hi + 1);
    }
    return new PortList(set, spec.strip());
  }

  /** No port at all. */
  public static PortList none() {
    return new PortList(new BitSet(65536), "");
  }

  /** Exactly these ports. */
  public static PortList of(int... ports) {
    BitSet set = new BitSet(65536);
    StringBuilder sb = new StringBuilder();
    for (int p : ports) {
      check(p, Integer.toString(p));
      set.set(p);
      sb.append(sb.length() == 0 ? "" : ",").append(p);
    }
    return new PortList(set, sb.toString());
  }

  private static int number(String s, String spec) {
    int v;
    try {
      v = Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a port number: '" + s + "' in '" + spec + "'");
    }
    check(v, s);
    return v;
  }

  private static void check(int v, String s) {
    if (v < 1 || v > 65535) {
      throw new IllegalArgumentException("port out of range 1..65535: " + s);
    }
  }

  public int size() {
    return ports.cardinality();
  }

  public boolean contains(int port) {
    return port >= 1 && port <= 65535 && ports.get(port);
  }

  /** The ports in ascending order. */
  public int[] toArray() {
    return ports.stream().toArray();
  }

  @Override
  public String toString() {
    return text;
  }
}
