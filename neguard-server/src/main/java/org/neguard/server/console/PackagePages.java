package org.neguard.server.console;

import java.io.IOException;
import java.util.List;
import org.neguard.api.auth.Role;
import org.neguard.api.pkg.PackageInfo;
import org.neguard.scanreport.ScanReport;
import org.neguard.server.access.Allowed;
import org.neguard.server.pkg.PackageStore;
import org.neguard.server.pkg.StoredBundles;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.ReasonCode;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;

/** The stored packages with their signer and RIM (as GET /api/packages), for every role. */
@Controller
class PackagePages {
  /**
   * One engine's scan report as the page shows it.
   *
   * @param files how many payload files the engine reported on
   * @param findings how many of them were not clean (infected or not scanned)
   */
  record EngineRow(String kind, String product, String engineVersion, String databaseVersion,
      String databaseDate, String started, String finished, String verdict, String scanHost,
      int files, int findings) {
    static EngineRow of(ScanReport r) {
      return new EngineRow(r.engine().kind(), r.engine().product(), r.engine().engineVersion(),
          r.engine().databaseVersion() == null ? "unknown" : r.engine().databaseVersion(),
          r.engine().databaseDate() == null ? "unknown" : r.engine().databaseDate().toString(),
          r.started().toString(), r.finished().toString(), r.verdict().name(), r.scanHost(),
          r.files().size(), r.findings().size());
    }
  }

  private final PackageStore store;
  private final StoredBundles bundles;

  PackagePages(PackageStore store, StoredBundles bundles) {
    this.store = store;
    this.bundles = bundles;
  }

  @GetMapping("/console/packages")
  @Allowed({Role.ADMIN, Role.PUBLISHER, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  String packages(Model model) {
    model.addAttribute("packages", store.packages());
    return "console/packages";
  }

  /**
   * One stored package: its signer and RIM, and its scan reports as a row per engine, read from
   * the stored bundle (checked against its signed manifest) rather than from anything uploaded
   * beside it.
   */
  @GetMapping("/console/packages/{name}/{version}")
  @Allowed({Role.ADMIN, Role.PUBLISHER, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  String packagePage(@PathVariable String name, @PathVariable String version, Model model) {
    PackageInfo p = store.packages().stream()
        .filter(i -> i.name().equals(name) && i.version().equals(version)).findFirst()
        .orElseThrow(() -> ApiException.notFound("no package " + name + " " + version));
    List<ScanReport> reports;
    try {
      reports = bundles.scanReports(name, version).orElseThrow(
          () -> ApiException.notFound("no stored bundle for " + name + " " + version));
    } catch (IOException e) {
      throw ApiException.of(ReasonCode.IO_ERROR, e.getMessage());
    }
    model.addAttribute("p", p);
    model.addAttribute("engines", reports.stream().map(EngineRow::of).toList());
    return "console/package";
  }
}
