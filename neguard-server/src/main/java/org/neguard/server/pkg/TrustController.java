package org.neguard.server.pkg;

import java.io.IOException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.server.auth.Allowed;
import org.neguard.server.auth.Role;
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
  Map<String, Object> trust() throws IOException, RefusalException {
    TrustStore t = trust.load();
    List<Map<String, Object>> anchors = new ArrayList<>();
    for (X509Certificate c : t.anchors()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("subject", Certificates.subject(c));
      m.put("fingerprint", Certificates.fingerprint(c));
      m.put("notAfter", c.getNotAfter().toInstant().toString());
      m.put("vendors", t.vendors().getOrDefault(c, java.util.Set.of()));
      m.put("speaksFor", t.describeBinding(c));
      anchors.add(m);
    }
    List<Map<String, Object>> crls = new ArrayList<>();
    for (X509CRL c : t.crls()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("issuer", c.getIssuerX500Principal().getName());
      m.put("thisUpdate", c.getThisUpdate().toInstant().toString());
      m.put("nextUpdate", c.getNextUpdate() == null ? null : c.getNextUpdate().toInstant().toString());
      m.put("revoked", c.getRevokedCertificates() == null ? 0 : c.getRevokedCertificates().size());
      crls.add(m);
    }
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("anchors", anchors);
    o.put("crls", crls);
    return o;
  }
}
