package org.neguard.scanreport;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.neguard.measure.Sha256;
import org.neguard.pkg.BundleCheck;
import org.neguard.pkg.BundleReader;
import org.neguard.pkg.Manifest;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The publication gate (AV-2): a package passes only when it carries scan reports (AV-3) that
 * judged exactly its payload, found nothing, skipped nothing, and meet the {@link ScanPolicy}.
 * {@code pkg sign} runs it before signing; {@code pkg verify}, the OAM server's ingest and the
 * agent run it again, so a report edited or swapped after signing is caught by its digest and
 * one copied from another package by its payload digest.
 *
 * <p>Every problem found is reported, not only the first. Thread-safe.
 */
public final class ScanReportCheck implements BundleCheck {
  /**
   * The largest report read: a report of 100,000 files is about 10 MiB, and a signed manifest
   * must not be able to make a verifier hold gigabytes in memory.
   */
  public static final long MAX_REPORT_BYTES = 64L << 20;

  private final ScanPolicy policy;

  public ScanReportCheck(ScanPolicy policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  public ScanPolicy policy() {
    return policy;
  }

  @Override
  public void check(BundleReader reader) throws IOException, RefusalException {
    judge(reader);
  }

  /**
   * Reads the open bundle's reports and judges them, like {@link #check(BundleReader)}.
   *
   * @return the reports judged, for showing them
   */
  public List<ScanReport> judge(BundleReader reader) throws IOException, RefusalException {
    List<ScanReport> reports = read(reader);
    check(reader.manifest(), reports);
    return reports;
  }

  /**
   * Reads every report the manifest lists, each checked against its listed size and SHA-256.
   *
   * @throws RefusalException {@code DIGEST_MISMATCH} for a report that is not the one listed,
   *     {@code MALFORMED} for one that does not parse
   */
  public static List<ScanReport> read(BundleReader reader) throws IOException, RefusalException {
    List<ScanReport> reports = new ArrayList<>();
    for (Manifest.ScanReportRef ref : reader.manifest().scanReports()) {
      if (ref.size() > MAX_REPORT_BYTES) {
        throw RefusalException.about(
            ReasonCode.SIZE_LIMIT,
            ref.path(),
            "scan report '" + ref.path() + "' is listed as " + ref.size()
                + " bytes, more than the " + MAX_REPORT_BYTES + " a report may have");
      }
      byte[] bytes;
      try (InputStream in = reader.openEntry(ref.path(), ref.size())) {
        bytes = in.readAllBytes();
      }
      String sha256 = Sha256.hex(bytes);
      if (bytes.length != ref.size() || !sha256.equals(ref.sha256())) {
        throw RefusalException.about(
            ReasonCode.DIGEST_MISMATCH,
            ref.path(),
            "scan report '" + ref.path() + "' is not the one the manifest lists (SHA-256 "
                + sha256 + ", listed " + ref.sha256() + "); it was altered after scanning");
      }
      reports.add(ScanReportCodec.decode(ref.path(), bytes));
    }
    return reports;
  }

  /**
   * Judges {@code reports} for the package described by {@code manifest}.
   *
   * @throws RefusalException with every reason: {@code SCAN_REPORT_MISSING}, {@code
   *     SCAN_REPORT_MISMATCH} (another payload, another package, files missing or extra), {@code
   *     INFECTED}, {@code NOT_SCANNED}, {@code SCAN_POLICY}
   */
  public void check(Manifest manifest, List<ScanReport> reports) throws RefusalException {
    if (reports.isEmpty()) {
      throw new RefusalException(
          ReasonCode.SCAN_REPORT_MISSING,
          "the package carries no anti-virus scan report; scan it with 'neguard pkg scan"
              + " --engine ...' before signing (AV-1, AV-2)");
    }
    List<Reason> reasons = new ArrayList<>();
    List<String> paths = manifest.files().stream().map(Manifest.FileEntry::path).toList();
    Set<String> products = new LinkedHashSet<>();
    Set<String> antivirus = new LinkedHashSet<>();
    for (int i = 0; i < reports.size(); i++) {
      ScanReport r = reports.get(i);
      String name = manifest.scanReports().size() > i ? manifest.scanReports().get(i).path()
          : "report " + (i + 1);
      int before = reasons.size();
      matchesPackage(manifest, paths, r, name, reasons);
      for (FileResult f : r.files()) {
        if (f.status() == FileResult.Status.INFECTED) {
          reasons.add(Reason.about(ReasonCode.INFECTED, f.path(),
              engineName(r) + " found " + f.signature() + " in '" + f.path() + "'"
                  + (f.detail() == null ? "" : " (" + f.detail() + ")")
                  + "; the package must not be published"));
        } else if (f.status() == FileResult.Status.NOT_SCANNED) {
          reasons.add(Reason.about(ReasonCode.NOT_SCANNED, f.path(),
              engineName(r) + " did not scan '" + f.path() + "' in full: " + f.detail()
                  + "; raise the engine's limits or remove the content, then scan again"));
        }
      }
      databaseAge(r, name, reasons);
      if (reasons.size() == before) {
        products.add(r.engine().product());
        if (ScanPolicy.ANTIVIRUS_KINDS.contains(r.engine().kind())) {
          antivirus.add(r.engine().product());
        }
      }
    }
    if (reasons.isEmpty()) {
      if (products.size() < policy.minEngines()) {
        reasons.add(Reason.of(ReasonCode.SCAN_POLICY,
            "the policy asks for clean reports from " + policy.minEngines()
                + " distinct engines; the package has " + products.size() + " " + products
                + "; scan with more engines"));
      }
      if (antivirus.size() < policy.minAntivirusEngines()) {
        reasons.add(Reason.of(ReasonCode.SCAN_POLICY,
            "the policy asks for clean reports from " + policy.minAntivirusEngines()
                + " anti-virus engines (clamd or ICAP); the package has " + antivirus.size()
                + "; scan with an anti-virus engine"));
      }
    }
    if (!reasons.isEmpty()) {
      throw new RefusalException(reasons);
    }
  }

  private static void matchesPackage(
      Manifest manifest, List<String> paths, ScanReport r, String name, List<Reason> reasons) {
    if (!r.payloadDigest().equals(manifest.rim().digest())) {
      reasons.add(Reason.about(ReasonCode.SCAN_REPORT_MISMATCH, name,
          "scan report '" + name + "' judged payload " + r.payloadDigest()
              + ", not this package's payload " + manifest.rim().digest()
              + " (copied from another package?); scan this package"));
      return;
    }
    if (!r.packageName().equals(manifest.name())
        || !r.packageVersion().equals(manifest.version())) {
      reasons.add(Reason.about(ReasonCode.SCAN_REPORT_MISMATCH, name,
          "scan report '" + name + "' is for " + r.packageName() + " " + r.packageVersion()
              + ", not " + manifest.name() + " " + manifest.version() + "; scan this package"));
    }
    List<String> scanned = r.files().stream().map(FileResult::path).toList();
    if (!scanned.equals(paths)) {
      reasons.add(Reason.about(ReasonCode.SCAN_REPORT_MISMATCH, name,
          "scan report '" + name + "' lists " + scanned.size() + " files, not exactly the "
              + paths.size() + " payload files of the manifest; scan this package"));
    }
  }

  private void databaseAge(ScanReport r, String name, List<Reason> reasons) {
    EngineInfo e = r.engine();
    if (e.databaseVersion() == null || e.databaseDate() == null) {
      if (policy.requireDatabaseVersion()) {
        reasons.add(Reason.about(ReasonCode.SCAN_POLICY, name,
            engineName(r) + " did not report its signature database version and date (AV-3);"
                + " use an engine that does, or relax requireDatabaseVersion in the scan policy"));
      }
      return;
    }
    Duration age = Duration.between(e.databaseDate(), r.started());
    if (age.compareTo(Duration.ofHours(-1)) < 0) {
      // A database built after the scan means a wrong clock somewhere: its age proves nothing.
      reasons.add(Reason.about(ReasonCode.SCAN_POLICY, name,
          engineName(r) + " reports signature database " + e.databaseVersion() + " of "
              + e.databaseDate() + ", after the scan started at " + r.started() + "; check the"
              + " clocks of the scanning host and the engine, then scan again"));
    } else if (age.compareTo(policy.maxDatabaseAge()) > 0) {
      reasons.add(Reason.about(ReasonCode.SCAN_POLICY, name,
          engineName(r) + " scanned with signature database " + e.databaseVersion() + " of "
              + e.databaseDate() + ", " + age.toDays() + " days old at scan time; the policy"
              + " allows " + policy.maxDatabaseAge().toDays() + " days. Update the database"
              + " (freshclam) and scan again"));
    }
  }

  static String engineName(ScanReport r) {
    return r.engine().product() + " " + r.engine().engineVersion();
  }
}
