package org.neguard.cli.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.neguard.cli.support.AnchorFileConverter;
import org.neguard.cli.support.CommandBase;
import org.neguard.cli.support.DurationConverter;
import org.neguard.cli.support.ScanPolicyOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code neguard server}: the OAM server (SRC-1..3). Only options here: the server's classes
 * (and Spring) are reached through {@link ServerLauncher}, when this command runs, so that the
 * other commands start as fast as before.
 */
@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    description = {
      "Run the OAM server: accounts and roles, verified package ingest, devices and"
          + " deployments, the audit log.",
      "Embedded database under --data (no set-up), or PostgreSQL with --db. Plain HTTP is "
          + "served on loopback only; elsewhere give --tls-keystore (or insist with "
          + "--insecure-plain-http). The first start creates the user 'admin' and prints its "
          + "one-time password (or reads it from --admin-password-file / $NEGUARD_ADMIN_PASSWORD).",
      "Devices talk to a second port, --device-port, always HTTPS with mutual TLS: its"
          + " certificate is issued at each start by the server's device CA."
    })
final class ServerCommand extends CommandBase {
  @Option(names = "--data", required = true, paramLabel = "DIR",
      description = "Data directory: embedded database, package store, trust configuration.")
  Path data;

  @Option(names = "--port", paramLabel = "P", defaultValue = "8443",
      description = "TCP port (default: ${DEFAULT-VALUE}; 0 for any free port).")
  int port;

  @Option(names = "--bind", paramLabel = "ADDR", defaultValue = "127.0.0.1",
      description = "Listen address (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--db", paramLabel = "JDBC-URL",
      description = "PostgreSQL, e.g. jdbc:postgresql://db.example:5432/neguard (default: the"
          + " embedded database in DIR/db). Every setting comes from the command line; the"
          + " server reads no properties file and no SPRING_* variable.")
  String db;

  @Option(names = "--db-user", paramLabel = "USER", description = "Database user.")
  String dbUser;

  @Option(names = "--db-password-file", paramLabel = "FILE", description = "Database password.")
  Path dbPasswordFile;

  @Option(names = "--tls-keystore", paramLabel = "FILE.p12",
      description = "PKCS#12 key store with the server's key and certificate: serve HTTPS.")
  Path tlsKeystore;

  @Option(names = "--tls-keystore-password-file", paramLabel = "FILE",
      description = "The key store's password (or $NEGUARD_TLS_KEYSTORE_PASSWORD).")
  Path tlsPasswordFile;

  @Option(names = "--insecure-plain-http",
      description = "Serve plain HTTP on a non-loopback address. Tokens travel in clear text.")
  boolean insecurePlainHttp;

  @Option(names = "--admin-password-file", paramLabel = "FILE",
      description = "The first admin's password, read at the first start only.")
  Path adminPasswordFile;

  @Option(names = "--trust", paramLabel = "[VENDOR=]CA.pem",
      converter = AnchorFileConverter.class,
      description = "Vendor CA certificate(s) that ingest accepts signers from; copied into"
          + " DIR/trust/anchors (a binding into CA.pem.vendors beside it). Repeatable."
          + AnchorFileConverter.HELP)
  List<org.neguard.sign.TrustStore.AnchorFile> trust = new ArrayList<>();

  @Option(names = "--crl", paramLabel = "CRL.pem",
      description = "CRL(s) to check signers against; copied into DIR/trust/crls. Repeatable.")
  List<Path> crls = new ArrayList<>();

  /** The publication gate's policy for ingest (AV-2): the same options as pkg verify. */
  @Mixin ScanPolicyOptions scanPolicy;

  @Option(names = "--max-upload", paramLabel = "BYTES",
      description = "Largest bundle accepted (default: 16 GiB).")
  Long maxUpload;

  @Option(names = "--device-port", paramLabel = "P", defaultValue = "8444",
      description = "The agents' API port, HTTPS with mutual TLS only (default:"
          + " ${DEFAULT-VALUE}; 0 for any free port).")
  int devicePort;

  @Option(names = "--device-host", paramLabel = "NAME",
      description = "A host name or address devices reach the server by, named in the device"
          + " port's certificate besides localhost, 127.0.0.1 and --bind. Repeatable.")
  List<String> deviceHosts = new ArrayList<>();

