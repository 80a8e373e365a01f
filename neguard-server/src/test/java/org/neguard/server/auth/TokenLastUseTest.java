package org.neguard.server.auth;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** {@link TokenLastUseCases} on the embedded database. */
@DisplayName("SRC-1 SRC-3 API tokens: when each was last used")
class TokenLastUseTest extends TokenLastUseCases {
  @BeforeAll
  static void startEmbedded() throws Exception {
    startOn(null);
  }

  @AfterAll
  static void stopEmbedded() throws Exception {
    stop();
  }
}
