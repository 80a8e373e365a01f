package org.neguard.harden.policy;

import java.util.Locale;
import java.util.Objects;
import org.neguard.harden.Transport;

/**
 * A transport and a port number, written {@code tcp/22}: the key of declared and forbidden
 * entries.
 *
 * @param transport TCP, UDP or SCTP
 * @param port 1..65535
 */
public record PortKey(Transport transport, int port) implements Comparable<PortKey> {
  public PortKey {
    Objects.requireNonNull(transport, "transport");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range 1..65535: " + port);
    }
  }

  public static PortKey of(Transport transport, int port) {
    return new PortKey(transport, port);
  }

  public static PortKey tcp(int port) {
    return new PortKey(Transport.TCP, port);
  }

  public static PortKey udp(int port) {
    return new PortKey(Transport.UDP, port);
  }

  @Override
  public int compareTo(PortKey o) {
    int c = Integer.compare(port, o.port);
    return c != 0 ? c : transport.compareTo(o.transport);
  }

  @Override
  public String toString() {
    return transport.name().toLowerCase(Locale.ROOT) + "/" + port;
  }
}
