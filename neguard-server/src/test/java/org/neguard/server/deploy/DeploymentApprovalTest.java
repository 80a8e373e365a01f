package org.neguard.server.deploy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** {@link DeploymentApprovalCases} on the embedded database. */
@DisplayName("SRC-1 REC-2 deployments: create and four-eyes approval")
class DeploymentApprovalTest extends DeploymentApprovalCases {
  @BeforeAll
  static void startEmbedded() throws Exception {
    startOn(null);
  }

  @AfterAll
  static void stopEmbedded() throws Exception {
    stop();
  }
}
