package org.neguard.server.pkg;

import java.io.IOException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.neguard.api.WireTime;
import org.neguard.api.auth.Role;
import org.neguard.api.pkg.TrustInfo;
import org.neguard.server.access.Allowed;
import org.neguard.sign.Certificates;
import org.neguard.sign.TrustStore;
import org.neguard.verdict.RefusalException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** The trust anchors and CRLs ingest verifies against (evidence for SRC-2). */
@RestController
class TrustController {
  private final TrustConfiguration trust;

  TrustController(TrustConfiguration trust) {
    this.trust = trust;
  }

  @GetMapping("/api/trust")
  @Allowed({Role.ADMIN, Role.PUBLISHER, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  TrustInfo trust() throws IOException, RefusalException {
    TrustStore t = trust.load();
    List<TrustInfo.Anchor> anchors = new ArrayList<>();
    for (X509Certificate c : t.anchors()) {
      anchors.add(new TrustInfo.Anchor(Certificates.subject(c), Certificates.fingerprint(c),
          WireTime.of(c.getNotAfter().toInstant()), t.vendors().getOrDefault(c, Set.of()),
          t.describeBinding(c)));
    }
    List<TrustInfo.Crl> crls = new ArrayList<>();
    for (X509CRL c : t.crls()) {
      crls.add(new TrustInfo.Crl(c.getIssuerX500Principal().getName(),
          WireTime.of(c.getThisUpdate().toInstant()),
          c.getNextUpdate() == null ? null : WireTime.of(c.getNextUpdate().toInstant()),
          c.getRevokedCertificates() == null ? 0 : c.getRevokedCertificates().size()));
    }
    return new TrustInfo(anchors, crls);
  }
}
