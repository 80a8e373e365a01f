package org.neguard.server.repo;

import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import org.neguard.api.auth.Role;
import org.neguard.api.repo.RepoStatus;
import org.neguard.api.repo.RotateKeyRequest;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.ReasonCode;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The repository's administration (docs/REPOSITORY.md): the online keys a root must name, their
 * rotation, publishing a root signed offline, and the status. The repository's files are
 * {@link RepoFilesController}'s.
 */
@RestController
@RequestMapping("/api/repo")
class RepoController {
  private final Repository repository;
  private final OfflineTargets offlineTargets;
  private final AuditLog audit;

  RepoController(Repository repository, OfflineTargets offlineTargets, AuditLog audit) {
    this.repository = repository;
    this.offlineTargets = offlineTargets;
    this.audit = audit;
  }

  /** The online public keys, one per online role, created on the first call. */
  @GetMapping("/online-keys")
  @Allowed(Role.ADMIN)
  ResponseEntity<byte[]> onlineKeys() {
    return json(repository.onlineKeysJson());
  }

  /** A new online key for {@code role}; answers the online keys with it. */
  @PostMapping("/online-keys/{role}/rotate")
  @Allowed(Role.ADMIN)
  ResponseEntity<byte[]> rotate(@PathVariable String role,
      @RequestBody(required = false) RotateKeyRequest request) {
    return json(repository.rotate(CurrentUser.actorName(), role,
        request == null ? null : request.keytype()));
  }

  /** Publishes a root signed offline (the raw root.json), then targets, snapshot, timestamp. */
  @PostMapping("/root")
  @Allowed(Role.ADMIN)
  RepoStatus root(HttpServletRequest request) throws IOException {
    String actor = CurrentUser.actorName();
    byte[] body;
    try (InputStream in = request.getInputStream()) {
      body = in.readNBytes((int) Repository.MAX_ROOT_BYTES + 1);
    }
    if (body.length > Repository.MAX_ROOT_BYTES) {
      ApiException e = ApiException.of(ReasonCode.SIZE_LIMIT, "a root may have at most "
          + Repository.MAX_ROOT_BYTES + " bytes");
      audit.append(Repository.refusal(actor, "REPO_ROOT", "repository root", e));
      throw e;
    }
    return repository.publishRoot(actor, body);
  }

  /**
   * The next unsigned targets when the root's targets keys are offline: 200 with the file, or
   * 204 when the published targets is current. The holders sign what a release or security
   * officer fetched: admins and approvers (the security officers who approve deployments) may
   * fetch and publish; the signatures, not the role, are what clients check.
   */
  @GetMapping("/targets/next")
  @Allowed({Role.ADMIN, Role.APPROVER})
  ResponseEntity<byte[]> nextTargets() {
    return offlineTargets.next(CurrentUser.actorName())
        .map(n -> ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON)
            .header("NeGuard-Targets-Reason", ascii(n.why())).body(n.content()))
        .orElseGet(() -> ResponseEntity.noContent().build());
  }

  /** Publishes targets signed offline (the raw N.targets.json), then snapshot and timestamp. */
  @PostMapping("/targets")
  @Allowed({Role.ADMIN, Role.APPROVER})
  RepoStatus targets(HttpServletRequest request) throws IOException {
    String actor = CurrentUser.actorName();
    byte[] body;
    try (InputStream in = request.getInputStream()) {
      body = in.readNBytes((int) OfflineTargets.MAX_TARGETS_BYTES + 1);
    }
    if (body.length > OfflineTargets.MAX_TARGETS_BYTES) {
      ApiException e = ApiException.of(ReasonCode.SIZE_LIMIT, "a targets file may have at most "
          + OfflineTargets.MAX_TARGETS_BYTES + " bytes");
      audit.append(Repository.refusal(actor, "REPO_TARGETS", "repository targets", e));
      throw e;
    }
    offlineTargets.publish(actor, body);
    return repository.status();
  }

  /** A header value: printable ASCII only. */
  private static String ascii(String s) {
    return s.replaceAll("[^\\x20-\\x7e]", "?");
  }

  @GetMapping("/status")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  RepoStatus status() {
    return repository.status();
  }

  private static ResponseEntity<byte[]> json(byte[] body) {
    return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(body);
  }
}
