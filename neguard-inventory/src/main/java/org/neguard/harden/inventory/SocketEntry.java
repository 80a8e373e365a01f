package org.neguard.harden.inventory;

import java.util.Objects;
import org.neguard.harden.Transport;

/**
 * One socket line of /proc/net/{tcp,tcp6,udp,udp6} or /proc/net/sctp/eps.
 *
 * @param transport TCP, UDP or SCTP
 * @param ipv6 whether it came from an IPv6 table (an IPv4-mapped bind shows here too)
 * @param address the local address, in its usual text form ({@code 0.0.0.0}, {@code ::},
 *     {@code ::ffff:10.0.0.1}); for SCTP, every bound address separated by spaces
 * @param port the local port, 0..65535
 * @param listening whether it waits for peers: TCP state LISTEN, an unconnected UDP socket, an
 *     SCTP endpoint
 * @param uid the socket's owner uid
 * @param inode the socket inode, which links it to the file descriptors of its processes
 */
public record SocketEntry(
    Transport transport, boolean ipv6, String address, int port, boolean listening, int uid, long inode) {
  public SocketEntry {
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(address, "address");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range 0..65535: " + port);
    }
  }
}
