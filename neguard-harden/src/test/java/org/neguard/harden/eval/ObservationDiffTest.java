package org.neguard.harden.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neguard.harden.Transport.TCP;
import static org.neguard.harden.Transport.UDP;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.harden.PortState;
import org.neguard.harden.SnmpAccess;
import org.neguard.harden.SnmpAccess.Access;

/** HRD-6 / TS 33.117 §4.3.2.1: the check repeated after a reboot must show the same ports. */
class ObservationDiffTest {
  @Test
  @DisplayName("HRD-6: the same ports, services and programs (new PIDs) are the same")
  void diff_sameSockets_same() {
    var a = Observations.inventory().process(TCP, 22, "ssh", "/usr/sbin/sshd", "root").build();
    var b = Observations.inventory().process(TCP, 22, "ssh", "/usr/sbin/sshd", "root").build();
    assertThat(ObservationDiff.of(a, b).same()).isTrue();
  }

  @Test
  @DisplayName("HRD-6: ports added, removed and changed after a reboot are each reported")
  void diff_changes_reported() {
    var a = Observations.inventory()
        .process(TCP, 22, "ssh", "/usr/sbin/sshd", "root")
        .open(TCP, 8080, "http")
        .port(UDP, "0.0.0.0", 69, PortState.OPEN_FILTERED, null)
        .snmp(161, new SnmpAccess("v2c", "public", Access.READ, null))
        .build();
    var b = Observations.inventory()
        .process(TCP, 22, "ssh", "/opt/evil/sshd", "root")
        .open(TCP, 23, "telnet")
        .port(UDP, "0.0.0.0", 69, PortState.OPEN, "tftp")
        .snmp(161, new SnmpAccess("v2c", "public", Access.WRITE, null))
        .build();
    ObservationDiff d = ObservationDiff.of(a, b);
    assertThat(d.same()).isFalse();
    assertThat(d.changes()).extracting(c -> c.kind() + " " + c.key()).containsExactly(
        "CHANGED tcp/22 on 0.0.0.0", "ADDED tcp/23 on 0.0.0.0", "CHANGED udp/69 on 0.0.0.0",
        "CHANGED udp/161 on 0.0.0.0", "REMOVED tcp/8080 on 0.0.0.0");
    assertThat(d.changes().get(0).what()).singleElement().asString()
        .contains("/usr/sbin/sshd", "/opt/evil/sshd");
    assertThat(d.changes().get(2).what()).containsExactly("state OPEN_FILTERED -> OPEN",
        "service - -> tftp");
    assertThat(d.changes().get(3).describe()).contains("READ", "WRITE").doesNotContain("public");
  }

  @Test
  @DisplayName("HRD-6: a second program sharing a port (SO_REUSEPORT) after a reboot is reported")
  void diff_secondOwnerOfSamePort_added() {
    var a = Observations.inventory().process(TCP, 22, "ssh", "/usr/sbin/sshd", "root").build();
    var b = Observations.inventory().process(TCP, 22, "ssh", "/usr/sbin/sshd", "root")
        .process(TCP, 22, null, "/tmp/.x/backdoor", "nobody").build();
    ObservationDiff d = ObservationDiff.of(a, b);
    assertThat(d.same()).isFalse();
    assertThat(d.changes()).singleElement().satisfies(c -> {
      assertThat(c.kind()).isEqualTo(ObservationDiff.Kind.ADDED);
      assertThat(c.key()).contains("tcp/22", "/tmp/.x/backdoor");
    });
  }
}
