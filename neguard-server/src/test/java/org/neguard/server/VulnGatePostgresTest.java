package org.neguard.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/**
 * {@link VulnGateCases} again on a real PostgreSQL (127.0.0.1:5432; .ci/run starts one): the held
 * packages (V13), the VEX statements and the conditional publication as PostgreSQL has them.
 * Skipped when no PostgreSQL answers, except under CI.
 */
@DisplayName("AV-2 HRD-3 publication gate: known vulnerabilities and VEX, on PostgreSQL")
class VulnGatePostgresTest extends VulnGateCases {
  @BeforeAll
  static void startOnPostgres() throws Exception {
    startOn(TestDb.create("neguard_vulngate_"));
  }

  /** Stops the server and drops its database. */
  @AfterAll
  static void stopOnPostgres() throws Exception {
    stop();
  }
}
