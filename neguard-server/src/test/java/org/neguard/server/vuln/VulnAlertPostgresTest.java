package org.neguard.server.vuln;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.neguard.server.TestDb;

/**
 * {@link VulnAlertCases} again on a real PostgreSQL (127.0.0.1:5432; .ci/run starts one): the
 * per-device row lock that makes each new finding alerted once, as PostgreSQL has it.
 */
@DisplayName("HRD-3 OBJ-2 new vulnerability findings audited and alerted, on PostgreSQL")
class VulnAlertPostgresTest extends VulnAlertCases {
  @BeforeAll
  static void startOnPostgres() throws Exception {
    startOn(TestDb.create("neguard_vulnalert_"));
  }

  /** Stops the server and drops its database. */
  @AfterAll
  static void stopOnPostgres() throws Exception {
    stop();
  }
}
