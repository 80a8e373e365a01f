package org.neguard.agent;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import org.neguard.sign.TrustStore;

/**
 * The agent's configuration, a Java properties file (docs/AGENT.md lists every key). Relative
 * paths are resolved against the file's directory.
 */
public record AgentConfig(
    URI serverUrl,
    URI repositoryUrl,
    Path stateDir,
    Path installRoot,
    Path tufRoot,
    List<TrustStore.AnchorFile> trustAnchors,
    String neType,
    String deviceId,
    Duration pollInterval,
    Duration maxBackoff,
    String enrollToken,
    Path enrollCa,
    String enrollCaSha256,
    List<String> labels,
    List<String> serviceRestart,
    List<String> healthCheck,
    Duration healthTimeout,
    Duration healthWindow,
    boolean enforcePorts,
    Duration inventoryInterval,
    java.util.Map<String, Path> measurePaths,
    String tpmTcti,
    boolean tpmDeviceKey,
    Packages packages,
    Duration restartTimeout,
    Hooks hooks) {

  /**
   * How package hooks run (docs/FORMAT.md "Package hooks", docs/AGENT.md): each killed, with its
   * whole process group, at {@code timeout}; as {@code user} when the agent runs as root (null:
   * not configured, so a package carrying a hook is refused on a root agent).
   */
  public record Hooks(Duration timeout, String user) {}

  /**
   * Where the agent reads what the NE runs (issue 16, docs/AGENT.md "Installed packages"):
   * dpkg's admin directory ({@code status} and {@code info/*.list} in it), the os-release
   * file naming the release, and rpm's database directory ({@code rpm --dbpath}; null: rpm's
   * own default), read where there is no dpkg status. Tests point them at files of their own.
   */
  public record Packages(Path dpkgAdminDir, Path osRelease, Path rpmDbPath) {
    public Packages(Path dpkgAdminDir, Path osRelease) {
      this(dpkgAdminDir, osRelease, null);
    }

    public static Packages system() {
      return new Packages(Path.of("/var/lib/dpkg"), Path.of("/etc/os-release"));
    }
  }

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Set<String> KEYS = Set.of("server.url", "repository.url", "state.dir",
      "install.root", "tuf.root", "trust.anchors", "ne.type", "device.id", "poll.interval",
      "backoff.max", "enroll.token", "enroll.token.file", "enroll.ca", "enroll.ca.sha256",
      "labels", "service.restart", "health.check", "health.timeout", "health.window",
      "enforce.ports", "inventory.interval", "measure.paths", "tpm.tcti", "tpm.deviceKey",
      "packages.dpkg.admindir", "packages.os-release", "packages.rpm.dbpath", "restart.timeout",
      "hooks.timeout", "hooks.user");
  /** A user name as useradd takes it: never an option, never a path. */
  private static final Pattern USER = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");
  /** A TCTI for tpm2-tools: a name and its options, no blanks, no shell characters. */
  private static final Pattern TCTI = Pattern.compile("[a-z][a-z0-9-]*(:[A-Za-z0-9=,._/:-]*)?");

  /** A configuration problem: the agent exits 2 with this message. */
  public static final class ConfigException extends Exception {
    public ConfigException(String message) {
      super(message);
    }
  }

  /** Reads and checks {@code file}. */
  public static AgentConfig load(Path file) throws ConfigException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (IOException e) {
      throw new ConfigException("cannot read the configuration " + file + ": " + e.getMessage());
    }
    for (String k : p.stringPropertyNames()) {
      if (!KEYS.contains(k)) {
        throw new ConfigException(file + ": unknown key '" + k + "'");
      }
    }
    Path dir = file.toAbsolutePath().getParent();
    URI server = uri(p, "server.url", required(p, "server.url"));
    if (!"https".equals(server.getScheme())) {
      throw new ConfigException("server.url must be the agents' HTTPS URL: " + server);
    }
    String base = server.toString().replaceAll("/+$", "");
    URI repo = uri(p, "repository.url", p.getProperty("repository.url", base + "/api/repo/v1"));
    List<TrustStore.AnchorFile> anchors = new ArrayList<>();
    for (String a : required(p, "trust.anchors").split(",")) {
      if (a.isBlank()) {
        continue;
      }
      try {
        TrustStore.AnchorFile f = TrustStore.AnchorFile.parse(a.trim());
        anchors.add(new TrustStore.AnchorFile(dir.resolve(f.path()), f.vendor()));
      } catch (IllegalArgumentException e) {
        throw new ConfigException("trust.anchors: " + e.getMessage());
      }
    }
    if (anchors.isEmpty()) {
      throw new ConfigException("trust.anchors names no vendor trust anchor");
    }
    String neType = required(p, "ne.type");
    String deviceId = required(p, "device.id");
    if (!ID.matcher(deviceId).matches()) {
      throw new ConfigException("device.id is not [A-Za-z0-9][A-Za-z0-9._-]{0,63}: " + deviceId);
    }
    Duration interval = duration(p, "poll.interval", "30s");
    Duration max = duration(p, "backoff.max", "300s");
    if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new ConfigException("poll.interval must be at least 1s");
    }
    if (max.compareTo(interval) < 0) {
      throw new ConfigException("backoff.max must be at least poll.interval");
    }
    String token = p.getProperty("enroll.token");
    if (token == null && p.getProperty("enroll.token.file") != null) {
      try {
        token = Files.readString(dir.resolve(p.getProperty("enroll.token.file"))).strip();
      } catch (IOException e) {
        throw new ConfigException("enroll.token.file: " + e.getMessage());
      }
    }
    List<String> labels = new ArrayList<>();
    for (String l : p.getProperty("labels", "").split(",")) {
      if (!l.isBlank()) {
        labels.add(l.trim());
      }
    }
    Duration healthTimeout = duration(p, "health.timeout", "30s");
    Duration healthWindow = duration(p, "health.window", "0s");
    if (healthTimeout.compareTo(Duration.ofMillis(100)) < 0) {
      throw new ConfigException("health.timeout must be at least 100ms");
    }
    // The restart has its own bound: a slow service start is not a slow health check.
    Duration restartTimeout = duration(p, "restart.timeout", "60s");
    if (restartTimeout.compareTo(Duration.ofMillis(100)) < 0) {
      throw new ConfigException("restart.timeout must be at least 100ms");
    }
    Duration hooksTimeout = duration(p, "hooks.timeout", "60s");
    if (hooksTimeout.compareTo(Duration.ofMillis(100)) < 0) {
      throw new ConfigException("hooks.timeout must be at least 100ms");
    }
    String hooksUser = p.getProperty("hooks.user");
    if (hooksUser != null) {
      hooksUser = hooksUser.trim();
      if (!USER.matcher(hooksUser).matches() || hooksUser.equals("root")) {
        throw new ConfigException("hooks.user must be an unprivileged user name like"
            + " neguard-hooks ([a-z_][a-z0-9_-]{0,31}, not root): " + hooksUser);
      }
    }
    String enforce = p.getProperty("enforce.ports", "false").trim();
    if (!enforce.equals("true") && !enforce.equals("false")) {
      throw new ConfigException("enforce.ports must be true or false: " + enforce);
    }
    // Port drift (HRD-1, HRD-4): how often the socket inventory is taken; 0 turns it off.
    Duration inventoryInterval = duration(p, "inventory.interval", "60s");
    if (inventoryInterval.isNegative() || !inventoryInterval.isZero()
        && inventoryInterval.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new ConfigException("inventory.interval must be 0 (off) or at least 1s: "
          + inventoryInterval);
    }
    // Platform components measured beside the packages (issue 15, docs/MEASUREMENT.md):
    // label=directory, comma-separated; each becomes the component platform:<label>.
    java.util.Map<String, Path> measure = new java.util.LinkedHashMap<>();
    String paths = p.getProperty("measure.paths", "").trim();
    if (!paths.isEmpty()) {
      for (String item : paths.split(",")) {
        String[] kv = item.trim().split("=", 2);
        if (kv.length != 2 || !kv[0].trim().matches("[a-z0-9][a-z0-9._-]{0,63}")
            || kv[1].isBlank()) {
          throw new ConfigException("measure.paths: '" + item.trim() + "' is not label=DIR"
              + " (a label of lower-case letters, digits, . _ -)");
        }
        if (measure.put(kv[0].trim(), dir.resolve(kv[1].trim())) != null) {
          throw new ConfigException("measure.paths: label " + kv[0].trim() + " twice");
        }
      }
    }
    // The TPM trust base (docs/MEASUREMENT.md): absent, the evidence rests on the device key.
    String tcti = p.getProperty("tpm.tcti");
    if (tcti != null) {
      tcti = tcti.trim();
      if (!TCTI.matcher(tcti).matches() || tcti.length() > 256) {
        throw new ConfigException("tpm.tcti is not a TCTI like device:/dev/tpmrm0 or"
            + " swtpm:host=127.0.0.1,port=2321: " + tcti);
      }
    }
    // The device identity key in the TPM (docs/AGENT.md, "A TPM-held device key"): opt-in.
    String deviceKey = p.getProperty("tpm.deviceKey", "false").trim();
    if (!deviceKey.equals("true") && !deviceKey.equals("false")) {
      throw new ConfigException("tpm.deviceKey is true or false: " + deviceKey);
    }
    if (deviceKey.equals("true") && tcti == null) {
      throw new ConfigException("tpm.deviceKey=true needs tpm.tcti (the TPM that holds the key)");
    }
    return new AgentConfig(server, repo, dir.resolve(required(p, "state.dir")),
        dir.resolve(required(p, "install.root")), dir.resolve(required(p, "tuf.root")),
        List.copyOf(anchors), neType, deviceId, interval, max, token,
        p.getProperty("enroll.ca") == null ? null : dir.resolve(p.getProperty("enroll.ca")),
        p.getProperty("enroll.ca.sha256"), List.copyOf(labels),
        CommandRunner.split(p.getProperty("service.restart")),
        CommandRunner.split(p.getProperty("health.check")), healthTimeout, healthWindow,
        Boolean.parseBoolean(enforce), inventoryInterval, java.util.Map.copyOf(measure), tcti,
        deviceKey.equals("true"),
        new Packages(dir.resolve(p.getProperty("packages.dpkg.admindir", "/var/lib/dpkg").trim()),
            dir.resolve(p.getProperty("packages.os-release", "/etc/os-release").trim()),
            p.getProperty("packages.rpm.dbpath") == null
                || p.getProperty("packages.rpm.dbpath").isBlank() ? null
                : dir.resolve(p.getProperty("packages.rpm.dbpath").trim())),
        restartTimeout, new Hooks(hooksTimeout, hooksUser));
  }

  private static String required(Properties p, String key) throws ConfigException {
    String v = p.getProperty(key);
    if (v == null || v.isBlank()) {
      throw new ConfigException("missing key '" + key + "'");
    }
    return v.trim();
  }

  private static URI uri(Properties p, String key, String value) throws ConfigException {
    try {
      return URI.create(value.trim());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key + " is not a URL: " + value);
    }
  }

  private static Duration duration(Properties p, String key, String dflt)
      throws ConfigException {
    String v = p.getProperty(key, dflt).trim();
    try {
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      if (v.endsWith("s")) {
        return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
      }
      if (v.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
      }
      return Duration.ofSeconds(Long.parseLong(v));
    } catch (NumberFormatException e) {
      throw new ConfigException(key + " is not a duration like 30s or 5m: " + v);
    }
  }
}
