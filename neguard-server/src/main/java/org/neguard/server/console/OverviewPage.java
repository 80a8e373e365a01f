package org.neguard.server.console;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.api.auth.Role;
import org.neguard.api.deploy.Deployment;
import org.neguard.api.device.Device;
import org.neguard.server.access.Allowed;
import org.neguard.server.deploy.DeploymentViews;
import org.neguard.server.device.Devices;
import org.neguard.server.drift.DriftJudge;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

/** The fleet at a glance: trust states, active deployments, the audit chain's last check. */
@Controller
class OverviewPage {
  /** The trust states the overview always shows, even at zero. */
  static final List<String> STATES = List.of("trusted", "unknown", "untrusted", "quarantined", "disabled");
  private static final List<String> ACTIVE = List.of("pending_approval", "running", "paused");

  private final Devices devices;
  private final DeploymentViews deployments;
  private final AuditCheck auditCheck;
  private final DriftJudge drift;
  private final ActivityChart activity;

  OverviewPage(Devices devices, DeploymentViews deployments, AuditCheck auditCheck,
      DriftJudge drift, ActivityChart activity) {
    this.activity = activity;
    this.drift = drift;
    this.devices = devices;
    this.deployments = deployments;
    this.auditCheck = auditCheck;
  }

  @GetMapping(ConsoleSecurity.HOME)
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  String overview(@RequestParam(required = false) String window, Model model) {
    Map<String, Integer> byState = new LinkedHashMap<>();
    STATES.forEach(s -> byState.put(s, 0));
    for (Device d : devices.list(null, null)) {
      String state = d.disabledAt() != null ? "disabled"
          : d.trustState() == null ? "unknown" : d.trustState();
      byState.merge(state, 1, Integer::sum);
    }
    List<Deployment> all = deployments.list();
    model.addAttribute("byState", byState);
    model.addAttribute("chart", Chart.bars(byState));
    model.addAttribute("active", all.stream().filter(d -> ACTIVE.contains(d.state())).toList());
    Map<String, Integer> byDeploymentState = new LinkedHashMap<>();
    all.forEach(d -> byDeploymentState.merge(d.state(), 1, Integer::sum));
    model.addAttribute("deploymentChart", Chart.bars(byDeploymentState));
    model.addAttribute("auditCheck", auditCheck.last());
    model.addAttribute("outOfPolicy", drift.outOfPolicy());
    model.addAttribute("activity", activity.chart(ActivityChart.Window.of(window)));
    return "console/overview";
  }

  /** A horizontal bar chart drawn as SVG attributes on the server: no script, no style. */
  record Chart(List<Bar> bars, int height) {
    /** One bar: its label, value, width in the SVG's units, and its row's y. */
    record Bar(String label, int value, int width, int y) {}

    static final int WIDTH = 300;
    static final int ROW = 24;

    static Chart bars(Map<String, Integer> values) {
      int max = Math.max(1, values.values().stream().mapToInt(Integer::intValue).max().orElse(1));
      List<Bar> bars = new ArrayList<>();
      int y = 0;
      for (Map.Entry<String, Integer> e : values.entrySet()) {
        bars.add(new Bar(e.getKey(), e.getValue(), e.getValue() * WIDTH / max, y));
        y += ROW;
      }
      return new Chart(bars, Math.max(ROW, y));
    }
  }
}
