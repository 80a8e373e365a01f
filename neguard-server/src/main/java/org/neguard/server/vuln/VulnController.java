package org.neguard.server.vuln;

import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import org.neguard.api.auth.Role;
import org.neguard.api.device.PackageVerdict;
import org.neguard.api.vuln.DevicePackages;
import org.neguard.api.vuln.DeviceVulnerabilities;
import org.neguard.api.vuln.FleetVulnerabilities;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentDevice;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.ReasonCode;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Vulnerabilities of what the NEs run (docs/SERVER.md "Vulnerabilities"): the agents' package
 * reports on the agents' port, each NE's findings and the fleet's for every role.
 */
@RestController
class VulnController {
  /** 20,000 packages of some 150 bytes each, with room to spare. */
  static final int MAX_REPORT_BYTES = 8 << 20;

  private final PackageReports reports;
  private final AuditLog audit;

  VulnController(PackageReports reports, AuditLog audit) {
    this.reports = reports;
    this.audit = audit;
  }

  /**
   * What the device of the client certificate runs: a device reports for itself only (the
   * report names no device).
   */
  @PostMapping("/api/device/v1/packages")
  @Allowed(device = true)
  PackageVerdict packages(HttpServletRequest request) throws IOException {
    String deviceId = CurrentDevice.current().deviceId();
    byte[] body = null;
    if (request.getContentLengthLong() <= MAX_REPORT_BYTES) {
      try (InputStream in = request.getInputStream()) {
        body = in.readNBytes(MAX_REPORT_BYTES + 1);
      }
    }
    if (body == null || body.length > MAX_REPORT_BYTES) {
      ApiException e = ApiException.of(ReasonCode.SIZE_LIMIT, "a package report may have at"
          + " most " + MAX_REPORT_BYTES + " bytes");
      audit.append(AuditEvent.failure("device " + deviceId, "VULN_PACKAGES",
          "device " + deviceId, e.getMessage()));
      throw e;
    }
    return reports.report(deviceId, body);
  }

  /** One NE's findings, reachable ones first, with the database's state and feed dates. */
  @GetMapping("/api/devices/{id}/vulnerabilities")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  DeviceVulnerabilities device(@PathVariable String id) {
    return reports.device(id);
  }

  /**
   * The packages an NE last reported, with the report's time and digest: the same roles as its
   * findings, which they reveal no more than.
   */
  @GetMapping("/api/devices/{id}/packages")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  DevicePackages packages(@PathVariable String id) {
    return reports.packages(id);
  }

  /** Every NE's findings counted by severity, those reachable through a socket first. */
  @GetMapping("/api/vulnerabilities")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  FleetVulnerabilities fleet() {
    return reports.fleet();
  }
}