  @Option(names = "--required-approvals", paramLabel = "N", defaultValue = "1",
      description = "Approvals every deployment needs at least, none by its creator (default:"
          + " ${DEFAULT-VALUE}).")
  int requiredApprovals;

  @Option(names = "--package-store", paramLabel = "DIR",
      description = "Where stored bundles live (default: DIR/packages under --data); replicas"
          + " sharing one database must share it too, on a shared volume.")
  Path packageStore;

  @Option(names = "--scheduler-interval", paramLabel = "DURATION", defaultValue = "2s",
      converter = DurationConverter.class,
      description = "How often this server looks for deployments to advance (default:"
          + " ${DEFAULT-VALUE}).")
  Duration schedulerInterval;

  @Option(names = "--repo-public",
      description = "Anyone may read the TUF repository (/api/repo/v1/...) on this port without"
          + " a credential; its metadata is signed. Default: signed-in users and devices only.")
  boolean repoPublic;

  @Option(names = "--repo-timestamp-expiry", paramLabel = "DURATION", defaultValue = "1d",
      converter = DurationConverter.class,
      description = "Lifetime of each signed timestamp.json (default: ${DEFAULT-VALUE}); renewed"
          + " when less than half is left.")
  Duration repoTimestampExpiry;

  @Option(names = "--repo-snapshot-expiry", paramLabel = "DURATION", defaultValue = "7d",
      converter = DurationConverter.class,
      description = "Lifetime of each signed snapshot (default: ${DEFAULT-VALUE}).")
  Duration repoSnapshotExpiry;

  @Option(names = "--repo-targets-expiry", paramLabel = "DURATION", defaultValue = "90d",
      converter = DurationConverter.class,
      description = "Lifetime of each signed targets (default: ${DEFAULT-VALUE}).")
  Duration repoTargetsExpiry;

  @Option(names = "--repo-renew-interval", paramLabel = "DURATION", defaultValue = "1m",
      converter = DurationConverter.class,
      description = "How often this server looks whether the repository needs signing anew"
          + " (default: ${DEFAULT-VALUE}).")
  Duration repoRenewInterval;

  @Option(names = "--alert-webhook", paramLabel = "URL",
      description = "Post alerts as JSON to this http or https URL: port drift (a finding opened"
          + " or resolved), failed attestations and quarantined NEs.")
  java.net.URI alertWebhook;

  @Option(names = "--drift-overdue", paramLabel = "DURATION", defaultValue = "30m",
      converter = DurationConverter.class,
      description = "An NE that sent no socket inventory for this long is audited (DRIFT_OVERDUE),"
          + " posted to --alert-webhook as 'drift.overdue' and listed out of port policy until it"
          + " reports (default: ${DEFAULT-VALUE}).")
  Duration driftOverdue;

  @Option(names = "--drift-report-burst", paramLabel = "N", defaultValue = "10",
      description = "Socket inventories an NE may send at once before --drift-report-every"
          + " applies (default: ${DEFAULT-VALUE}).")
  int driftReportBurst;

  @Option(names = "--drift-report-every", paramLabel = "DURATION", defaultValue = "10s",
      converter = DurationConverter.class,
      description = "One more socket inventory allowed per NE per this much time; one sent"
          + " beyond it is refused 429 RATE_LIMITED (default: ${DEFAULT-VALUE}).")
  Duration driftReportEvery;

  @Option(names = "--vulndb", paramLabel = "DIR",
      description = "The vulnerability database ('neguard vulndb import --db DIR') the NEs'"
          + " installed packages are assessed against; opened when first needed and again"
          + " whenever its feeds.json changes. Without it every NE's vulnerabilities are"
          + " NO_DATABASE.")
  java.nio.file.Path vulnDb;

  @Option(names = "--vulndb-max-age", paramLabel = "DURATION", defaultValue = "7d",
      converter = DurationConverter.class,
      description = "A feed whose newest record is older than this makes every assessment"
          + " STALE_DATABASE (default: ${DEFAULT-VALUE}).")
  Duration vulnDbMaxAge;

  @Option(names = "--vuln-alert-on", paramLabel = "SEVERITY", defaultValue = "high",
      description = "A finding that appears on an NE (its package report, or an import of the"
          + " database) at or above this severity is audited (VULN_FINDING) and posted to"
          + " --alert-webhook as 'vulnerability.found', once; low, medium, high or critical"
          + " (default: ${DEFAULT-VALUE}). Unknown severity counts.")
  String vulnAlertOn;

