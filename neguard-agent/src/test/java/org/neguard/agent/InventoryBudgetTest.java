package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.api.device.InventoryLimits;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.ProcessInfo;
import org.neguard.harden.Transport;

/**
 * HRD-4: the agent fits its socket inventory within what the server accepts, so that a local
 * user opening thousands of sockets, or listening from an endless path, cannot make every
 * report refused (and the server keep its last PASS).
 */
@DisplayName("HRD-4 the agent fits its inventory within the server's limits")
class InventoryBudgetTest {
  private static ObservedPort socket(int port, int pid, String user, String exe) {
    return new ObservedPort(Transport.TCP, "0.0.0.0", port, PortState.OPEN, null,
        "listening in /proc/net/tcp (inode " + (1000 + port) + ", uid 0)",
        new ProcessInfo(pid, exe.substring(exe.lastIndexOf('/') + 1), exe, user), List.of());
  }

  private static Observation inventory(List<ObservedPort> ports) {
    Instant now = Instant.parse("2026-12-06T05:00:00Z");
    return new Observation("inventory", "ne-1", "ne-1", "NEGuard test", now, now, true,
        Map.of("interfaces", "all"), ports, List.of());
  }

  @Test
  void fit_smallInventory_sentAsTaken() throws Exception {
    Observation o = inventory(List.of(socket(22, 1, "root", "/usr/sbin/sshd")));
    assertThat(InventoryBudget.fit(o)).isSameAs(o);
    InventoryBudget.Fitted sent = InventoryBudget.encode(o);
    assertThat(sent.observation()).isSameAs(o);
    assertThat(sent.json()).isEqualTo(ObservationCodec.encode(o));
  }

  @Test
  @DisplayName("HRD-4 listeners from a very long path: cut and without evidence, every socket"
      + " still sent, the report still complete")
  void fit_longExecutablePaths_cutNotLeftOut_stillComplete() {
    String exe = "/home/user/" + "d/".repeat(2000) + "listener";
    List<ObservedPort> ports = new ArrayList<>();
    ports.add(socket(22, 1, "root", "/usr/sbin/sshd"));
    for (int i = 0; i < 130; i++) {
      ports.add(socket(20_000 + i, 500 + i, "user", exe));
    }
    Observation o = inventory(ports);
    assertThat(ObservationCodec.encode(o).length).isGreaterThan(InventoryLimits.MAX_BYTES);

    Observation fitted = InventoryBudget.fit(o);
    assertThat(ObservationCodec.encode(fitted).length)
        .isLessThanOrEqualTo(InventoryLimits.MAX_BYTES);
    assertThat(fitted.complete()).isTrue();
    assertThat(fitted.ports()).hasSize(131);
    assertThat(fitted.ports().get(1).process().executable())
        .hasSize(InventoryBudget.EXECUTABLE_CHARS).endsWith("...");
    assertThat(fitted.ports()).allMatch(p -> p.evidence() == null);
  }

  @Test
  @DisplayName("HRD-4 more sockets than a report may list: the flooding user's are left out"
      + " first, whatever executables it runs them from, the other users' all kept; the report"
      + " says so and is incomplete")
  void fit_socketFlood_floodingUserLeftOutFirst_incompleteWithNote() throws Exception {
    List<ObservedPort> ports = new ArrayList<>();
    for (int i = 0; i < 6000; i++) {
      // One executable per socket: ranking by executable would put each flood socket first.
      ports.add(socket(10_000 + i, 4000 + i, "mallory", "/tmp/flood-" + i));
    }
    ports.add(socket(31_337, 666, "eve", "/tmp/.backdoor"));
    ports.add(socket(22, 1, "root", "/usr/sbin/sshd"));
    Observation o = inventory(ports);

    Observation fitted = InventoryBudget.fit(o);
    InventoryBudget.Fitted sent = InventoryBudget.encode(o);
    assertThat(ObservationCodec.decode(sent.json())).isEqualTo(sent.observation())
        .isEqualTo(fitted);
    assertThat(fitted.ports().size()).isLessThanOrEqualTo(InventoryLimits.MAX_PORTS)
        .isGreaterThan(1000);
    assertThat(ObservationCodec.encode(fitted).length)
        .isLessThanOrEqualTo(InventoryLimits.MAX_BYTES);
    assertThat(fitted.complete()).isFalse();
    assertThat(fitted.ports()).extracting(ObservedPort::port).contains(31_337, 22);
    assertThat(fitted.notes()).last().asString()
        .contains((6002 - fitted.ports().size()) + " of 6002 listening sockets left out")
        .contains("of user mallory (6000 in all)");
    // In the inventory's order: the flood's kept sockets, then the backdoor, then sshd.
    assertThat(fitted.ports().get(fitted.ports().size() - 1).port()).isEqualTo(22);
  }
}
