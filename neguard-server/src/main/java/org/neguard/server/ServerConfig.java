package org.neguard.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.neguard.scanreport.ScanPolicy;
import org.neguard.sign.TrustStore;

/**
 * How to start a server: where its data lives, where it listens, which database it uses, TLS.
 *
 * @param dataDir directory for the embedded database, the package store, upload temp files and
 *     the trust configuration; created 0700 when missing
 * @param bindAddress address to listen on (default 127.0.0.1)
 * @param port TCP port, 0 for any free port
 * @param dbUrl JDBC URL of an external database (PostgreSQL), or empty for the embedded one
 * @param dbUser database user for {@code dbUrl}, or empty
 * @param dbPassword database password for {@code dbUrl}, or empty
 * @param tlsKeystore PKCS#12 key store with the server's key and certificate, or empty for plain
 *     HTTP (allowed on loopback only, unless {@code allowPlainHttp})
 * @param tlsKeystorePassword the key store's password
 * @param allowPlainHttp listen without TLS on a non-loopback address (the operator insists)
 * @param adminPasswordFile file holding the first admin's password, read at first start only
 * @param maxUploadBytes largest bundle accepted, in bytes
 * @param quiet log warnings only (tests, embedded use)
 * @param scanPolicy the anti-virus publication gate's policy for ingest (AV-2)
 * @param trustAnchors vendor CA certificates to install into {@code trust/anchors/}, each with
 *     the vendors it speaks for (none: unbound), after the data directory's lock is taken
 * @param crls CRLs to install into {@code trust/crls/}, likewise
 * @param fleet the agents' API and deployments (issue 12)
 * @param repo the TUF repository of the published packages (issue 13)
 * @param alertWebhook where port drift alerts are posted (JSON, docs/SERVER.md "Port drift"),
 *     or empty for none; http or https
 * @param attest the platform validation entity (issue 15, docs/ATTESTATION.md)
 * @param vuln the vulnerability database the NEs' packages are assessed against (issue 16)
 * @param vulnGate the publication gate's vulnerability policy (issue 16): packages' SBOMs are
 *     matched against {@code vuln}'s database
 * @param drift port drift's report budget and overdue alert (docs/SERVER.md "Port drift")
 */