  @Option(names = "--attest-interval", paramLabel = "DURATION", defaultValue = "5m",
      converter = DurationConverter.class,
      description = "How often each NE's platform integrity is attested at runtime (default:"
          + " ${DEFAULT-VALUE}).")
  Duration attestInterval;

  @Option(names = "--attest-jitter", paramLabel = "DURATION", defaultValue = "1m",
      converter = DurationConverter.class,
      description = "At most this much is added at random to each NE's next attestation, so"
          + " that NEs enrolled together do not attest together (default: ${DEFAULT-VALUE}).")
  Duration attestJitter;

  @Option(names = "--attest-untrusted-interval", paramLabel = "DURATION", defaultValue = "1h",
      converter = DurationConverter.class,
      description = "How often a quarantined or untrusted NE, or one still unknown that long"
          + " after it enrolled, is attested, never more often than --attest-interval; a"
          + " readmission, a recovery, a deployment's gate or 'neguard attest DEVICE' asks it at"
          + " once (default: ${DEFAULT-VALUE}).")
  Duration attestUntrustedInterval;

  @Option(names = "--attest-challenge-validity", paramLabel = "DURATION", defaultValue = "2m",
      converter = DurationConverter.class,
      description = "How long an NE has to answer an attestation nonce (default:"
          + " ${DEFAULT-VALUE}).")
  Duration attestChallengeValidity;

  @Option(names = "--attest-pass-history", paramLabel = "DURATION|forever", defaultValue = "30d",
      description = "How long a scheduled attestation that passed is kept once a newer one of"
          + " its NE passed; failures, expiries, attestations asked otherwise, passes that"
          + " changed an NE's trust or reference or that a wave took, and each NE's newest pass"
          + " are kept for good. 'forever' keeps every pass (about 0.5 KB each:"
          + " 14 GB a day for 100,000 NEs every 5 minutes) (default: ${DEFAULT-VALUE}).")
  String attestPassHistory;

  @Option(names = "--baseline-approvals", paramLabel = "N", defaultValue = "2",
      description = "Distinct approvers a platform baseline needs before it is an NE's"
          + " reference (default: ${DEFAULT-VALUE}, four-eyes).")
  int baselineApprovals;

  @Option(names = "--attest-tpm-pcr", paramLabel = "N", defaultValue = "14",
      description = "The SHA-256 PCR that NEs with a TPM bind and extend their measurements"
          + " into, 8 to 15: one software cannot reset and nothing else on the NE extends"
          + " (default: ${DEFAULT-VALUE}).")
  int attestTpmPcr;

  @Option(names = "--tpm-ek-anchor", paramLabel = "FILE",
      description = "A PEM file of TPM manufacturer CA certificates that an NE's endorsement"
          + " key certificate (extended key usage 2.23.133.8.1) must chain to when it binds its"
          + " TPM; repeatable. Without one, EKs are bound unverified, and bindings and"
          + " attestations say so.")
  List<Path> tpmEkAnchors = new java.util.ArrayList<>();

  @Option(names = "--vuln-fail-on", paramLabel = "SEVERITY", defaultValue = "critical",
      description = "With --vulndb, the publication gate matches each uploaded bundle's SBOM"
          + " against it: it holds (keeps, does not publish) a package whose SBOM has a known"
          + " vulnerability of this severity or above that no VEX statement suppresses; low,"
          + " medium, high or critical (default: ${DEFAULT-VALUE}). Unknown severity counts.")
  String vulnFailOn;

  @Option(names = "--vuln-unassessable", paramLabel = "hold|note", defaultValue = "hold",
      description = "With --vulndb, what an SBOM component that cannot be assessed (no package"
          + " URL, an ecosystem without version rules) does to its package: hold it, as a"
          + " finding an approver releases with a reasoned VEX statement for"
          + " NEGUARD-NOT-ASSESSED, or only note it in the audit row (default: ${DEFAULT-VALUE}).")
  String vulnUnassessable;

  @Option(names = "--require-sbom",
      description = "Refuse a bundle that carries no SBOM (default: publish it unassessed).")
  boolean requireSbom;

  @Override
  public Integer call() throws Exception {
    return ServerLauncher.runUntilStopped(this, commandLine(), output());
  }
}
