package org.neguard.server.console;

import java.util.List;
import org.neguard.api.auth.Role;
import org.neguard.api.device.Device;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.attest.Pve;
import org.neguard.server.device.Devices;
import org.neguard.server.drift.DriftJudge;
import org.neguard.server.vuln.PackageReports;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * The fleet: devices filtered by NE type, label and trust state, and one device's page (its
 * software, attestation history with the files that differed, port drift, known
 * vulnerabilities), from the same services as the API's device, attestation, drift and
 * vulnerability endpoints.
 */
@Controller
class DevicePages {
  private static final int HISTORY = 20;
  private final Devices devices;
  private final Pve pve;
  private final DriftJudge drift;
  private final PackageReports vulnerabilities;

  DevicePages(Devices devices, Pve pve, DriftJudge drift, PackageReports vulnerabilities) {
    this.devices = devices;
    this.pve = pve;
    this.drift = drift;
    this.vulnerabilities = vulnerabilities;
  }

  @GetMapping("/console/devices")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  String list(@RequestParam(required = false) String neType,
      @RequestParam(required = false) String label,
      @RequestParam(required = false) String state, Model model) {
    String type = blank(neType);
    String l = blank(label);
    String s = blank(state);
    List<Device> list = devices.list(l, type).stream()
        .filter(d -> s == null || s.equals(d.trustState()))
        .toList();
    model.addAttribute("devices", list);
    model.addAttribute("neType", type == null ? "" : type);
    model.addAttribute("label", l == null ? "" : l);
    model.addAttribute("state", s == null ? "" : s);
    model.addAttribute("states", OverviewPage.STATES);
    return "console/devices";
  }

  @GetMapping("/console/devices/{id}")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  String one(@PathVariable String id, Model model) {
    model.addAttribute("d", devices.get(id));
    model.addAttribute("attestations", pve.history(id, HISTORY));
    model.addAttribute("drift", drift.device(id));
    model.addAttribute("vulns", vulnerabilities.device(id));
    return "console/device";
  }

  /** Asks the device for fresh evidence now (as POST /api/devices/{id}/attestations). */
  @PostMapping("/console/devices/{id}/attest")
  @Allowed({Role.OPERATOR, Role.APPROVER})
  String attest(@PathVariable String id) {
    pve.request(id, CurrentUser.actorName(), "REQUESTED");
    return "redirect:/console/devices/" + id;
  }

  /** Readmits a quarantined device by fresh evidence (as POST /api/devices/{id}/readmit). */
  @PostMapping("/console/devices/{id}/readmit")
  @Allowed(Role.APPROVER)
  String readmit(@PathVariable String id) {
    pve.readmit(id, CurrentUser.actorName());
    return "redirect:/console/devices/" + id;
  }

  /** Disables the device: its certificate admits it no more (as POST /api/devices/{id}/disable). */
  @PostMapping("/console/devices/{id}/disable")
  @Allowed(Role.ADMIN)
  String disable(@PathVariable String id, @RequestParam(required = false) String reason) {
    devices.disable(CurrentUser.actorName(), id, blank(reason));
    return "redirect:/console/devices/" + id;
  }

  private static String blank(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }
}
