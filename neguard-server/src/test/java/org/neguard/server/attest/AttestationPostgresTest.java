package org.neguard.server.attest;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/**
 * {@link AttestationCases} again on a real PostgreSQL (127.0.0.1:5432; .ci/run starts one): the
 * conditional judgement, row locks, SKIP LOCKED of the scheduler and the schema as PostgreSQL
 * has them. Skipped when no PostgreSQL answers, except under CI.
 */
@DisplayName("ATT, REC-1, REC-3, OBJ-2 the platform validation entity on PostgreSQL")
class AttestationPostgresTest extends AttestationCases {
  @BeforeAll
  static void startOnPostgres() throws Exception {
    startOn(AttestFixture.postgresDatabase());
  }

  /** Closes the fixture, which drops the database. */
  @AfterAll
  static void stopOnPostgres() throws Exception {
    stop();
  }
}
