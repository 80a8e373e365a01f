package org.neguard.server.deploy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/**
 * {@link AttestedDeploymentFlowTest} again on a real PostgreSQL (127.0.0.1:5432): the
 * attestation rows, the stored expectation (BYTEA), the savepoints around the validation entity
 * and the restart mid-campaign as PostgreSQL has them. Skipped when no PostgreSQL answers, except
 * under CI.
 */
@DisplayName("ATT-1 ATT-2 ATT-4 REC-2 deployments with the real validation entity on PostgreSQL")
class AttestedDeploymentFlowPostgresTest extends AttestedDeploymentFlowTest {
  @BeforeAll
  static void start() throws Exception {
    setUp(new DeployFixture(DeployFixture.postgresDatabase()));
  }
  // The inherited @AfterAll closes the fixture and drops the database.
}
