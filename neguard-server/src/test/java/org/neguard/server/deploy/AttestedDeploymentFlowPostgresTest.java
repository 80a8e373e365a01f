package org.neguard.server.deploy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/**
 * {@link AttestedDeploymentFlowCases} again on a real PostgreSQL (127.0.0.1:5432): the
 * attestation rows, the stored expectation (BYTEA), the savepoints around the validation entity
 * and the restart mid-campaign as PostgreSQL has them. Skipped when no PostgreSQL answers, except
 * under CI.
 */
@DisplayName("ATT-1 ATT-2 ATT-4 REC-2 deployments with the real validation entity on PostgreSQL")
class AttestedDeploymentFlowPostgresTest extends AttestedDeploymentFlowCases {
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
