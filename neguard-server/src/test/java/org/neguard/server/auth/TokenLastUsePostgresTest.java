package org.neguard.server.auth;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.neguard.server.TestDb;

/**
 * {@link TokenLastUseCases} again on a real PostgreSQL (127.0.0.1:5432; .ci/run starts one): the
 * V14 column and the conditional UPDATE under concurrent replicas as PostgreSQL runs them.
 */
@DisplayName("SRC-1 SRC-3 API tokens: when each was last used, on PostgreSQL")
class TokenLastUsePostgresTest extends TokenLastUseCases {
  @BeforeAll
  static void startOnPostgres() throws Exception {
    startOn(TestDb.create("neguard_tokenuse_"));
  }

  @AfterAll
  static void stopOnPostgres() throws Exception {
    stop();
  }
}
