package org.neguard.api.device;

/**
 * A listening socket of the agent's inventory with the installed package owning the executable
 * behind it: a finding of that package is reachable through the socket.
 *
 * @param protocol {@code tcp}, {@code udp} or {@code sctp}
 * @param port 1..65535
 * @param address the local address it listens on
 * @param process the process name, or null when the inventory could not tell
 * @param executable the executable's path, or null
 * @param owner the package owning the executable (dpkg's {@code /var/lib/dpkg/info/*.list}), or
 *     null when no package owns it or it is unknown
 */
public record SocketOwner(String protocol, int port, String address, String process,
    String executable, String owner) {}
