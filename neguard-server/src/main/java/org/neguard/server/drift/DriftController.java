package org.neguard.server.drift;

import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.neguard.api.auth.Role;
import org.neguard.api.device.DeviceDrift;
import org.neguard.api.device.HardeningPolicyInfo;
import org.neguard.api.device.InventoryVerdict;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentDevice;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.ReasonCode;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * Port drift's endpoints (docs/SERVER.md, "Port drift"): the hardening policies (admins upload,
 * every role reads), the agents' inventories on the agents' port, and each device's findings.
 */
@RestController
class DriftController {
  private final HardeningPolicies policies;
  private final DriftJudge judge;
  private final AuditLog audit;

  DriftController(HardeningPolicies policies, DriftJudge judge, AuditLog audit) {
    this.policies = policies;
    this.judge = judge;
    this.audit = audit;
  }

  /** Uploads the next version of {@code neType}'s policy: the raw YAML document. */
  @PostMapping("/api/policies/{neType}")
  @ResponseStatus(HttpStatus.CREATED)
  @Allowed(Role.ADMIN)
  HardeningPolicyInfo upload(@PathVariable String neType, HttpServletRequest request)
      throws IOException {
    String actor = CurrentUser.actorName();
    byte[] body = bounded(request, HardeningPolicies.MAX_BYTES, "a hardening policy");
    if (body == null) {
      ApiException e = ApiException.of(ReasonCode.SIZE_LIMIT, "a hardening policy may have at"
          + " most " + HardeningPolicies.MAX_BYTES + " bytes");
      audit.append(AuditEvent.failure(actor, "POLICY_UPLOAD", "hardening policy " + neType,
          e.getMessage()));
      throw e;
    }
    return policies.upload(actor, neType, body);
  }

  @GetMapping("/api/policies")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  List<HardeningPolicyInfo> list() {
    return policies.list();
  }

  /** One version (the current one without {@code version}), with its YAML. */
  @GetMapping("/api/policies/{neType}")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  HardeningPolicyInfo show(@PathVariable String neType,
      @RequestParam(required = false) Integer version) {
    return policies.show(neType, version);
  }

  /** The devices with open findings. */
  @GetMapping("/api/drift")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  List<DeviceDrift> outOfPolicy() {
    return judge.outOfPolicy();
  }

  /** One device's findings, open and resolved, newest first. */
  @GetMapping("/api/devices/{id}/drift")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  DeviceDrift device(@PathVariable String id) {
    return judge.device(id);
  }

  /**
   * The agent's socket inventory (its observation JSON), judged for the device of the client
   * certificate: a device reports for itself only, whatever the body says about its host.
   */
  @PostMapping("/api/device/v1/inventory")
  @Allowed(device = true)
  InventoryVerdict inventory(HttpServletRequest request) throws IOException {
    String deviceId = CurrentDevice.required().deviceId();
    byte[] body;
    try {
      body = bounded(request, DriftJudge.MAX_INVENTORY_BYTES, "an inventory");
    } catch (ApiException e) {
      throw judge.refused(deviceId, e);
    }
    if (body == null) {
      throw judge.refused(deviceId, ApiException.of(ReasonCode.SIZE_LIMIT, "an inventory may"
          + " have at most " + DriftJudge.MAX_INVENTORY_BYTES + " bytes: the agent fits its"
          + " report within it (an agent older than that cannot)"));
    }
    return judge.report(deviceId, body);
  }

  /**
   * The body, or null when it is larger than {@code max}: refused on its declared length before
   * a byte is read, and read no further than {@code max + 1} bytes when no length is declared.
   */
  private static byte[] bounded(HttpServletRequest request, int max, String what)
      throws IOException {
    if (request.getContentLengthLong() > max) {
      return null;
    }
    byte[] body;
    try (InputStream in = request.getInputStream()) {
      body = in.readNBytes(max + 1);
    }
    if (body.length > max) {
      return null;
    }
    if (body.length == 0) {
      throw ApiException.badInput("give " + what + " as the request body");
    }
    return body;
  }
}