public record ServerConfig(
    Path dataDir,
    String bindAddress,
    int port,
    Optional<String> dbUrl,
    Optional<String> dbUser,
    Optional<String> dbPassword,
    Optional<Path> tlsKeystore,
    Optional<String> tlsKeystorePassword,
    boolean allowPlainHttp,
    Optional<Path> adminPasswordFile,
    long maxUploadBytes,
    boolean quiet,
    ScanPolicy scanPolicy,
    List<TrustStore.AnchorFile> trustAnchors,
    List<Path> crls,
    Fleet fleet,
    Repo repo,
    Optional<java.net.URI> alertWebhook,
    Attest attest,
    Vuln vuln,
    VulnGate vulnGate,
    Drift drift) {

  /**
   * Port drift's bounds (docs/SERVER.md "Port drift"): how many inventories a device may send,
   * and how long it may stay silent.
   *
   * @param reportBurst inventories a device may send at once (at least 1)
   * @param reportEvery one more inventory allowed per this much time (at least 1 ms): a device
   *     sending faster is refused 429 RATE_LIMITED, with nothing stored or audited
   * @param overdue a device whose last accepted inventory is older than this is audited
   *     ({@code DRIFT_OVERDUE}) and alerted ({@code drift.overdue}) once, and listed out of
   *     policy until it reports; zero: never
   * @param checkInterval how often the server looks for overdue devices
   */
  public record Drift(int reportBurst, java.time.Duration reportEvery,
      java.time.Duration overdue, java.time.Duration checkInterval) {
    public Drift {
      if (reportBurst < 1) {
        throw new IllegalArgumentException("drift report burst < 1: " + reportBurst);
      }
      if (reportEvery.toMillis() < 1) {
        throw new IllegalArgumentException("drift report interval < 1 ms: " + reportEvery);
      }
      if (overdue.isNegative()) {
        throw new IllegalArgumentException("drift overdue time < 0: " + overdue);
      }
      if (checkInterval.toMillis() < 1) {
        throw new IllegalArgumentException("drift check interval < 1 ms: " + checkInterval);
      }
    }

    /**
     * Ten inventories at once, one more every 10 s (an agent sends one a minute at most, by
     * default); overdue after 30 minutes (an agent resends an unchanged inventory every 10
     * minutes, by default), looked for every minute.
     */
    public static Drift defaults() {
      return new Drift(10, java.time.Duration.ofSeconds(10), java.time.Duration.ofMinutes(30),
          java.time.Duration.ofMinutes(1));
    }
  }

  /**
   * The publication gate's vulnerability policy (docs/VULNERABILITIES.md "The publication
   * gate"): a package whose SBOM has findings no VEX statement suppresses at or above {@code
   * failOn} is held, not published (a finding of unknown severity counts as reaching it).
   *
   * @param failOn the lowest severity that holds a package (default critical)
   * @param requireSbom refuse a bundle that carries no SBOM (default off: such a bundle is
   *     published without a vulnerability assessment)
   * @param unassessable what an SBOM component that cannot be assessed (no package URL, an
   *     ecosystem without version rules) does to its package: {@code HOLD} it as a finding of
   *     unknown severity, released by an approver's VEX statement (the default: fail closed), or
   *     only {@code NOTE} it in the publication's audit row
   */
  public record VulnGate(org.neguard.vuln.Severity failOn, boolean requireSbom,
      Unassessable unassessable) {
    public VulnGate {
      Objects.requireNonNull(failOn, "failOn");
      Objects.requireNonNull(unassessable, "unassessable");
      if (failOn == org.neguard.vuln.Severity.UNKNOWN || failOn == org.neguard.vuln.Severity.NONE) {
        throw new IllegalArgumentException("the vulnerability threshold must be low, medium,"
            + " high or critical: " + failOn);
      }
    }

    /** With unassessable components held (the default). */
    public VulnGate(org.neguard.vuln.Severity failOn, boolean requireSbom) {
      this(failOn, requireSbom, Unassessable.HOLD);
    }

    /**
     * Critical findings and unassessable components hold a package; a bundle without an SBOM
     * is published.
     */
    public static VulnGate defaults() {
      return new VulnGate(org.neguard.vuln.Severity.CRITICAL, false, Unassessable.HOLD);
    }

    /** {@code --vuln-unassessable}: what a component that cannot be assessed does. */
    public enum Unassessable {
      HOLD, NOTE
    }
  }

  /**
   * Vulnerability assessment of what the NEs run (issue 16, docs/VULNERABILITIES.md "What an NE
   * runs").
   *
   * @param db the database directory ({@code neguard vulndb import --db DIR}), opened when first
   *     needed and again whenever its {@code feeds.json} changes; empty: none, so every NE's
   *     state is {@code NO_DATABASE} (never "no vulnerabilities")
   * @param maxAge a feed whose newest record is older than this makes the assessment
   *     {@code STALE_DATABASE}
   * @param alertOn a finding new on an NE at or above this severity is audited
   *     ({@code VULN_FINDING}) and posted to the alert webhook, once
   */
  public record Vuln(Optional<Path> db, java.time.Duration maxAge,
      org.neguard.vuln.Severity alertOn) {
    public Vuln {
      Objects.requireNonNull(db, "db");
      Objects.requireNonNull(alertOn, "alertOn");
      if (maxAge.isNegative() || maxAge.isZero()) {
        throw new IllegalArgumentException("the vulnerability database's max age must be"
            + " positive: " + maxAge);
      }
      if (alertOn == org.neguard.vuln.Severity.UNKNOWN
          || alertOn == org.neguard.vuln.Severity.NONE) {
        throw new IllegalArgumentException("the vulnerability alert threshold must be low,"
            + " medium, high or critical: " + alertOn);
      }
    }

    /** New findings alerted from {@link #DEFAULT_ALERT_ON} up. */
    public Vuln(Optional<Path> db, java.time.Duration maxAge) {
      this(db, maxAge, DEFAULT_ALERT_ON);
    }

    /** The alert threshold unless configured: high (a finding no feed grades counts). */
    public static final org.neguard.vuln.Severity DEFAULT_ALERT_ON =
        org.neguard.vuln.Severity.HIGH;

    /** No database; feeds may be 7 days old. */
    public static Vuln defaults() {
      return new Vuln(Optional.empty(), java.time.Duration.ofDays(7));
    }
  }

  /**
   * The platform validation entity (docs/ATTESTATION.md).
   *
   * @param interval how often each NE is re-attested at runtime (OBJ-2)
   * @param jitter at most this much is added at random to each NE's next attestation, so a fleet
   *     enrolled at once does not attest at once
   * @param challengeValidity how long a device has to answer a nonce
   * @param schedulerInterval how often each replica looks for NEs due and nonces expired
   * @param baselineApprovals distinct approvers a platform baseline needs (four-eyes: 2)
   * @param tpmPcr the SHA-256 PCR a TPM device binds and extends into: 8 to 15, which
   *     software cannot reset and firmware does not use (14 by default; docs/MEASUREMENT.md)
   * @param ekTrustAnchors PEM files of TPM manufacturers' CA certificates (roots and
   *     intermediates) an endorsement key's certificate, with the EK usage 2.23.133.8.1, must
   *     chain to at TPM enrollment; none: EKs are taken unverified, and the binding says so
   * @param passHistory how long a scheduled attestation that passed is kept once a newer one of
   *     its NE passed (docs/ATTESTATION.md, "History"); empty: for good. Every other attestation
   *     is kept for good.
   */
  public record Attest(java.time.Duration interval, java.time.Duration jitter,
      java.time.Duration challengeValidity, java.time.Duration schedulerInterval,
      int baselineApprovals, int tpmPcr, List<Path> ekTrustAnchors,
      Optional<java.time.Duration> passHistory, java.time.Duration untrustedInterval) {
    /** The default PCR: non-resettable, not used by the firmware (docs/MEASUREMENT.md). */
    public static final int DEFAULT_TPM_PCR = 14;

    /**
     * A quarantined or untrusted NE, or one unknown for longer, is asked once an hour unless
     * configured: it is out of every deployment until a person or a recovery acts (each asks at
     * once), and asked every 5 minutes it added 288 kept failures or expiries a day, each a row
     * of the audit chain too (docs/ATTESTATION.md, "Trust states").
     */
    public static final java.time.Duration DEFAULT_UNTRUSTED_INTERVAL =
        java.time.Duration.ofHours(1);

    /** The longest interval, jitter or validity: a year. */
    public static final java.time.Duration MAX_DURATION = java.time.Duration.ofDays(365);

    /**
     * Routine passes kept 30 days unless configured: about 0.5 KB a row, so 144 MB a day and
     * 4.3 GB kept for 1,000 NEs attested every 5 minutes, 14 GB a day and 430 GB kept for
     * 100,000 (docs/ATTESTATION.md, "History of routine passes").
     */
    public static final java.time.Duration DEFAULT_PASS_HISTORY = java.time.Duration.ofDays(30);

    /** With the default pass history. */
    public Attest(java.time.Duration interval, java.time.Duration jitter,
        java.time.Duration challengeValidity, java.time.Duration schedulerInterval,
        int baselineApprovals, int tpmPcr, List<Path> ekTrustAnchors) {
      this(interval, jitter, challengeValidity, schedulerInterval, baselineApprovals, tpmPcr,
          ekTrustAnchors, Optional.of(DEFAULT_PASS_HISTORY));
    }

    /** With the default untrusted interval. */
    public Attest(java.time.Duration interval, java.time.Duration jitter,
        java.time.Duration challengeValidity, java.time.Duration schedulerInterval,
        int baselineApprovals, int tpmPcr, List<Path> ekTrustAnchors,
        Optional<java.time.Duration> passHistory) {
      this(interval, jitter, challengeValidity, schedulerInterval, baselineApprovals, tpmPcr,
          ekTrustAnchors, passHistory, DEFAULT_UNTRUSTED_INTERVAL);
    }

    /** With the default TPM PCR and no EK trust anchor. */
    public Attest(java.time.Duration interval, java.time.Duration jitter,
        java.time.Duration challengeValidity, java.time.Duration schedulerInterval,
        int baselineApprovals) {
      this(interval, jitter, challengeValidity, schedulerInterval, baselineApprovals,
          DEFAULT_TPM_PCR, List.of());
    }

    /** This configuration with {@code pcr} and {@code anchors} for TPM devices. */
    public Attest withTpm(int pcr, List<Path> anchors) {
      return new Attest(interval, jitter, challengeValidity, schedulerInterval,
          baselineApprovals, pcr, anchors, passHistory, untrustedInterval);
    }

    /** This configuration with routine passes kept {@code history} (empty: for good). */
    public Attest withPassHistory(Optional<java.time.Duration> history) {
      return new Attest(interval, jitter, challengeValidity, schedulerInterval,
          baselineApprovals, tpmPcr, ekTrustAnchors, history, untrustedInterval);
    }

    /** This configuration with NEs that are not trusted asked every {@code every}. */
    public Attest withUntrustedInterval(java.time.Duration every) {
      return new Attest(interval, jitter, challengeValidity, schedulerInterval,
          baselineApprovals, tpmPcr, ekTrustAnchors, passHistory, every);
    }

    /**
     * How often an NE that is not trusted is asked (AttestationScheduler.next): the untrusted
     * interval, never more often than {@link #interval()}.
     */
    public java.time.Duration untrustedEvery() {
      return untrustedInterval.compareTo(interval) > 0 ? untrustedInterval : interval;
    }

    public Attest {
      // PCRs 0-7 hold the firmware's measurements, 16-23 can be reset by software (16, 23) or
      // at higher localities: a log replayed from zero needs a PCR only the agent extends.
      if (tpmPcr < 8 || tpmPcr > 15) {
        throw new IllegalArgumentException("attest.tpmPcr " + tpmPcr + ": 8 to 15 (not"
            + " resettable, not the firmware's)");
      }
      ekTrustAnchors = List.copyOf(ekTrustAnchors);
      for (java.time.Duration d : List.of(interval, challengeValidity, schedulerInterval,
          untrustedInterval)) {
        if (d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("attest durations must be positive: " + d);
        }
      }
      if (jitter.isNegative()) {
        throw new IllegalArgumentException("attest jitter < 0: " + jitter);
      }
      // A next time past what the database holds fails the scheduler's whole batch, every
      // round: the trusted NEs in it would go unattested.
      for (java.time.Duration d : List.of(interval, jitter, challengeValidity,
          untrustedInterval)) {
        if (d.compareTo(MAX_DURATION) > 0) {
          throw new IllegalArgumentException("attest durations must be at most "
              + MAX_DURATION.toDays() + " days: " + d);
        }
      }
      if (baselineApprovals < 1) {
        throw new IllegalArgumentException("baselineApprovals < 1: " + baselineApprovals);
      }
      Objects.requireNonNull(passHistory, "passHistory");
      if (passHistory.isPresent() && passHistory.get().toMillis() < 1) {
        throw new IllegalArgumentException("attest pass history < 1 ms: " + passHistory.get());
      }
    }

    /** Every 5 minutes with up to 1 minute of jitter, 2 minutes to answer, a 2-second scheduler,
     * two approvers for a baseline. */
    public static Attest defaults() {
      return new Attest(java.time.Duration.ofMinutes(5), java.time.Duration.ofMinutes(1),
          java.time.Duration.ofMinutes(2), java.time.Duration.ofSeconds(2), 2);
    }
  }

  /**
   * Devices and deployments: the agents' API listener and the deployment engine.
   *
   * @param devicePort the agents' API port (mutual TLS, always HTTPS), 0 for any free port
   * @param deviceHosts host names and addresses the device port's TLS certificate names (besides
   *     the bind address, {@code localhost} and {@code 127.0.0.1})
   * @param requiredApprovals approvals every deployment needs at least (four-eyes: none by its
   *     creator), 1 or more
   * @param schedulerInterval how often each replica looks for deployments to advance
   * @param certificateLifetime how long a device certificate is valid; renewal is offered in its
   *     last third
   * @param packageStore where stored bundles live, or empty for {@code DATA/packages}; replicas
   *     sharing one database must share it too (a shared volume)
   */
  public record Fleet(int devicePort, List<String> deviceHosts, int requiredApprovals,
      java.time.Duration schedulerInterval, java.time.Duration certificateLifetime,
      Optional<Path> packageStore) {
    public Fleet {
      if (devicePort < 0 || devicePort > 65535) {
        throw new IllegalArgumentException("devicePort not in 0..65535: " + devicePort);
      }
      deviceHosts = List.copyOf(deviceHosts);
      if (requiredApprovals < 1) {
        throw new IllegalArgumentException("requiredApprovals < 1: " + requiredApprovals);
      }
      if (schedulerInterval.isNegative() || schedulerInterval.isZero()) {
        throw new IllegalArgumentException("schedulerInterval not positive: " + schedulerInterval);
      }
      if (certificateLifetime.compareTo(java.time.Duration.ofHours(1)) < 0) {
        throw new IllegalArgumentException(
            "certificateLifetime < 1 hour: " + certificateLifetime);
      }
      Objects.requireNonNull(packageStore, "packageStore");
    }

    /**
     * Any free device port (the CLI's default is 8444), one approval, a 2-second scheduler,
     * 30-day certificates, {@code DATA/packages}.
     */
    public static Fleet defaults() {
      return new Fleet(0, List.of(), 1, java.time.Duration.ofSeconds(2),
          java.time.Duration.ofDays(30), Optional.empty());
    }
  }

  /**
   * The TUF repository (docs/REPOSITORY.md): who may read it and how long what the server signs
   * with its online keys stays valid. The server renews each role when less than half of its
   * lifetime is left, so an expiry must be well above {@code renewInterval}.
   *
   * @param publicRead anyone may read the repository on the users' port, without a credential
   *     (the metadata is signed; the packages are the vendors'); else any signed-in user
   * @param timestampExpiry lifetime of each timestamp.json
   * @param snapshotExpiry lifetime of each snapshot
   * @param targetsExpiry lifetime of each targets
   * @param renewInterval how often each replica looks whether the repository needs publishing
   *     (a package missing from targets, a role in the second half of its lifetime)
   */
  public record Repo(boolean publicRead, java.time.Duration timestampExpiry,
      java.time.Duration snapshotExpiry, java.time.Duration targetsExpiry,
      java.time.Duration renewInterval) {
    public Repo {
      positive("timestampExpiry", timestampExpiry);
      positive("snapshotExpiry", snapshotExpiry);
      positive("targetsExpiry", targetsExpiry);
      positive("renewInterval", renewInterval);
      for (java.time.Duration d : List.of(timestampExpiry, snapshotExpiry, targetsExpiry)) {
        // Renewal starts at half the lifetime and is looked for every renewInterval: with less
        // than two intervals in that half, a file could expire before it is renewed.
        if (d.dividedBy(2).compareTo(renewInterval.multipliedBy(2)) < 0) {
          throw new IllegalArgumentException("an expiry of " + d + " is too short for a renew"
              + " interval of " + renewInterval + ": each expiry must be at least 4 intervals");
        }
      }
    }

    private static void positive(String name, java.time.Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " not positive: " + d);
      }
    }

    /**
     * Readable by signed-in users and devices only; timestamp 1 day, snapshot 7 days, targets
     * 90 days; looked at every minute.
     */
    public static Repo defaults() {
      return new Repo(false, java.time.Duration.ofDays(1), java.time.Duration.ofDays(7),
          java.time.Duration.ofDays(90), java.time.Duration.ofMinutes(1));
    }
  }

  /** Default largest upload: 16 GiB. */
  public static final long DEFAULT_MAX_UPLOAD_BYTES = 16L << 30;

  public ServerConfig {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(bindAddress, "bindAddress");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port not in 0..65535: " + port);
    }
    Objects.requireNonNull(dbUrl, "dbUrl");
    Objects.requireNonNull(dbUser, "dbUser");
    Objects.requireNonNull(dbPassword, "dbPassword");
    Objects.requireNonNull(tlsKeystore, "tlsKeystore");
    Objects.requireNonNull(tlsKeystorePassword, "tlsKeystorePassword");
    Objects.requireNonNull(adminPasswordFile, "adminPasswordFile");
    if (maxUploadBytes < 1) {
      throw new IllegalArgumentException("maxUploadBytes < 1: " + maxUploadBytes);
    }
    Objects.requireNonNull(scanPolicy, "scanPolicy");
    trustAnchors = List.copyOf(trustAnchors);
    crls = List.copyOf(crls);
    Objects.requireNonNull(fleet, "fleet");
    Objects.requireNonNull(attest, "attest");
    Objects.requireNonNull(vuln, "vuln");
    Objects.requireNonNull(vulnGate, "vulnGate");
    Objects.requireNonNull(drift, "drift");
    Objects.requireNonNull(repo, "repo");
    Objects.requireNonNull(alertWebhook, "alertWebhook");
    alertWebhook.ifPresent(u -> {
      if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
        throw new IllegalArgumentException("the alert webhook is not an http or https URL: " + u);
      }
    });
    dbUrl.ifPresent(
        u -> {
          if (!u.startsWith("jdbc:")) {
            throw new IllegalArgumentException("database URL does not start with jdbc: " + u);
          }
        });
  }

  public static Builder builder(Path dataDir) {
    return new Builder(dataDir);
  }

  /** This configuration with {@code anchors} and {@code moreCrls} to install as well. */
  public ServerConfig withTrust(List<TrustStore.AnchorFile> anchors, List<Path> moreCrls) {
    return new ServerConfig(dataDir, bindAddress, port, dbUrl, dbUser, dbPassword, tlsKeystore,
        tlsKeystorePassword, allowPlainHttp, adminPasswordFile, maxUploadBytes, quiet, scanPolicy,
        java.util.stream.Stream.concat(trustAnchors.stream(), anchors.stream()).toList(),
        java.util.stream.Stream.concat(crls.stream(), moreCrls.stream()).toList(), fleet, repo,
        alertWebhook, attest, vuln, vulnGate, drift);
  }

  /** Whether the listen address is a loopback address (plain HTTP is allowed there). */
  public boolean loopback() {
    try {
      return InetAddress.getByName(bindAddress).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** Builds a {@link ServerConfig}; not thread-safe. */
  public static final class Builder {
    private final Path dataDir;
    private String bindAddress = "127.0.0.1";
    private int port = 8443;
    private String dbUrl;
    private String dbUser;
    private String dbPassword;
    private Path tlsKeystore;
    private String tlsKeystorePassword;
    private boolean allowPlainHttp;
    private Path adminPasswordFile;
    private long maxUploadBytes = DEFAULT_MAX_UPLOAD_BYTES;
    private boolean quiet;
    private ScanPolicy scanPolicy = ScanPolicy.defaults();
    private List<TrustStore.AnchorFile> trustAnchors = List.of();
    private List<Path> crls = List.of();
    private Fleet fleet = Fleet.defaults();
    private Repo repo = Repo.defaults();
    private java.net.URI alertWebhook;
    private Attest attest = Attest.defaults();
    private Vuln vuln = Vuln.defaults();
    private VulnGate vulnGate = VulnGate.defaults();
    private Drift drift = Drift.defaults();

    private Builder(Path dataDir) {
      this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
    }

    public Builder bindAddress(String bindAddress) {
      this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder database(String url, String user, String password) {
      this.dbUrl = url;
      this.dbUser = user;
      this.dbPassword = password;
      return this;
    }

    public Builder tls(Path keystore, String password) {
      this.tlsKeystore = keystore;
      this.tlsKeystorePassword = password;
      return this;
    }

    public Builder allowPlainHttp(boolean allow) {
      this.allowPlainHttp = allow;
      return this;
    }

    public Builder adminPasswordFile(Path file) {
      this.adminPasswordFile = file;
      return this;
    }

    public Builder maxUploadBytes(long max) {
      this.maxUploadBytes = max;
      return this;
    }

    public Builder quiet(boolean quiet) {
      this.quiet = quiet;
      return this;
    }

    public Builder scanPolicy(ScanPolicy policy) {
      this.scanPolicy = Objects.requireNonNull(policy, "scanPolicy");
      return this;
    }

    /** CA certificates to install as trust anchors (checked, then copied under the lock). */
    public Builder trustAnchors(List<TrustStore.AnchorFile> files) {
      this.trustAnchors = List.copyOf(files);
      return this;
    }

    /** CRLs to install (checked, then copied under the lock). */
    public Builder crls(List<Path> files) {
      this.crls = List.copyOf(files);
      return this;
    }

    /** The agents' API and deployment settings. */
    public Builder fleet(Fleet fleet) {
      this.fleet = Objects.requireNonNull(fleet, "fleet");
      return this;
    }

    /** The TUF repository's settings. */
    public Builder repo(Repo repo) {
      this.repo = Objects.requireNonNull(repo, "repo");
      return this;
    }

    /** Where port drift alerts are posted, or null for none. */
    public Builder alertWebhook(java.net.URI url) {
      this.alertWebhook = url;
      return this;
    }

    public Builder attest(Attest attest) {
      this.attest = Objects.requireNonNull(attest, "attest");
      return this;
    }

    /** The vulnerability database and its freshness policy. */
    public Builder vuln(Vuln vuln) {
      this.vuln = Objects.requireNonNull(vuln, "vuln");
      return this;
    }

    /** The publication gate's vulnerability policy. */
    public Builder vulnGate(VulnGate gate) {
      this.vulnGate = Objects.requireNonNull(gate, "vulnGate");
      return this;
    }

    /** Port drift's report budget and overdue alert. */
    public Builder drift(Drift drift) {
      this.drift = Objects.requireNonNull(drift, "drift");
      return this;
    }

    public ServerConfig build() {
      return new ServerConfig(
          dataDir, bindAddress, port, Optional.ofNullable(dbUrl), Optional.ofNullable(dbUser),
          Optional.ofNullable(dbPassword), Optional.ofNullable(tlsKeystore),
          Optional.ofNullable(tlsKeystorePassword), allowPlainHttp,
          Optional.ofNullable(adminPasswordFile), maxUploadBytes, quiet, scanPolicy,
          trustAnchors, crls, fleet, repo, Optional.ofNullable(alertWebhook), attest, vuln,
          vulnGate, drift);
    }
  }
}
