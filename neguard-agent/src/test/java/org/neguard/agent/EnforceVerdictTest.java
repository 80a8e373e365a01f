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

  @Test
  @DisplayName("HRD-4 a multi-homed SCTP endpoint is blocked on each of its addresses; one the"
      + " server names by its first addresses only (a great many), or with an address no rule"
      + " can name, on every address; the others still blocked")
  void toBlock_multihomedSctp_eachAddress_cutOrOddListOnEvery() {
    assertThat(Agent.toBlock(verdict(InventoryVerdict.FAIL,
        new ListeningPort("sctp", 36412, "10.20.0.5 10.21.0.5"),
        new ListeningPort("sctp", 5000, "127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5 127.0.0.6"
            + " 127.0.0.7 127.0.0.8 127.0.0.9 (and more)"),
        new ListeningPort("tcp", 4444, "10.0.0.1")))).contains(java.util.Set.of(
        new PortRef("sctp", 36412, "10.20.0.5"), new PortRef("sctp", 36412, "10.21.0.5"),
        PortRef.of("sctp", 5000), new PortRef("tcp", 4444, "10.0.0.1")));
  }
}
