package org.neguard.server.deploy;

import org.neguard.api.auth.Role;
import org.neguard.api.deploy.Deployment;
import org.neguard.api.deploy.RecoveryRequest;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentUser;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * Recovery campaigns (REC-2, docs/DEPLOYMENTS.md, "Recovery campaigns"): created here, then
 * approved, watched and changed as deployments ({@code /api/deployments/{id}}).
 */
@RestController
class RecoveryController {
  private final Recoveries recoveries;

  RecoveryController(Recoveries recoveries) {
    this.recoveries = recoveries;
  }

  @PostMapping("/api/recoveries")
  @Allowed(Role.OPERATOR)
  ResponseEntity<Deployment> create(@RequestBody(required = false) RecoveryRequest r) {
    return ResponseEntity.status(201)
        .body(recoveries.create(CurrentUser.current().username(), r, null));
  }
}
