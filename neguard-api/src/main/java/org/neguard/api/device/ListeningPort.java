package org.neguard.api.device;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One listening socket as the agent's inventory saw it (port drift, HRD-1, HRD-4): what an
 * agent's enforce mode blocks when the server names it in {@link InventoryVerdict#undeclared()}.
 * A value: equal when protocol, port and address are, so that a set of them holds each socket
 * once.
 *
 * @param protocol {@code tcp}, {@code udp} or {@code sctp}
 * @param port 1..65535
 * @param address the local address it listens on ({@code 0.0.0.0}, {@code ::},
 *     {@code 127.0.0.1}); for SCTP every bound address, separated by spaces
 */
public record ListeningPort(String protocol, int port, String address) {
  private static final Pattern PROTOCOL = Pattern.compile("tcp|udp|sctp");

  public ListeningPort {
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(address, "address");
    if (!PROTOCOL.matcher(protocol).matches()) {
      throw new IllegalArgumentException("protocol is not tcp, udp or sctp: " + protocol);
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range 1..65535: " + port);
    }
  }

  /** {@code tcp/8080 on 0.0.0.0}. */
  @Override
  public String toString() {
    return protocol + "/" + port + " on " + address;
  }
}
