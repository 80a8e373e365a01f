package org.neguard.server.deploy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/**
 * {@link DeploymentEngineCases} again on a real PostgreSQL (127.0.0.1:5432; .ci/run starts
 * one): row locks, SKIP LOCKED, savepoints and the schema as PostgreSQL has them. Skipped when no
 * PostgreSQL answers, except under CI.
 */
@DisplayName("SRC-1 REC-2 OBJ-1 deployments on PostgreSQL: engine")
class DeploymentEnginePostgresTest extends DeploymentEngineCases {
  @BeforeAll
  static void startOnPostgres() throws Exception {
    startOn(DeployFixture.postgresDatabase());
  }

  /** Closes the fixture, which drops the database. */
  @AfterAll
  static void stopOnPostgres() throws Exception {
    stop();
  }
}
