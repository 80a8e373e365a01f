package org.neguard.server.deploy;

import java.util.List;
import org.neguard.api.auth.Role;
import org.neguard.api.deploy.ApproveRequest;
import org.neguard.api.deploy.CreateDeploymentRequest;
import org.neguard.api.deploy.Deployment;
import org.neguard.api.deploy.ReasonRequest;
import org.neguard.api.deploy.Target;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentUser;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The users' deployment API (docs/DEPLOYMENTS.md, "Deployments"). */
@RestController
@RequestMapping("/api/deployments")
class DeploymentController {
  private final Deployments deployments;
  private final DeploymentViews views;

  DeploymentController(Deployments deployments, DeploymentViews views) {
    this.deployments = deployments;
    this.views = views;
  }

  @PostMapping
  @Allowed(Role.OPERATOR)
  ResponseEntity<Deployment> create(@RequestBody(required = false) CreateDeploymentRequest r) {
    return ResponseEntity.status(201).body(deployments.create(actor(), r));
  }

  @GetMapping
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  List<Deployment> list() {
    return views.list();
  }

  @GetMapping("/{id}")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  Deployment get(@PathVariable String id) {
    return views.get(id);
  }

  @GetMapping("/{id}/targets")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  List<Target> targets(@PathVariable String id) {
    return views.targets(id);
  }

  @PostMapping("/{id}/approve")
  @Allowed(Role.APPROVER)
  Deployment approve(@PathVariable String id,
      @RequestBody(required = false) ApproveRequest r) {
    return deployments.approve(actor(), id, r);
  }

  @PostMapping("/{id}/reject")
  @Allowed(Role.APPROVER)
  Deployment reject(@PathVariable String id, @RequestBody(required = false) ReasonRequest r) {
    return deployments.reject(actor(), id, r);
  }

  @PostMapping("/{id}/pause")
  @Allowed(Role.OPERATOR)
  Deployment pause(@PathVariable String id, @RequestBody(required = false) ReasonRequest r) {
    return deployments.pause(actor(), id, r);
  }

  @PostMapping("/{id}/resume")
  @Allowed({Role.OPERATOR, Role.APPROVER})
  Deployment resume(@PathVariable String id, @RequestBody(required = false) ReasonRequest r) {
    return deployments.resume(CurrentUser.current(), id, r);
  }

  @PostMapping("/{id}/cancel")
  @Allowed(Role.OPERATOR)
  Deployment cancel(@PathVariable String id, @RequestBody(required = false) ReasonRequest r) {
    return deployments.cancel(actor(), id, r);
  }

  private static String actor() {
    return CurrentUser.current().username();
  }
}
