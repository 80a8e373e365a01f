package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the agent carries onto an H(e)NB: the package verifier and its trust, nothing of the
 * server, the engines, the hardening probes or the demo. Its test classpath is its runtime
 * classpath plus JUnit and AssertJ, so a class missing here is missing on the NE.
 */
class AgentClasspathTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        // Spring (the server's framework) and its Boot launcher.
        "org.springframework.context.ApplicationContext",
        "org.springframework.boot.SpringApplication",
        // SNMP4J (the hardening audit's SNMP write probe).
        "org.snmp4j.Snmp",
        // The anti-virus engines and the hardening audit.
        "org.neguard.av.ScanRunner",
        "org.neguard.harden.probe.HardenScanner",
        // The hardening policy and evaluator (the server judges the inventory), and the YAML
        // parser they bring: the agent only takes the /proc inventory and sends it.
        "org.neguard.harden.policy.PolicyParser",
        "org.neguard.harden.eval.Evaluator",
        "com.fasterxml.jackson.dataformat.yaml.YAMLFactory",
        // The demo clamd and its signatures.
        "org.neguard.demo.DemoClamd",
        // commons-compress and xz: only the bundle builder and the archive unpacker write or
        // open archives; the agent reads bundles with the JDK's own ZIP code.
        "org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream",
        "org.tukaani.xz.XZInputStream",
        // The server's code, which comes with Spring.
        "org.neguard.server.NeguardServer",
        // AWS-LC's provider (10 MB of native code): the validation entity checks evidence with
        // it; the agent signs evidence and verifies none.
        "com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider",
      })
  void excludedClass_notLoadable(String name) {
    assertThatThrownBy(() -> Class.forName(name, false, getClass().getClassLoader()))
        .isInstanceOf(ClassNotFoundException.class);
  }

  /**
   * The control: the same lookup finds what the agent does need, so the refusals above mean it:
   * the package verifier, the deployment-order verifier with its JOSE library, and the socket
   * inventory.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "org.neguard.pkg.BundleVerifier",
        "org.neguard.order.OrderVerifier",
        "com.nimbusds.jose.crypto.ECDSAVerifier",
        // Port drift: the /proc socket inventory and its JSON (neguard-inventory).
        "org.neguard.harden.inventory.LocalInventory",
        "org.neguard.harden.ObservationCodec",
      })
  void neededClass_loadable(String name) throws ClassNotFoundException {
    assertThat(Class.forName(name, false, getClass().getClassLoader())).isNotNull();
  }
}
