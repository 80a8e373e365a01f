package org.neguard.server.deploy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** {@link AttestedDeploymentFlowCases} on the embedded database. */
@DisplayName("ATT-1 ATT-2 ATT-4 REC-2 deployments with the real validation entity")
class AttestedDeploymentFlowTest extends AttestedDeploymentFlowCases {
  @BeforeAll
  static void startEmbedded() throws Exception {
    startOn(null);
  }

  @AfterAll
  static void stopEmbedded() throws Exception {
    stop();
  }
}
