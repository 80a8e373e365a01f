package org.neguard.server.tpm;

import org.neguard.api.attest.TpmActivation;
import org.neguard.api.attest.TpmBound;
import org.neguard.api.attest.TpmCredential;
import org.neguard.api.attest.TpmCredentialRequest;
import org.neguard.api.auth.Role;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentDevice;
import org.neguard.server.access.CurrentUser;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * Binding a device's TPM attestation key (agents' port, mutual TLS: the device binds its own
 * TPM only), and its release by an operator (users' port). See {@link TpmEnrollments}.
 */
@RestController
class TpmController {
  private final TpmEnrollments enrollments;

  TpmController(TpmEnrollments enrollments) {
    this.enrollments = enrollments;
  }

  @PostMapping("/api/device/v1/tpm/credential")
  @Allowed(device = true)
  TpmCredential credential(@RequestBody(required = false) TpmCredentialRequest body) {
    return enrollments.credential(CurrentDevice.required().deviceId(), body);
  }

  @PostMapping("/api/device/v1/tpm/activate")
  @Allowed(device = true)
  TpmBound activate(@RequestBody(required = false) TpmActivation body) {
    return enrollments.activate(CurrentDevice.required().deviceId(), body);
  }

  @DeleteMapping("/api/devices/{id}/tpm-binding")
  @Allowed({Role.ADMIN, Role.OPERATOR})
  ResponseEntity<Void> release(@PathVariable String id) {
    enrollments.release(CurrentUser.actorName(), id);
    return ResponseEntity.noContent().build();
  }

}
