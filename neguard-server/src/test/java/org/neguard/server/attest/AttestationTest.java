package org.neguard.server.attest;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** {@link AttestationCases} on the embedded database. */
@DisplayName("ATT, REC-1, REC-3, OBJ-2 the platform validation entity: evidence, trust states")
class AttestationTest extends AttestationCases {
  @BeforeAll
  static void startEmbedded() throws Exception {
    startOn(null);
  }

  @AfterAll
  static void stopEmbedded() throws Exception {
    stop();
  }
}
