package org.neguard.server.vuln;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** {@link VulnServerCases} on the embedded database. */
@DisplayName("HRD-3 the NEs' vulnerabilities on the server")
class VulnServerTest extends VulnServerCases {
  @BeforeAll
  static void startEmbedded() throws Exception {
    startOn(null);
  }

  @AfterAll
  static void stopEmbedded() throws Exception {
    stop();
  }
}
