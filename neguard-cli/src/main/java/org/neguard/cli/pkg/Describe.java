package org.neguard.cli.pkg;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.pkg.Manifest;
import org.neguard.scanreport.EngineInfo;
import org.neguard.scanreport.FileResult;
import org.neguard.scanreport.ScanReport;
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
    o.put("format", m.format());
    m.sbom().ifPresent(b -> o.put("sbom", Map.of("path", b.path(), "size", b.size(),
        "sha256", b.sha256())));
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
        m.files().size(), m.payloadBytes(), m.rim().algorithm(), m.rim().digest())
        + m.sbom().map(b -> String.format("%n  SBOM       %s, %,d bytes, SHA-256 %s (%s)",
            b.path(), b.size(), b.sha256(), m.format())).orElse("");
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

  /** The reports as JSON: engine, database, times, verdict, and the findings only. */
  static List<Map<String, Object>> scanReports(List<ScanReport> reports) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (ScanReport r : reports) {
      out.add(scanReport(r, false));
    }
    return out;
  }

  static Map<String, Object> scanReport(ScanReport r, boolean allFiles) {
    EngineInfo e = r.engine();
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("engine", e.kind());
    o.put("product", e.product());
    o.put("engineVersion", e.engineVersion());
    o.put("databaseVersion", e.databaseVersion());
    o.put("databaseDate", e.databaseDate() == null ? null : e.databaseDate().toString());
    o.put("endpoint", e.endpoint());
    o.put("scanHost", r.scanHost());
    o.put("scanner", r.scanner());
    o.put("started", r.started().toString());
    o.put("finished", r.finished().toString());
    o.put("payloadDigest", r.payloadDigest());
    o.put("fileCount", r.files().size());
    o.put("verdict", r.verdict().name());
    o.put("notes", r.notes());
    List<Map<String, Object>> files = new ArrayList<>();
    for (FileResult f : allFiles ? r.files() : r.findings()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("path", f.path());
      m.put("status", f.status().name());
      m.put("signature", f.signature());
      m.put("detail", f.detail());
      files.add(m);
    }
    o.put(allFiles ? "files" : "findings", files);
    return o;
  }

  /** One table row per report, then every finding. */
  static String scanText(List<ScanReport> reports) {
    if (reports.isEmpty()) {
      return "  scans      none";
    }
    StringBuilder b = new StringBuilder();
    b.append(String.format("  scans      %-10s %-28s %-34s %-20s %s%n",
        "VERDICT", "ENGINE", "DATABASE", "SCANNED", "HOST"));
    for (ScanReport r : reports) {
      EngineInfo e = r.engine();
      String db = (e.databaseVersion() == null ? "unknown" : e.databaseVersion())
          + (e.databaseDate() == null ? "" : " of " + e.databaseDate().toString().substring(0, 10));
      b.append(String.format("             %-10s %-28s %-34s %-20s %s%n",
          r.verdict(), e.product() + " " + e.engineVersion(), db,
          r.finished().toString().replace('T', ' ').substring(0, 19), r.scanHost()));
      for (FileResult f : r.findings()) {
        b.append(String.format("               %-11s %s%s%n", f.status(), f.path(),
            f.status() == FileResult.Status.INFECTED
                ? ": " + f.signature() + (f.detail() == null ? "" : " (" + f.detail() + ")")
                : ": " + f.detail()));
      }
      for (String note : r.notes()) {
        b.append("               note: ").append(note).append('\n');
      }
    }
    return b.toString().stripTrailing();
  }
}
