package org.neguard.server.console;

import java.util.Arrays;
import java.util.List;
import org.neguard.api.auth.Role;
import org.neguard.api.deploy.ApproveRequest;
import org.neguard.api.deploy.CreateDeploymentRequest;
import org.neguard.api.deploy.Deployment;
import org.neguard.api.deploy.ReasonRequest;
import org.neguard.api.deploy.RecoveryRequest;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.deploy.DeploymentViews;
import org.neguard.server.deploy.Deployments;
import org.neguard.server.deploy.Recoveries;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * Deployments and recovery campaigns: the list, one deployment with its waves (refreshed live),
 * and the four-eyes actions, each calling the same service as the API with the same roles. A
 * button is shown only to whom it would serve, but the service decides (the creator's approval
 * is refused there, whatever the page showed).
 */
@Controller
class DeploymentPages {
  private static final String BASE = "/console/deployments";
  private final Deployments deployments;
  private final DeploymentViews views;
  private final Recoveries recoveries;

  DeploymentPages(Deployments deployments, DeploymentViews views, Recoveries recoveries) {
    this.deployments = deployments;
    this.views = views;
    this.recoveries = recoveries;
  }

  @GetMapping(BASE)
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  String list(Model model) {
    model.addAttribute("deployments", views.list());
    return "console/deployments";
  }

  @GetMapping(BASE + "/{id}")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  String one(@PathVariable String id, Model model) {
    Deployment d = views.get(id);
    CurrentUser me = CurrentUser.current();
    boolean pending = d.state().equals("pending_approval");
    boolean creator = d.createdBy().equals(me.username());
    boolean approved = d.approvals().stream().anyMatch(a -> a.approver().equals(me.username()));
    model.addAttribute("d", d);
    model.addAttribute("targets", views.targets(id));
    model.addAttribute("canApprove", pending && me.has(Role.APPROVER) && !creator && !approved);
    model.addAttribute("canPause", me.has(Role.OPERATOR) && d.state().equals("running"));
    model.addAttribute("canResume", (me.has(Role.OPERATOR) || me.has(Role.APPROVER))
        && d.state().equals("paused"));
    model.addAttribute("canCancel", me.has(Role.OPERATOR)
        && List.of("pending_approval", "running", "paused").contains(d.state()));
    return "console/deployment";
  }

  /** The waves alone, which the deployment's page fetches every few seconds while it runs. */
  @GetMapping(BASE + "/{id}/waves")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  String waves(@PathVariable String id, Model model) {
    model.addAttribute("d", views.get(id));
    model.addAttribute("targets", views.targets(id));
    return "console/deployment :: waves";
  }

  @PostMapping(BASE)
  @Allowed(Role.OPERATOR)
  String create(@RequestParam String packageName, @RequestParam String packageVersion,
      @RequestParam(required = false) String devices, @RequestParam(required = false) String labels,
      @RequestParam(required = false) String neType, @RequestParam(required = false) String waves,
      @RequestParam(required = false) Integer errorThreshold) {
    Deployment d = deployments.create(actor(), new CreateDeploymentRequest(packageName,
        packageVersion, list(devices), list(labels), blank(neType), list(waves), null,
        errorThreshold, null, null, null, null));
    return "redirect:" + BASE + "/" + d.id();
  }

  /**
   * Creates a recovery campaign (REC-2) as POST /api/recoveries does: the same service, so the
   * same checks and the same {@code RECOVERY_CREATE} row. It then waits for approval on its
   * deployment's page like any deployment.
   */
  @PostMapping("/console/recoveries")
  @Allowed(Role.OPERATOR)
  String createRecovery(@RequestParam String neType, @RequestParam String packageName,
      @RequestParam String packageVersion, @RequestParam(required = false) String devices,
      @RequestParam(required = false) Integer waveSize) {
    Deployment d = recoveries.create(actor(), new RecoveryRequest(blank(neType),
        blank(packageName), blank(packageVersion), null, list(devices), waveSize, null), null);
    return "redirect:" + BASE + "/" + d.id();
  }

  @PostMapping(BASE + "/{id}/approve")
  @Allowed(Role.APPROVER)
  String approve(@PathVariable String id, @RequestParam(required = false) String comment,
      @RequestParam(required = false) Boolean acknowledgeRollback) {
    deployments.approve(actor(), id, new ApproveRequest(acknowledgeRollback, blank(comment)));
    return "redirect:" + BASE + "/" + id;
  }

  @PostMapping(BASE + "/{id}/reject")
  @Allowed(Role.APPROVER)
  String reject(@PathVariable String id, @RequestParam(required = false) String reason) {
    deployments.reject(actor(), id, new ReasonRequest(blank(reason)));
    return "redirect:" + BASE + "/" + id;
  }

  @PostMapping(BASE + "/{id}/pause")
  @Allowed(Role.OPERATOR)
  String pause(@PathVariable String id, @RequestParam(required = false) String reason) {
    deployments.pause(actor(), id, new ReasonRequest(blank(reason)));
    return "redirect:" + BASE + "/" + id;
  }

  @PostMapping(BASE + "/{id}/resume")
  @Allowed({Role.OPERATOR, Role.APPROVER})
  String resume(@PathVariable String id, @RequestParam(required = false) String reason) {
    deployments.resume(CurrentUser.current(), id, new ReasonRequest(blank(reason)));
    return "redirect:" + BASE + "/" + id;
  }

  @PostMapping(BASE + "/{id}/cancel")
  @Allowed(Role.OPERATOR)
  String cancel(@PathVariable String id, @RequestParam(required = false) String reason) {
    deployments.cancel(actor(), id, new ReasonRequest(blank(reason)));
    return "redirect:" + BASE + "/" + id;
  }

  private static String actor() {
    return CurrentUser.current().username();
  }

  private static String blank(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  /** A comma- or space-separated field as a list; null when empty. */
  private static List<String> list(String s) {
    if (s == null || s.isBlank()) {
      return null;
    }
    return Arrays.stream(s.split("[,\\s]+")).filter(x -> !x.isEmpty()).toList();
  }
}
