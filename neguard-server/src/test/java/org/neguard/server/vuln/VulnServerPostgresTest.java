package org.neguard.server.vuln;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.neguard.server.TestDb;

/**
 * {@link VulnServerCases} again on a real PostgreSQL (127.0.0.1:5432; .ci/run starts one): the
 * package lists, socket owners and findings (V12) and the per-device row lock of a reassessment
 * as PostgreSQL has them. Skipped when no PostgreSQL answers, except under CI.
 */
@DisplayName("HRD-3 the NEs' vulnerabilities on the server, on PostgreSQL")
class VulnServerPostgresTest extends VulnServerCases {
  @BeforeAll
  static void startOnPostgres() throws Exception {
    startOn(TestDb.create("neguard_vuln_"));
  }

  /** Stops the server and drops its database. */
  @AfterAll
  static void stopOnPostgres() throws Exception {
    stop();
  }
}
