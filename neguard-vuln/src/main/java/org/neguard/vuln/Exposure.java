package org.neguard.vuln;

import java.util.Objects;
import java.util.Optional;

/**
 * A way in: a listening socket and what serves it. A finding of the component that owns the
 * executable behind it is reachable through it, and ranks above one in a dormant library.
 *
 * @param transport {@code tcp}, {@code udp} or {@code sctp}
 * @param address the address it listens on ({@code 0.0.0.0}, a scanned target)
 * @param port 1..65535
 * @param process the process name, when known (local inventory)
 * @param executable the executable's path, when known
 * @param component the name of the installed component owning the executable (a Debian binary
 *     package), when known
 * @param cpe the product and version a remote scan identified, as a CPE 2.3 name, when the
 *     service revealed them
 */
public record Exposure(String transport, String address, int port, Optional<String> process,
    Optional<String> executable, Optional<String> component, Optional<String> cpe) {
  public Exposure {
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(address, "address");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range 1..65535: " + port);
    }
    Objects.requireNonNull(process, "process");
    Objects.requireNonNull(executable, "executable");
    Objects.requireNonNull(component, "component");
    Objects.requireNonNull(cpe, "cpe");
  }

  /** {@code tcp/22}. */
  public String label() {
    return transport + "/" + port;
  }
}
