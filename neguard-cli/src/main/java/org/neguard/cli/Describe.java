package org.neguard.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.pkg.Manifest;
import org.neguard.sign.SignerDetails;

/** Results as JSON-ready maps and as text, one place for each. */
final class Describe {
  private Describe() {}

  static Map<String, Object> pkg(Manifest m, boolean withFiles) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("name", m.name());
    o.put("version", m.version());
    o.put("securityVersion", m.securityVersion());
    o.put("neType", m.neType());
    o.put("vendor", m.vendor());
    o.put("created", m.created());
    o.put("rim", Map.of("algorithm", m.rim().algorithm(), "digest", m.rim().digest()));
    o.put("fileCount", m.files().size());
    o.put("payloadBytes", m.payloadBytes());
    if (withFiles) {
      List<Map<String, Object>> files = new ArrayList<>();
      for (Manifest.FileEntry f : m.files()) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("path", f.path());
        e.put("size", f.size());
        e.put("mode", f.mode());
        e.put("sha256", f.sha256());
        files.add(e);
      }
      o.put("files", files);
      List<Map<String, Object>> reports = new ArrayList<>();
      for (Manifest.ScanReportRef r : m.scanReports()) {
        reports.add(Map.of("path", r.path(), "size", r.size(), "sha256", r.sha256()));
      }
      o.put("scanReports", reports);
    }
    return o;
  }

  static Map<String, Object> signer(SignerDetails s) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("subject", s.subject());
    o.put("issuer", s.issuer());
    o.put("serialNumber", s.serialNumber());
    o.put("fingerprint", s.fingerprint());
    o.put("notBefore", s.notBefore().toString());
    o.put("notAfter", s.notAfter().toString());
    o.put("signingTime", s.signingTime().toString());
    o.put("signatureAlgorithm", s.signatureAlgorithm());
    o.put("path", s.path());
    return o;
  }

  static String pkgText(Manifest m) {
    return String.format(
        "  package    %s %s (securityVersion %d) for %s, by %s%n"
            + "  created    %s%n"
            + "  payload    %,d files, %,d bytes%n"
            + "  RIM        %s %s",
        m.name(), m.version(), m.securityVersion(), m.neType(), m.vendor(), m.created(),
        m.files().size(), m.payloadBytes(), m.rim().algorithm(), m.rim().digest());
  }

  static String signerText(SignerDetails s) {
    return String.format(
        "  signer     %s%n"
            + "  issuer     %s%n"
            + "  signed at  %s (%s)%n"
            + "  chain      %s",
        s.subject(), s.issuer(), s.signingTime(), s.signatureAlgorithm(),
        String.join(" <- ", s.path()));
  }
}
