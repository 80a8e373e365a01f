package org.neguard.server.attest;

import java.time.Instant;
import java.util.List;
import org.neguard.api.attest.AttestationPolicy;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.attest.BaselineInfo;
import org.neguard.api.attest.DeviceTrust;
import org.neguard.api.attest.EvidenceSubmission;
import org.neguard.api.auth.Role;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentDevice;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.web.ApiException;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * The validation entity's API (docs/ATTESTATION.md, "API"): the devices' evidence on the agents'
 * port; attestations, trust states, baselines, policies and readmission for users.
 */
@RestController
class AttestationController {
  private static final int MAX_LIMIT = 1000;
  private static final java.util.regex.Pattern NE_TYPE =
      java.util.regex.Pattern.compile("[A-Za-z0-9._+-]{1,128}");

  private final Pve pve;
  private final Baselines baselines;
  private final JdbcClient jdbc;
  private final AuditLog audit;
  private final AttestationRecords records;

  AttestationController(Pve pve, Baselines baselines, JdbcClient jdbc, AuditLog audit,
      AttestationRecords records) {
    this.pve = pve;
    this.baselines = baselines;
    this.jdbc = jdbc;
    this.audit = audit;
    this.records = records;
  }

  /** A device's answer to its challenge, for the device of the client certificate only. */
  @PostMapping("/api/device/v1/evidence")
  @Allowed(device = true)
  AttestationResult evidence(@RequestBody(required = false) EvidenceSubmission body) {
    CurrentDevice d = CurrentDevice.required();
    return pve.submit(d.deviceId(), d.publicKey(), body == null ? null : body.evidence());
  }

  @PostMapping("/api/devices/{id}/attestations")
  @ResponseStatus(HttpStatus.ACCEPTED)
  @Allowed({Role.OPERATOR, Role.APPROVER})
  AttestationResult request(@PathVariable String id) {
    return pve.request(id, CurrentUser.actorName(), "REQUESTED");
  }

  @PostMapping("/api/devices/{id}/readmit")
  @ResponseStatus(HttpStatus.ACCEPTED)
  @Allowed(Role.APPROVER)
  AttestationResult readmit(@PathVariable String id) {
    return pve.readmit(id, CurrentUser.actorName());
  }

  @GetMapping("/api/attestations/{id}")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  AttestationResult get(@PathVariable String id) {
    return pve.find(id).orElseThrow(() -> ApiException.notFound("no attestation " + id));
  }

  @GetMapping("/api/attestations")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  List<AttestationResult> list(@RequestParam(required = false) String device,
      @RequestParam(defaultValue = "100") int limit) {
    return pve.history(device, limit(limit));
  }

  @GetMapping("/api/attestation/devices")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  List<DeviceTrust> devices(@RequestParam(required = false) String trustState) {
    return records.trustStates(trustState);
  }

  @GetMapping("/api/baselines")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  List<BaselineInfo> baselines(@RequestParam(required = false) String state,
      @RequestParam(required = false) String device,
      @RequestParam(defaultValue = "100") int limit) {
    return baselines.list(state, device, limit(limit));
  }

  /** The files of a baseline, for an approver to read before approving. */
  @GetMapping("/api/baselines/{id}/files")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  List<org.neguard.api.attest.BaselineFile> baselineFiles(@PathVariable String id) {
    return baselines.files(id);
  }

  @PostMapping("/api/baselines/{id}/approve")
  @Allowed(Role.APPROVER)
  BaselineInfo approve(@PathVariable String id) {
    return baselines.approve(id, CurrentUser.actorName());
  }

  /**
   * Approves every pending baseline of one component with one digest, on every device that
   * proposed it (one approval per approver and baseline, as one by one).
   */
  @PostMapping("/api/baselines/approve")
  @Allowed(Role.APPROVER)
  List<BaselineInfo> approveMatching(@RequestParam String component,
      @RequestParam String digest) {
    if (!digest.matches("[0-9a-f]{64}")) {
      throw ApiException.badInput("digest is not 64 lower-case hex digits: " + digest);
    }
    return baselines.approveMatching(component, digest, CurrentUser.actorName());
  }

  @PostMapping("/api/baselines/{id}/reject")
  @Allowed(Role.APPROVER)
  BaselineInfo reject(@PathVariable String id) {
    return baselines.reject(id, CurrentUser.actorName());
  }

  @GetMapping("/api/attestation/policies")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  List<AttestationPolicy> policies() {
    return records.policies();
  }

  /** Sets the failure policy of an NE type (REC-1); an approver's decision, audited. */
  @PutMapping("/api/attestation/policies/{neType}")
  @Allowed(Role.APPROVER)
  @Transactional
  AttestationPolicy setPolicy(@PathVariable String neType,
      @RequestBody(required = false) AttestationPolicy body) {
    if (!NE_TYPE.matcher(neType).matches()) {
      throw ApiException.badInput("not an NE type: " + neType);
    }
    List<String> actions = Policies.normalize(body == null ? null : body.actions());
    String actor = CurrentUser.actorName();
    Policies.put(jdbc, neType, actions, actor, Instant.now());
    audit.append(AuditEvent.success(actor, "ATTESTATION_POLICY", "NE type " + neType,
        "on a failed attestation: " + String.join(", ", actions)));
    return Policies.list(jdbc).stream().filter(p -> p.neType().equals(neType)).findFirst()
        .orElseThrow();
  }

  private static int limit(int limit) {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw ApiException.badInput("limit must be 1 to " + MAX_LIMIT + ": " + limit);
    }
    return limit;
  }
}
