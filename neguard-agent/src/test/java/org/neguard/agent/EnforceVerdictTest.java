package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.api.device.InventoryVerdict;
import org.neguard.api.device.ListeningPort;

/** From the server's port-drift judgement to what the enforce mode blocks (HRD-1, HRD-4). */
class EnforceVerdictTest {
  static InventoryVerdict verdict(String verdict, ListeningPort... undeclared) {
    return new InventoryVerdict(verdict, "mme", verdict.equals(InventoryVerdict.NO_POLICY)
        ? null : 3, null, List.of(undeclared), List.of(), List.of(), List.of(), List.of());
  }

  @Test
  @DisplayName("HRD-4 the undeclared TCP, UDP and SCTP sockets are blocked, a wildcard on any"
      + " address, a dual-stack socket's IPv4-mapped address as IPv4")
  void toBlock_undeclared() {
    assertThat(Agent.toBlock(verdict(InventoryVerdict.FAIL,
        new ListeningPort("tcp", 4444, "0.0.0.0"),
        new ListeningPort("tcp", 8080, "::ffff:127.0.0.1"),
        new ListeningPort("udp", 69, "10.0.0.1"),
        new ListeningPort("sctp", 36412, "10.0.0.1")))).contains(java.util.Set.of(
        PortRef.of("tcp", 4444), new PortRef("tcp", 8080, "127.0.0.1"),
        new PortRef("udp", 69, "10.0.0.1"), new PortRef("sctp", 36412, "10.0.0.1")));
  }

  @Test
  @DisplayName("HRD-1 with no policy nothing was judged: the table is left as it is (an empty"
      + " list is no reason to open what was blocked); a passing verdict opens everything")
  void toBlock_noPolicyLeavesTheTable_passClearsIt() {
    assertThat(Agent.toBlock(verdict(InventoryVerdict.NO_POLICY))).isEmpty();
    assertThat(Agent.toBlock(verdict(InventoryVerdict.PASS))).contains(java.util.Set.of());
  }
}
