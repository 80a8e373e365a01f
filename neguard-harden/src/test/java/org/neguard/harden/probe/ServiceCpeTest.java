package org.neguard.harden.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.neguard.harden.Observation;
import org.neguard.harden.PortState;
import org.neguard.testing.FakePeer;

/** HRD-3: remote identification gives the product and version of an SSH server as a CPE. */
class ServiceCpeTest {
  @Test
  @DisplayName("HRD-3: OpenSSH's and Dropbear's SSH banners map to their CPE 2.3 names, the"
      + " Debian revision left out (a CPE has none)")
  void ofSshBanner_knownProducts() throws Exception {
    assertThat(ServiceCpe.ofSshBanner("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"))
        .contains("cpe:2.3:a:openbsd:openssh:9.2p1:*:*:*:*:*:*:*");
    assertThat(ServiceCpe.ofSshBanner("SSH-2.0-OpenSSH_8.9p1"))
        .contains("cpe:2.3:a:openbsd:openssh:8.9p1:*:*:*:*:*:*:*");
    assertThat(ServiceCpe.ofSshBanner("SSH-2.0-dropbear_2022.83"))
        .contains("cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2022.83:*:*:*:*:*:*:*");
    // CPE matching reads it as the name nmap would print for the same server.
    assertThat(org.neguard.vuln.Cpe.parse(ServiceCpe.ofSshBanner(
        "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3").orElseThrow()))
        .isEqualTo(org.neguard.vuln.Cpe.parse("cpe:/a:openbsd:openssh:9.2p1"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"SSH-2.0-Test_1.0", "SSH-2.0-OpenSSH_", "SSH-2.0-OpenSSH_9.2:*:*",
      "SSH-2.0-OpenSSH_9.2p1\\x", "220 OpenSSH_9.2p1", "SSH-2.0-OpenSSH_*"})
  @DisplayName("HRD-3: a banner that does not name a known product and a clean version gives no"
      + " CPE (never one built from characters a CPE would read as wildcards or separators)")
  void ofSshBanner_otherBanners_none(String banner) {
    assertThat(ServiceCpe.ofSshBanner(banner)).isEmpty();
  }

  @Test
  @DisplayName("HRD-3: the NEGuard scan of a loopback OpenSSH banner records the service and its"
      + " CPE on the observed port")
  void scan_sshBanner_portCarriesCpe() throws Exception {
    try (FakePeer ssh = FakePeer.on(InetAddress.getByName("127.0.0.1"),
        n -> s -> FakePeer.write(s, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"))) {
      Observation o = HardenScanner.create(ScanOptions.defaults()
          .withTcpPorts(PortList.of(ssh.port())).withUdpPorts(PortList.none())
          .withSctpPorts(PortList.none()), ScanListener.NONE).scan("127.0.0.1");
      assertThat(o.ports()).singleElement().satisfies(p -> {
        assertThat(p.state()).isEqualTo(PortState.OPEN);
        assertThat(p.service()).isEqualTo("ssh");
        assertThat(p.cpe()).isEqualTo("cpe:2.3:a:openbsd:openssh:9.2p1:*:*:*:*:*:*:*");
      });
    }
  }
}
