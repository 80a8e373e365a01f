package org.neguard.server.pkg;

import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.neguard.api.auth.Role;
import org.neguard.api.pkg.PackageInfo;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.web.ApiException;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The package repository: publishers upload (verified ingest, SRC-2); every role reads. The
 * upload body is the raw bundle ({@code application/octet-stream}), streamed, never multipart.
 */
@RestController
@RequestMapping("/api/packages")
class PackageController {
  private final PackageIngest ingest;
  private final PackageStore store;

  PackageController(PackageIngest ingest, PackageStore store) {
    this.ingest = ingest;
    this.store = store;
  }

  @PostMapping
  @Allowed(Role.PUBLISHER)
  ResponseEntity<PackageInfo> upload(HttpServletRequest request) throws IOException {
    PackageIngest.Accepted a = ingest.ingest(CurrentUser.current().username(),
        request.getContentLengthLong(), request.getInputStream());
    return ResponseEntity.status(a.created() ? 201 : 200).body(a.pkg().wire());
  }

  @GetMapping
  @Allowed({Role.ADMIN, Role.PUBLISHER, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  List<PackageInfo> list() {
    return store.list().stream().map(PackageStore.StoredPackage::wire).toList();
  }

  @GetMapping("/{name}/{version}")
  @Allowed({Role.ADMIN, Role.PUBLISHER, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  PackageInfo get(@PathVariable String name, @PathVariable String version) {
    return find(name, version).wire();
  }

  @GetMapping("/{name}/{version}/bundle")
  @Allowed({Role.ADMIN, Role.PUBLISHER, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  ResponseEntity<Resource> bundle(@PathVariable String name, @PathVariable String version) {
    PackageStore.StoredPackage p = find(name, version);
    Path file = ingest.bundleFile(p);
    if (!Files.isRegularFile(file)) {
      throw ApiException.of(org.neguard.verdict.ReasonCode.IO_ERROR,
          "the bundle of " + name + " " + version + " is missing from the package store");
    }
    // The whole file's SHA-256, so that a client can check it got the very file the server
    // verified: RFC 9530 Repr-Digest (base64) and the ETag (hex, as sha256sum prints it).
    String b64 = Base64.getEncoder().encodeToString(HexFormat.of().parseHex(p.sha256()));
    return ResponseEntity.ok()
        .contentType(MediaType.APPLICATION_OCTET_STREAM)
        .header("Repr-Digest", "sha-256=:" + b64 + ":")
        .eTag("\"" + p.sha256() + "\"")
        .header(HttpHeaders.CONTENT_DISPOSITION,
            "attachment; filename=\"" + p.name() + "-" + p.version() + ".ngp\"")
        .body(new FileSystemResource(file));
  }

  private PackageStore.StoredPackage find(String name, String version) {
    return store.find(name, version).orElseThrow(
        () -> ApiException.notFound("no package " + name + " " + version));
  }
}
