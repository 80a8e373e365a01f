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
  private final AuditLog audit;

  RepoController(Repository repository, AuditLog audit) {
    this.repository = repository;
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

  @GetMapping("/status")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  RepoStatus status() {
    return repository.status();
  }

  private static ResponseEntity<byte[]> json(byte[] body) {
    return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(body);
  }
}
