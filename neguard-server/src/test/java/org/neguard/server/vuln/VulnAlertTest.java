package org.neguard.server.vuln;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** {@link VulnAlertCases} on the embedded database. */
@DisplayName("HRD-3 OBJ-2 new vulnerability findings audited and alerted")
class VulnAlertTest extends VulnAlertCases {
  @BeforeAll
  static void startEmbedded() throws Exception {
    startOn(null);
  }

  @AfterAll
  static void stopEmbedded() throws Exception {
    stop();
  }
}
