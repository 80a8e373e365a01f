package org.neguard.server.repo;

import jakarta.servlet.http.HttpServletRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.neguard.measure.Sha256;
import org.neguard.server.NeguardServer;
import org.neguard.server.access.Allowed;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.pkg.StoredBundles;
import org.neguard.server.web.ApiException;
import org.neguard.tuf.Role;
import org.neguard.tuf.TargetFile;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The repository's files, for any TUF client (docs/REPOSITORY.md): {@code metadata/root.json},
 * {@code N.root.json}, {@code timestamp.json}, {@code N.snapshot.json}, {@code N.targets.json},
 * and {@code targets/<sha256>.<name>}, the bundle of a current target. Served on the users' port
 * (any signed-in user, or anyone with {@code --repo-public}) and on the agents' port (enrolled
 * devices). A name is only ever looked up, never used as a path: the bytes come from the
 * database or from the package store by the file's digest, so no name reaches another file.
 */
@RestController
@RequestMapping("/api/repo/v1")
class RepoFilesController {
  /** {@code [N.]role.json}: a version without leading zeros, at most 9 digits (an int). */
  private static final Pattern METADATA =
      Pattern.compile("(?:([1-9][0-9]{0,8})\\.)?(root|timestamp|snapshot|targets)\\.json");
  private static final Pattern TARGET = Pattern.compile("([0-9a-f]{64})\\.(.+)");
  /** What never changes at its name: a versioned file, a target (named by its digest). */
  private static final String IMMUTABLE = "max-age=31536000, immutable";

  private final RepoStore store;
  private final CurrentTargets current;
  private final StoredBundles bundles;
  private final boolean publicRead;

  RepoFilesController(RepoStore store, CurrentTargets current, StoredBundles bundles,
      @Value("${" + NeguardServer.REPO_PUBLIC + "}") boolean publicRead) {
    this.store = store;
    this.current = current;
    this.bundles = bundles;
    this.publicRead = publicRead;
  }

  @GetMapping("/metadata/{file}")
  @Allowed(anyUser = true, device = true, anonymousIf = NeguardServer.REPO_PUBLIC)
  ResponseEntity<byte[]> metadata(@PathVariable String file, HttpServletRequest request) {
    int rootVersion = rootVersion();
    Matcher m = METADATA.matcher(file);
    if (!m.matches()) {
      throw missing(file);
    }
    Role role = Role.of(m.group(2));
    Integer version = m.group(1) == null ? null : Integer.valueOf(m.group(1));
    Optional<byte[]> content;
    boolean mutable = version == null;
    if (role == Role.ROOT) {
      if (version != null && version > rootVersion) {
        // Every client refresh ends by asking for the next root; its absence is the answer.
        AuditLog.expectedAnswer(request);
        throw missing(file);
      }
      content = version == null ? store.root(rootVersion) : store.root(version);
    } else if (role == Role.TIMESTAMP) {
      content = version == null ? store.current(Role.TIMESTAMP).map(RepoStore.MetaRow::content)
          : Optional.empty();
    } else {
      // Consistent snapshots: targets and snapshot only by version.
      content = version == null ? Optional.empty() : store.content(role, version);
    }
    byte[] body = content.orElseThrow(() -> missing(file));
    String etag = "\"" + Sha256.hex(body) + "\"";
    HttpHeaders h = new HttpHeaders();
    h.setETag(etag);
    h.setCacheControl(mutable ? "no-cache" : visibility() + IMMUTABLE);
    if (etag.equals(request.getHeader(HttpHeaders.IF_NONE_MATCH))) {
      return ResponseEntity.status(304).headers(h).build();
    }
    return ResponseEntity.ok().headers(h).contentType(MediaType.APPLICATION_JSON).body(body);
  }

  @GetMapping("/targets/{file}")
  @Allowed(anyUser = true, device = true, anonymousIf = NeguardServer.REPO_PUBLIC)
  ResponseEntity<Resource> target(@PathVariable String file) {
    rootVersion();
    Matcher m = TARGET.matcher(file);
    if (!m.matches() || !TargetFile.isSafeName(m.group(2))) {
      throw missing(file);
    }
    TargetFile t = current.targets().get(m.group(2));
    if (t == null || !t.sha256().equals(m.group(1))) {
      throw missing(file);
    }
    Path bundle = bundles.file(t.sha256()).filter(Files::isRegularFile)
        .orElseThrow(() -> ApiException.of(org.neguard.verdict.ReasonCode.IO_ERROR,
            "the bundle of target " + t.name() + " is missing from the package store"));
    return ResponseEntity.ok()
        .contentType(MediaType.APPLICATION_OCTET_STREAM)
        .eTag("\"" + t.sha256() + "\"")
        .header(HttpHeaders.CACHE_CONTROL, visibility() + IMMUTABLE)
        .body(new FileSystemResource(bundle));
  }

  /** The newest root's version; before a root, 404 naming the command that makes one. */
  private int rootVersion() {
    return store.root().map(RepoStore.RootRow::version)
        .orElseThrow(() -> ApiException.notFound(Repository.INIT_HINT));
  }

  /** Shared caches may keep a public repository's files, never a private one's. */
  private String visibility() {
    return publicRead ? "public, " : "private, ";
  }

  private static ApiException missing(String file) {
    return ApiException.notFound("no file " + file + " in the repository");
  }
}
