package org.neguard.api.vuln;

/**
 * A listening socket through which a finding is reachable.
 *
 * @param protocol {@code tcp}, {@code udp}, {@code sctp}
 * @param port 1..65535
 * @param address the local address
 * @param process the process name, or null
 * @param executable the executable, or null
 */
public record Reach(String protocol, int port, String address, String process,
    String executable) {
  /** {@code tcp/22 (sshd)}. */
  public String label() {
    return protocol + "/" + port + (process == null ? "" : " (" + process + ")");
  }
}
