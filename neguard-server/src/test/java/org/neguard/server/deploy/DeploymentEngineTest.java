package org.neguard.server.deploy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** {@link DeploymentEngineCases} on the embedded database. */
@DisplayName("REC-2 OBJ-1 the deployment engine")
class DeploymentEngineTest extends DeploymentEngineCases {
  @BeforeAll
  static void startEmbedded() throws Exception {
    startOn(null);
  }

  @AfterAll
  static void stopEmbedded() throws Exception {
    stop();
  }
}
