package org.neguard.vuln;

import java.util.List;

/**
 * What a host runs or a package carries, as matching needs it.
 *
 * @param components installed or carried software
 * @param exposures listening sockets and remotely identified services
 */
public record Inventory(List<Component> components, List<Exposure> exposures) {
  public Inventory {
    components = List.copyOf(components);
    exposures = List.copyOf(exposures);
  }
}
