package org.neguard.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** {@link VulnGateCases} on the embedded database. */
@DisplayName("AV-2 HRD-3 publication gate: known vulnerabilities and VEX")
class VulnGateTest extends VulnGateCases {
  @BeforeAll
  static void startEmbedded() throws Exception {
    startOn(null);
  }

  @AfterAll
  static void stopEmbedded() throws Exception {
    stop();
  }
}
