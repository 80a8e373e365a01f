package org.neguard.api.vuln;

/**
 * A listening socket of the NE with what serves it and how many findings reach through it.
 *
 * @param protocol {@code tcp}, {@code udp}, {@code sctp}
 * @param port 1..65535
 * @param address the local address
 * @param process the process name, or null
 * @param executable the executable, or null
 * @param owner the installed package owning the executable, or null (none, or unknown)
 * @param findings how many findings of that package are reachable through it
 */
public record ExposedPort(String protocol, int port, String address, String process,
    String executable, String owner, int findings) {}
