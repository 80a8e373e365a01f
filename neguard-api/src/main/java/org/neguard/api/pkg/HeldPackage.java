package org.neguard.api.pkg;

import java.util.List;

/**
 * A package the publication gate holds (issue 16): verified and kept, but not published, because
 * its SBOM has known vulnerabilities at or above the server's threshold that no VEX statement
 * suppresses. The rows of {@code GET /api/packages/held}, and the answer to {@code POST
 * /api/packages/{name}/{version}/vex} (then {@code state} says whether it is published now).
 *
 * @param state {@code held} or {@code published} (released by a VEX statement)
 * @param sha256 SHA-256 of the whole bundle file
 * @param failOn the threshold it was judged against ({@code CRITICAL}...)
 * @param findings every finding of the last judgement, the failing ones first
 * @param vexDocuments how many VEX documents were added to it
 * @param uploadedAt when it was uploaded (ISO-8601 UTC)
 * @param judgedAt when it was last judged (ISO-8601 UTC)
 * @param releasedBy who added the VEX statement that published it, or null
 */
public record HeldPackage(String name, String version, String state, String sha256,
    String vendor, String uploadedBy, String uploadedAt, String failOn,
    List<PackageFinding> findings, int vexDocuments, String judgedAt, String releasedBy) {
  public HeldPackage {
    findings = findings == null ? List.of() : List.copyOf(findings);
  }

  /** Whether the package is (now) published. */
  public boolean published() {
    return "published".equals(state);
  }
}
