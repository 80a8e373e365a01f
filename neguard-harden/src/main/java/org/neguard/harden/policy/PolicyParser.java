package org.neguard.harden.policy;

import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.neguard.harden.BoundedRead;
import org.neguard.harden.Transport;
import org.neguard.harden.policy.ForbiddenRule.Kind;
import org.neguard.harden.policy.ForbiddenRule.Origin;
import org.neguard.harden.policy.YamlTree.Field;
import org.neguard.harden.policy.YamlTree.ListNode;
import org.neguard.harden.policy.YamlTree.Loc;
import org.neguard.harden.policy.YamlTree.MapNode;
import org.neguard.harden.policy.YamlTree.Node;
import org.neguard.harden.policy.YamlTree.Scalar;
import org.neguard.harden.policy.YamlTree.TreeException;
import org.neguard.measure.Sha256;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Reads a hardening policy (YAML, schema {@value #SCHEMA}; docs/HARDENING.md) strictly: every
 * problem is a {@code POLICY_INVALID} refusal naming the file, line and column, and what to do.
 * Refused: YAML syntax errors, unknown or duplicate keys, missing or mistyped fields, ports
 * outside 1..65535, an entry listed twice, a waiver without a reason or of an unknown rule, and
 * a declared port that the forbidden list forbids without a waiver.
 *
 * <p>Thread-safe (stateless).
 */
public final class PolicyParser {
  /** The only schema this version reads. */
  public static final String SCHEMA = "neguard-hardening-policy/1";

  /**
   * A Linux interface name (at most 15 characters, IFNAMSIZ less its NUL) that cannot be read as
   * an address: it starts with a letter and has no ':' or '/'. Hex-only names such as {@code
   * abc} would be ambiguous with nothing: IPv6 needs a ':'.
   */
  private static final java.util.regex.Pattern INTERFACE =
      java.util.regex.Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,14}");

  /** Larger files are refused before parsing: a policy is a few kilobytes. */
  static final int MAX_BYTES = 1 << 20;

  private static final Pattern NE_TYPE = Pattern.compile("[A-Za-z0-9._+-]{1,128}");
  private static final Pattern SERVICE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+/-]{0,63}");
  private static final Pattern RULE_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
  private static final int MAX_TEXT = 2000;
  /** A CVE id, or an advisory id: upper-case prefix, dash-separated parts (OSV ids). */
  private static final Pattern VULN_ID = Pattern.compile(
      "CVE-[0-9]{4}-[0-9]{4,19}|[A-Z][A-Z0-9]{1,15}(-[A-Za-z0-9]{1,32}){1,6}");
  private static final Pattern PACKAGE = Pattern.compile("[a-z0-9][a-z0-9+.-]{1,127}");

  private final String source;

  private PolicyParser(String source) {
    this.source = source;
  }

  /**
   * Reads and checks a policy file.
   *
   * @throws RefusalException {@code POLICY_INVALID} with the line and column of the problem
   * @throws IOException when the file cannot be read
   */
  public static Policy parse(Path file) throws RefusalException, IOException {
    byte[] yaml = BoundedRead.atMost(file, MAX_BYTES);
    if (yaml.length > MAX_BYTES) {
      throw RefusalException.about(ReasonCode.POLICY_INVALID, file.toString(),
          file + ": more than a policy can be (" + MAX_BYTES + " bytes)");
    }
    return parse(yaml, file.toString());
  }

  /**
   * Reads and checks a policy.
   *
   * @param yaml the policy's bytes (UTF-8)
   * @param source the name to give in messages and evidence (a file name)
   * @throws RefusalException {@code POLICY_INVALID} with the line and column of the problem
   */
  public static Policy parse(byte[] yaml, String source) throws RefusalException {
    PolicyParser p = new PolicyParser(source);
    if (yaml.length > MAX_BYTES) {
      throw p.invalid(new Loc(0, 0), yaml.length + " bytes is more than a policy can be");
    }
    Node root;
    try {
      root = YamlTree.read(yaml);
    } catch (TreeException e) {
      throw p.invalid(e.loc, e.getMessage());
    }
    if (root == null) {
      throw p.invalid(new Loc(1, 1), "the policy is empty: expected a mapping with schema: "
          + SCHEMA);
    }
    return p.policy(root, sha256(yaml));
  }

  private Policy policy(Node root, String sha256) throws RefusalException {
    MapNode m = map(root, "the policy");
    keys(m, "the policy", Set.of("schema", "neType", "description", "allowed", "forbidden",
        "waivers", "vulnerabilityWaivers"));
    Scalar schema = text(required(m, "schema", "the policy"), "schema");
    if (!SCHEMA.equals(schema.text())) {
      throw invalid(schema.loc(), "schema '" + schema.text() + "' is not supported: expected "
          + SCHEMA);
    }
    Scalar neType = text(required(m, "neType", "the policy"), "neType");
    if (!NE_TYPE.matcher(neType.text()).matches()) {
      throw invalid(neType.loc(), "neType '" + neType.text()
          + "' must be 1-128 of A-Z a-z 0-9 . _ + -");
    }
    String description = optionalText(m, "description");

    // Waivers first: whether a declared port is acceptable depends on them.
    List<Waiver> waivers = new ArrayList<>();
    Map<String, Loc> waiverLocs = new HashMap<>();
    for (Node n : list(m, "waivers")) {
      Waiver w = waiver(n);
      Loc prev = waiverLocs.putIfAbsent(w.scope(), n.loc());
      if (prev != null) {
        throw invalid(n.loc(), "duplicate waiver of " + w.scope() + " (first at " + prev + ")");
      }
      waivers.add(w);
    }
    for (Waiver w : waivers) {
      if (w.port() != null && waivers.stream().anyMatch(o -> o.rule().equals(w.rule())
          && o.port() == null)) {
        throw invalid(waiverLocs.get(w.scope()), "waiver of " + w.scope()
            + " is redundant: another waiver lifts the whole rule '" + w.rule() + "'");
      }
    }

    List<ForbiddenRule> extensions = new ArrayList<>();
    Map<PortKey, Loc> forbiddenLocs = new HashMap<>();
    for (Node n : list(m, "forbidden")) {
      ForbiddenRule r = extension(n);
      PortKey key = r.ports().get(0);
      Loc prev = forbiddenLocs.putIfAbsent(key, n.loc());
      if (prev != null) {
        throw invalid(n.loc(), "duplicate forbidden entry " + key + " (first at " + prev + ")");
      }
      for (ForbiddenRule b : Baseline.rules()) {
        if (b.forbidsPort(key)) {
          throw invalid(n.loc(), key + " is already forbidden by baseline rule '" + b.id()
              + "': remove this entry");
        }
      }
      extensions.add(r);
    }

    if (!m.fields().containsKey("allowed")) {
      throw invalid(m.loc(), "the policy has no 'allowed' list: declare the NE type's open"
          + " ports (HRD-2), or write 'allowed: []' if it has none");
    }
    List<AllowedPort> allowed = new ArrayList<>();
    Map<PortKey, Loc> allowedLocs = new HashMap<>();
    Policy partial = new Policy(neType.text(), description, source, sha256, List.of(),
        extensions, waivers);
    for (Node n : list(m, "allowed")) {
      AllowedPort a = allowed(n);
      Loc prev = allowedLocs.putIfAbsent(a.key(), n.loc());
      if (prev != null) {
        throw invalid(n.loc(), "duplicate allowed entry " + a.key() + " (first at " + prev
            + "): list each port once, with every address in reachableOn");
      }
      for (ForbiddenRule r : partial.forbidden()) {
        boolean byPort = r.forbidsPort(a.key());
        boolean byName = r.origin() == Origin.BASELINE && r.forbidsServiceName(a.service());
        if ((byPort || byName) && partial.waiver(r, a.key()).isEmpty()) {
          throw invalid(n.loc(), "declared " + a.key() + " (" + a.service() + ") is forbidden by "
              + (r.origin() == Origin.BASELINE ? "baseline" : "operator") + " rule '" + r.id()
              + "' (" + r.title() + "): remove it from 'allowed'"
              + (r.origin() == Origin.BASELINE
                  ? ", or add a waiver for it with a reason" : ", or from 'forbidden'"));
        }
      }
      allowed.add(a);
    }
    List<VulnerabilityWaiver> vulnWaivers = new ArrayList<>();
    Map<String, Loc> vulnLocs = new HashMap<>();
    for (Node n : list(m, "vulnerabilityWaivers")) {
      VulnerabilityWaiver w = vulnerabilityWaiver(n);
      Loc prev = vulnLocs.putIfAbsent(w.scope(), n.loc());
      if (prev != null) {
        throw invalid(n.loc(), "duplicate vulnerability waiver of " + w.scope() + " (first at "
            + prev + ")");
      }
      vulnWaivers.add(w);
    }
    return new Policy(neType.text(), description, source, sha256, allowed, extensions, waivers,
        vulnWaivers);
  }

  /**
   * One accepted known vulnerability. The id must look like a CVE or an advisory id, so that a
   * waiver cannot be written with a pattern or a free phrase that would match more than meant;
   * the reason is required, as for a baseline waiver; an expiry is a plain date.
   */
  private VulnerabilityWaiver vulnerabilityWaiver(Node n) throws RefusalException {
    String what = "a vulnerability waiver";
    MapNode m = map(n, what);
    keys(m, what, Set.of("id", "package", "reason", "reference", "expires"));
    Scalar id = text(required(m, "id", what), "id");
    // A CVE prefix must be a whole CVE id ("CVE-2026" would read as an advisory otherwise), and
    // an advisory id has a number in it (DSA-5678-1, GHSA-..., RUSTSEC-2021-0001).
    boolean cve = id.text().startsWith("CVE-");
    if (!VULN_ID.matcher(id.text()).matches() || !id.text().matches(".*[0-9].*")
        || cve && !id.text().matches("CVE-[0-9]{4}-[0-9]{4,19}")) {
      throw invalid(id.loc(), "vulnerability waiver id '" + id.text() + "' is neither a CVE id"
          + " (CVE-2026-24061) nor an advisory id (DEBIAN-CVE-2026-24061, DSA-5678-1,"
          + " GHSA-xxxx-xxxx-xxxx): name exactly one finding");
    }
    String pkg = null;
    Field pf = m.fields().get("package");
    if (pf != null) {
      Scalar ps = text(pf.value(), "package");
      if (!PACKAGE.matcher(ps.text()).matches()) {
        throw invalid(ps.loc(), "package '" + ps.text() + "' is not a package name (Debian:"
            + " lower case letters, digits, + - . ; 2-128 characters)");
      }
      pkg = ps.text();
    }
    Field reasonField = m.fields().get("reason");
    if (reasonField == null) {
      throw invalid(m.loc(), "vulnerability waiver of '" + id.text() + "' has no reason:"
          + " accepting a known vulnerability needs an explicit reason, which the evidence"
          + " shows (HRD-3)");
    }
    Scalar reason = text(reasonField.value(), "reason");
    if (reason.text().isBlank()) {
      throw invalid(reason.loc(), "vulnerability waiver of '" + id.text() + "' has a blank"
          + " reason: say why the NE type may keep it (not reachable, mitigated by...)");
    }
    limit(reason);
    String reference = optionalText(m, "reference");
    java.time.LocalDate expires = null;
    Field ef = m.fields().get("expires");
    if (ef != null) {
      Scalar es = text(ef.value(), "expires");
      try {
        if (!es.text().matches("[0-9]{4}-[0-9]{2}-[0-9]{2}")) {
          throw new java.time.format.DateTimeParseException("not YYYY-MM-DD", es.text(), 0);
        }
        expires = java.time.LocalDate.parse(es.text());
      } catch (java.time.format.DateTimeParseException e) {
        throw invalid(es.loc(), "expires '" + es.text() + "' is not a date YYYY-MM-DD (the"
            + " last day the waiver applies)");
      }
    }
    return new VulnerabilityWaiver(id.text(), pkg, reason.text().strip(), reference, expires);
  }

  private AllowedPort allowed(Node n) throws RefusalException {
    String what = "an allowed entry";
    MapNode m = map(n, what);
    keys(m, what, Set.of("transport", "port", "service", "justification", "reachableOn",
        "protocol"));
    PortKey key = portKey(m, what);
    String service = service(m, what);
    String justification = requiredText(m, "justification", what
        + " (say why the NE needs " + key + ")");
    List<AddressRange> ranges = new ArrayList<>();
    List<String> interfaces = new ArrayList<>();
    for (Node r : list(m, "reachableOn")) {
      Scalar s = text(r, "reachableOn");
      if (INTERFACE.matcher(s.text()).matches()) {
        if (interfaces.contains(s.text())) {
          throw invalid(s.loc(), "reachableOn lists '" + s.text() + "' twice");
        }
        interfaces.add(s.text());
        continue;
      }
      try {
        AddressRange range = AddressRange.parse(s.text());
        if (ranges.contains(range)) {
          throw invalid(s.loc(), "reachableOn lists '" + s.text() + "' twice");
        }
        ranges.add(range);
      } catch (IllegalArgumentException e) {
        throw invalid(s.loc(), e.getMessage());
      }
    }
    if (m.fields().containsKey("reachableOn") && ranges.isEmpty() && interfaces.isEmpty()) {
      throw invalid(m.fields().get("reachableOn").keyLoc(),
          "reachableOn is empty: list addresses, or leave the key out to allow any");
    }
    return new AllowedPort(key, service, justification, ranges, interfaces,
        protocol(m, key, service));
  }

  /**
   * {@code protocol: {versions: [v3]}} on an allowed entry: only for a service the scan can probe
   * the versions of, on the transport it probes, with known versions, each once, and not all.
   */
  private ProtocolRule protocol(MapNode entry, PortKey key, String service)
      throws RefusalException {
    Field f = entry.fields().get("protocol");
    if (f == null) {
      return null;
    }
    ProtocolRule.Known known = ProtocolRule.known(service.toLowerCase(Locale.ROOT)).orElse(null);
    if (known == null) {
      throw invalid(f.keyLoc(), "'protocol' on " + key + " (" + service + "): versions can be"
          + " checked only for the services the scan probes, " + ProtocolRule.protocols()
          + "; remove 'protocol', or name the service one of them");
    }
    if (!known.transports().contains(key.transport())) {
      throw invalid(f.keyLoc(), "'protocol' on " + key + " (" + service + "): " + known.why()
          + ", so declare the versions on the " + known.transports().stream()
              .map(t -> t.name().toLowerCase(Locale.ROOT)).sorted()
              .collect(java.util.stream.Collectors.joining(" or ")) + " entry");
    }
    String what = "protocol of " + key;
    MapNode m = map(f.value(), "'protocol'");
    keys(m, what, Set.of("versions"));
    Node vn = required(m, "versions", what + " (the " + service + " versions allowed, for example"
        + " [" + known.versions().get(known.versions().size() - 1) + "])");
    if (!(vn instanceof ListNode l)) {
      throw invalid(vn.loc(), "'versions' must be a list such as [" + known.versions().get(
          known.versions().size() - 1) + "], not " + vn.kind());
    }
    if (l.items().isEmpty()) {
      throw invalid(vn.loc(), "'versions' is empty: list the " + service + " versions allowed,"
          + " or remove the entry to forbid the service");
    }
    List<String> versions = new ArrayList<>();
    for (Node n : l.items()) {
      Scalar v = text(n, "versions");
      if (!known.versions().contains(v.text())) {
        throw invalid(v.loc(), "unknown " + service + " version '" + v.text() + "': one of "
            + known.versions());
      }
      if (versions.contains(v.text())) {
        throw invalid(v.loc(), "versions lists '" + v.text() + "' twice");
      }
      versions.add(v.text());
    }
    if (versions.size() == known.versions().size()) {
      throw invalid(vn.loc(), "versions " + versions + " allows every " + service + " version and"
          + " restricts nothing: list only the versions the NE needs, or remove 'protocol'");
    }
    // The protocol's order, whatever the policy's: the evidence then reads the same for all.
    versions.sort(java.util.Comparator.comparingInt(known.versions()::indexOf));
    return new ProtocolRule(service.toLowerCase(Locale.ROOT), versions);
  }

  private ForbiddenRule extension(Node n) throws RefusalException {
    String what = "a forbidden entry";
    MapNode m = map(n, what);
    keys(m, what, Set.of("transport", "port", "service", "reason"));
    PortKey key = portKey(m, what);
    String service = service(m, what);
    String reason = requiredText(m, "reason", what + " (say why " + key + " is forbidden)");
    return new ForbiddenRule("operator-" + key.toString().replace('/', '-'),
        service + ", " + key, Kind.PORT, List.of(key), Set.of(), Origin.OPERATOR,
        "policy " + source, reason);
  }

  private Waiver waiver(Node n) throws RefusalException {
    String what = "a waiver";
    MapNode m = map(n, what);
    keys(m, what, Set.of("rule", "transport", "port", "reason", "reference"));
    Scalar rule = text(required(m, "rule", what), "rule");
    ForbiddenRule base = RULE_ID.matcher(rule.text()).matches()
        ? Baseline.rule(rule.text()).orElse(null) : null;
    if (base == null) {
      throw invalid(rule.loc(), "waiver names unknown rule '" + rule.text()
          + "': a waiver lifts a baseline rule, one of "
          + Baseline.rules().stream().map(ForbiddenRule::id).toList());
    }
    PortKey port = null;
    if (m.fields().containsKey("port") || m.fields().containsKey("transport")) {
      port = portKey(m, what);
      if (!base.ports().contains(port)) {
        throw invalid(m.fields().get("port") == null ? m.loc()
            : m.fields().get("port").value().loc(), "rule '" + base.id() + "' does not cover "
            + port + "; it covers " + base.ports().stream().map(PortKey::toString).toList());
      }
    }
    Field reasonField = m.fields().get("reason");
    if (reasonField == null) {
      throw invalid(m.loc(), "waiver of '" + rule.text() + "' has no reason: removing a"
          + " baseline entry needs an explicit reason, which the evidence shows (HRD-5)");
    }
    Scalar reason = text(reasonField.value(), "reason");
    if (reason.text().isBlank()) {
      throw invalid(reason.loc(), "waiver of '" + rule.text() + "' has a blank reason: say why"
          + " the NE type needs it");
    }
    limit(reason);
    String reference = optionalText(m, "reference");
    return new Waiver(base.id(), port, reason.text().strip(), reference);
  }

  private PortKey portKey(MapNode m, String what) throws RefusalException {
    Scalar t = text(required(m, "transport", what), "transport");
    Transport transport;
    try {
      transport = Transport.valueOf(t.text().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw invalid(t.loc(), "transport '" + t.text() + "' is not one of tcp, udp, sctp");
    }
    Node pn = required(m, "port", what);
    if (!(pn instanceof Scalar p) || p.token() != JsonToken.VALUE_NUMBER_INT) {
      throw invalid(pn.loc(), "port must be a whole number 1..65535, not " + pn.kind());
    }
    // Plain decimal only: YAML 1.1 tools read 023 as octal 19 and 0x17 or 2_3 otherwise, so a
    // policy reviewed with another tool would declare a different port from the one enforced.
    if (!p.text().matches("-?(0|[1-9][0-9]*)")) {
      throw invalid(p.loc(), "port must be written as a plain decimal number 1..65535 (no leading"
          + " zero, underscore or base prefix): " + p.text());
    }
    long port;
    try {
      port = Long.parseLong(p.text());
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 1 || port > 65535) {
      throw invalid(p.loc(), "port out of range 1..65535: " + p.text());
    }
    return new PortKey(transport, (int) port);
  }

  private String service(MapNode m, String what) throws RefusalException {
    Scalar s = text(required(m, "service", what), "service");
    if (!SERVICE.matcher(s.text()).matches()) {
      throw invalid(s.loc(), "service '" + s.text() + "' must be a name of 1-64 of A-Z a-z 0-9"
          + " . _ + / - (for example ssh, s1ap, diameter)");
    }
    return s.text();
  }

  private String requiredText(MapNode m, String key, String what) throws RefusalException {
    Node n = m.fields().containsKey(key) ? m.fields().get(key).value() : null;
    if (n == null) {
      throw invalid(m.loc(), "missing '" + key + "' in " + what);
    }
    Scalar s = text(n, key);
    if (s.text().isBlank()) {
      throw invalid(s.loc(), "'" + key + "' is blank in " + what);
    }
    limit(s);
    return s.text().strip();
  }

  private String optionalText(MapNode m, String key) throws RefusalException {
    Field f = m.fields().get(key);
    if (f == null) {
      return null;
    }
    Scalar s = text(f.value(), key);
    limit(s);
    return s.text().isBlank() ? null : s.text().strip();
  }

  private void limit(Scalar s) throws RefusalException {
    if (s.text().length() > MAX_TEXT) {
      throw invalid(s.loc(), "text longer than " + MAX_TEXT + " characters");
    }
  }

  private Node required(MapNode m, String key, String what) throws RefusalException {
    Field f = m.fields().get(key);
    if (f == null) {
      throw invalid(m.loc(), "missing '" + key + "' in " + what);
    }
    return f.value();
  }

  private Scalar text(Node n, String key) throws RefusalException {
    // Numbers and booleans are accepted as text only where the schema wants text anyway.
    if (n instanceof Scalar s && s.token() != JsonToken.VALUE_NULL) {
      return s;
    }
    throw invalid(n.loc(), "'" + key + "' must be text, not " + n.kind());
  }

  private MapNode map(Node n, String what) throws RefusalException {
    if (n instanceof MapNode m) {
      return m;
    }
    throw invalid(n.loc(), what + " must be a mapping (key: value), not " + n.kind());
  }

  private List<Node> list(MapNode m, String key) throws RefusalException {
    Field f = m.fields().get(key);
    if (f == null) {
      return List.of();
    }
    if (f.value() instanceof ListNode l) {
      return l.items();
    }
    throw invalid(f.value().loc(), "'" + key + "' must be a list (lines starting with '- '), not "
        + f.value().kind());
  }

  private void keys(MapNode m, String what, Set<String> known) throws RefusalException {
    for (Field f : m.fields().values()) {
      if (!known.contains(f.key())) {
        throw invalid(f.keyLoc(), "unknown key '" + f.key() + "' in " + what + ": expected "
            + known.stream().sorted().toList());
      }
    }
  }

  private RefusalException invalid(Loc loc, String message) {
    return RefusalException.about(ReasonCode.POLICY_INVALID, source,
        source + ": " + loc + ": " + message);
  }

  private static String sha256(byte[] b) {
    return Sha256.hex(b);
  }
}
