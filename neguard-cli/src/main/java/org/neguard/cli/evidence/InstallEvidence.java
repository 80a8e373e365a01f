package org.neguard.cli.evidence;

import static org.neguard.html.Html.escape;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.neguard.agent.AgentConfig;
import org.neguard.agent.InstalledTree;
import org.neguard.agent.SlotManifests;
import org.neguard.agent.Slots;
import org.neguard.api.audit.AuditRecord;
import org.neguard.api.pkg.PackageInfo;
import org.neguard.cli.support.ServerClient;
import org.neguard.evidence.HtmlEvidence;
import org.neguard.evidence.JsonEvidence;
import org.neguard.evidence.Outcome;
import org.neguard.evidence.TestCase;
import org.neguard.io.AtomicFiles;
import org.neguard.measure.Sha256;
import org.neguard.pkg.Manifest;
import org.neguard.pkg.ManifestCodec;
import org.neguard.sign.SignatureVerifier;
import org.neguard.sign.SignerDetails;
import org.neguard.sign.TrustStore;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The install evidence ({@code neguard evidence install}): how the integrity of a package is
 * guaranteed end to end (INT-1..4, SRC-2), from what one NE's agent actually did: its log of
 * JSON lines, its state directory (installed.json, last-result.json, the kept signed manifests)
 * and, when given, its configuration (trust anchors: the kept manifests' signatures and the
 * active slot are verified again now) and the OAM server (the stored packages and the audit
 * rows of their ingest). Every verdict is computed from what was observed: a step the inputs do
 * not show is "not observed" (NOT_TESTED), never assumed. Not thread-safe.
 */
final class InstallEvidence {
  static final String TITLE = "NEGuard install evidence: package integrity end to end (INT-1 to"
      + " INT-4, SRC-2)";
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A log line longer than this is not one of the agent's events. */
  private static final int MAX_LINE = 64 * 1024;
  private static final int MAX_EVENTS = 200_000;
  /** The codes of a refusal on the package's integrity or origin (the others: NE, health). */
  private static final Set<String> INTEGRITY = Set.of("DIGEST_MISMATCH", "SIGNATURE_INVALID",
      "UNSIGNED", "CERT_UNTRUSTED", "CERT_VALIDITY", "CERT_REVOKED", "KEY_USAGE",
      "ALGORITHM_NOT_ALLOWED", "VENDOR_MISMATCH", "UNSAFE_PATH", "STRUCTURE", "MALFORMED",
      "SIZE_LIMIT", "INFECTED", "NOT_SCANNED", "SCAN_REPORT_MISSING", "SCAN_REPORT_MISMATCH",
      "SCAN_POLICY", "REPO_MISMATCH", "REPO_SIGNATURE", "REPO_ROLLBACK", "REPO_EXPIRED");
  private static final Set<String> SOURCE = Set.of("ORDER_VALIDITY", "DEVICE_MISMATCH",
      "CERT_UNTRUSTED", "SIGNATURE_INVALID", "UNSIGNED", "VENDOR_MISMATCH", "FORMAT_VERSION",
      "REPO_SIGNATURE", "REPO_MISMATCH", "REPO_ROLLBACK", "REPO_EXPIRED");
  private static final List<String> STEPS = List.of("order_verified", "tuf_verified",
      "downloaded", "verified_extracted");

  /** One event of the agent's log: its fields as the JSON line gave them. */
  private record Event(Map<String, Object> fields) {
    String text(String key) {
      return text(key, "");
    }

    String text(String key, String dflt) {
      Object v = fields.get(key);
      return v == null ? dflt : String.valueOf(v);
    }

    boolean bool(String key, boolean dflt) {
      return fields.get(key) instanceof Boolean b ? b : dflt;
    }

    boolean has(String key) {
      return fields.get(key) instanceof String;
    }
  }

  /** What the document is built from; any of them may be null, not all. */
  record Inputs(Path stateDir, Path log, AgentConfig config, ServerClient server) {}

  /**
   * What was written, and how it came out; {@code failedCodes} gives each failed case the code
   * of what contradicted it (a finding's, DIGEST_MISMATCH for other bytes, STRUCTURE for a step
   * missing before an activation).
   */
  record Result(Path html, Path json, int passed, List<String> failed, List<String> notObserved,
      Map<String, ReasonCode> failedCodes) {}

  private final Inputs in;
  private final List<Event> events = new ArrayList<>();
  private final Map<String, List<Event>> byOrder = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();
  private int skippedLines;
  private InstalledTree.Result live;
  private String liveError;
  private final List<Map<String, Object>> kept = new ArrayList<>();
  private List<PackageInfo> packages;
  private List<AuditRecord> audit;
  private String serverError;
  private final Map<String, ReasonCode> failedCodes = new LinkedHashMap<>();

  private InstallEvidence(Inputs in) {
    this.in = in;
  }

  static Result collect(Inputs in, Path outDir) throws IOException {
    InstallEvidence e = new InstallEvidence(in);
    e.readLog();
    e.readKept();
    e.verifyLive();
    e.askServer();
    return e.write(outDir);
  }

  // --- reading what happened -------------------------------------------------------------------

  private void readLog() throws IOException {
    if (in.log() == null) {
      notes.add("no agent log given (--log): the order-by-order steps are not observed");
      return;
    }
    try (BufferedReader r = Files.newBufferedReader(in.log(), StandardCharsets.UTF_8)) {
      for (String line; (line = r.readLine()) != null; ) {
        String l = line.strip();
        // journalctl -o short prefixes each line: the event starts at the first brace.
        int brace = l.indexOf('{');
        if (brace < 0 || l.length() > MAX_LINE) {
          skippedLines += l.isEmpty() ? 0 : 1;
          continue;
        }
        Object parsed;
        try {
          parsed = JSON.readValue(l.substring(brace), Object.class);
        } catch (IOException ex) {
          skippedLines++;
          continue;
        }
        if (!(parsed instanceof Map<?, ?> map) || !(map.get("event") instanceof String)
            || !(map.get("ts") instanceof String)) {
          skippedLines++;
          continue;
        }
        @SuppressWarnings("unchecked")
        Event n = new Event((Map<String, Object>) map);
        if (events.size() >= MAX_EVENTS) {
          notes.add("the log holds more than " + MAX_EVENTS + " events: only the first were"
              + " read");
          break;
        }
        events.add(n);
        String order = n.text("orderId", "");
        if (!order.isEmpty()) {
          byOrder.computeIfAbsent(order, k -> new ArrayList<>()).add(n);
        }
      }
    }
  }

  private Path stateDir() {
    return in.config() != null ? in.config().stateDir() : in.stateDir();
  }

  private void readKept() throws IOException {
    Path state = stateDir();
    if (state == null) {
      notes.add("no state directory given: installed.json and the kept manifests are not"
          + " observed");
      return;
    }
    Path dir = state.resolve("manifests");
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    TrustStore trust = null;
    if (in.config() != null) {
      try {
        trust = TrustStore.loadBound(in.config().trustAnchors(), List.of());
      } catch (RefusalException e) {
        notes.add("the configured trust anchors are unusable: " + e.getMessage());
      }
    }
    SlotManifests manifests = new SlotManifests(state);
    List<String> names;
    try (Stream<Path> s = Files.list(dir)) {
      names = s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("."))
          .sorted().toList();
    }
    for (String name : names) {
      Map<String, Object> k = new LinkedHashMap<>();
      k.put("slot", name);
      try {
        SlotManifests.Kept m = manifests.load(name).orElse(null);
        if (m == null) {
          k.put("problem", "manifest or signature missing");
          kept.add(k);
          continue;
        }
        k.put("manifestSha256", Sha256.hex(m.manifest()));
        Manifest man = ManifestCodec.decode(m.manifest());
        k.put("rim", man.rim().digest());
        k.put("files", man.files().size());
        if (trust != null) {
          SignerDetails sd = new SignatureVerifier(trust, Clock.systemUTC())
              .verify(m.manifest(), m.signature(), man.vendor());
          k.put("signatureVerified", true);
          k.put("signer", sd.subject());
          k.put("signatureAlgorithm", sd.signatureAlgorithm());
          k.put("signingTime", sd.signingTime().toString());
        } else {
          k.put("signatureVerified", false);
          k.put("note", "not verified now: give --agent-config for the trust anchors");
        }
      } catch (RefusalException e) {
        k.put("signatureVerified", false);
        k.put("problem", e.reasons().get(0).code() + ": " + e.getMessage());
      }
      kept.add(k);
    }
  }

  private void verifyLive() {
    if (in.config() == null) {
      return;
    }
    try {
      live = InstalledTree.verify(new Slots(in.config().installRoot()),
          new SlotManifests(in.config().stateDir()),
          TrustStore.loadBound(in.config().trustAnchors(), List.of()), Clock.systemUTC());
    } catch (RefusalException e) {
      liveError = e.reasons().get(0).code() + ": " + e.getMessage();
    } catch (IOException e) {
      liveError = "IO_ERROR: " + e.getMessage();
    }
  }

  private void askServer() {
    if (in.server() == null) {
      return;
    }
    try {
      packages = in.server().packages();
    } catch (IOException | RefusalException e) {
      serverError = "packages: " + e.getMessage();
    }
    try {
      audit = in.server().audit(0, 1000, true);
    } catch (IOException | RefusalException e) {
      serverError = (serverError == null ? "" : serverError + "; ") + "audit: " + e.getMessage();
    }
  }

  // --- judging it --------------------------------------------------------------------------------

  private Event first(String order, String event) {
    for (Event e : byOrder.getOrDefault(order, List.of())) {
      if (e.text("event").equals(event)) {
        return e;
      }
    }
    return null;
  }

  private List<String> activatedOrders() {
    List<String> out = new ArrayList<>();
    byOrder.forEach((id, list) -> {
      if (first(id, "activated") != null) {
        out.add(id);
      }
    });
    return out;
  }

  /** Every step before the activation of {@code order}, in order; the names of those missing. */
  private List<String> missingSteps(String order) {
    List<String> missing = new ArrayList<>();
    List<Event> list = byOrder.get(order);
    int activated = -1;
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i).text("event").equals("activated")) {
        activated = i;
        break;
      }
    }
    for (String step : STEPS) {
      boolean seen = false;
      for (int i = 0; i < activated; i++) {
        seen |= list.get(i).text("event").equals(step);
      }
      if (!seen) {
        missing.add(step);
      }
    }
    return missing;
  }

  private List<String> refusals(Set<String> codes) {
    List<String> out = new ArrayList<>();
    for (Event e : events) {
      if (!e.text("event").equals("refused")) {
        continue;
      }
      String order = e.text("orderId");
      List<String> hit = new ArrayList<>();
      for (String c : e.text("codes").split(",")) {
        if (codes.contains(c)) {
          hit.add(c);
        }
      }
      if (!hit.isEmpty()) {
        out.add("order " + order + " refused " + String.join(",", hit) + " at "
            + e.text("ts") + ": " + e.text("message")
            + (first(order, "activated") == null ? " (nothing activated)"
                : " (AFTER an activation of the same order)"));
      }
    }
    return out;
  }

  private String describe(String order) {
    Event v = first(order, "order_verified");
    Event x = first(order, "verified_extracted");
    Event a = first(order, "activated");
    String what = v == null ? "?" : v.text("package") + " " + v.text("version");
    String previous = a == null ? "" : a.text("previous", "");
    return "order " + order + " (" + what + ", " + (previous.isEmpty() ? "first install"
        : "upgrade from " + Path.of(previous).getFileName()) + "): signer "
        + (x == null ? "?" : x.text("signer", "?")) + ", verified at "
        + (x == null ? "?" : x.text("ts")) + ", activated at "
        + (a == null ? "?" : a.text("ts"));
  }

  private String liveLine() {
    if (in.config() == null) {
      return null;
    }
    if (liveError != null) {
      return "verify-installed now: " + liveError;
    }
    return "verify-installed now: " + live.manifest().name() + " " + live.manifest().version()
        + " in " + live.slot() + ": " + (live.intact() ? "all " + live.filesChecked()
            + " files match the signed manifest" : live.findings().size()
            + " file(s) differ: " + String.join("; ", live.findings().stream()
                .map(f -> f.path() + " " + f.code()).toList()));
  }

  private boolean liveFails() {
    return live != null && !live.intact();
  }

  private List<TestCase> cases() {
    List<TestCase> cases = new ArrayList<>();
    List<String> activated = activatedOrders();
    List<String> unverified = activated.stream().filter(o -> !missingSteps(o).isEmpty())
        .toList();

    // INT-1: validated before use; tampered or uncertified refused.
    List<String> d1 = new ArrayList<>();
    activated.forEach(o -> d1.add(describe(o)));
    List<String> refused = refusals(INTEGRITY);
    d1.addAll(refused);
    unverified.forEach(o -> d1.add("order " + o + " was ACTIVATED without " + missingSteps(o)));
    addIfPresent(d1, liveLine());
    failIf(!unverified.isEmpty() || liveFails(), "TC-INT1-01", null);
    Outcome o1 = !unverified.isEmpty() || liveFails() ? Outcome.FAIL
        : activated.isEmpty() && refused.isEmpty() ? Outcome.NOT_TESTED : Outcome.PASS;
    cases.add(new TestCase("TC-INT1-01", List.of("INT-1"), "package validated before use;"
        + " tampered or uncertified packages refused", o1, null,
        "Show that the NE verified each package (vendor signature, every file digest, scan"
            + " reports) before it was extracted and activated, and refused bad ones.",
        List.of("Read the agent's events: for each order, verified_extracted before activated;"
            + " refused events with an integrity code", "Re-verify the active slot now (with"
            + " --agent-config)"),
        "Every activation preceded by a full verification; every refusal leaves nothing"
            + " activated; the active tree matches its signed manifest.",
        o1 == Outcome.NOT_TESTED ? "not observed: no install and no refusal in the inputs"
            : activated.size() + " verified install(s), " + refused.size()
                + " integrity refusal(s), " + unverified.size() + " unverified activation(s)",
        d1));

    // INT-2: a digital-signature standard (CMS) verified.
    List<String> d2 = new ArrayList<>();
    boolean anyVerified = false;
    boolean anyBad = false;
    for (Map<String, Object> k : kept) {
      if (Boolean.TRUE.equals(k.get("signatureVerified"))) {
        anyVerified = true;
        d2.add("slot " + k.get("slot") + ": CMS SignedData (RFC 5652) over manifest SHA-256 "
            + k.get("manifestSha256") + " verified now: " + k.get("signatureAlgorithm")
            + " by " + k.get("signer") + ", signed at " + k.get("signingTime"));
      } else if (k.get("problem") != null) {
        anyBad = true;
        d2.add("slot " + k.get("slot") + ": " + k.get("problem"));
      } else {
        d2.add("slot " + k.get("slot") + ": kept, " + k.get("note"));
      }
    }
    activated.forEach(o -> {
      Event x = first(o, "verified_extracted");
      d2.add("order " + o + ": the agent verified the vendor's CMS signature by "
          + x.text("signer", "?") + " at " + x.text("ts"));
    });
    failIf(anyBad, "TC-INT2-01", ReasonCode.SIGNATURE_INVALID);
    Outcome o2 = anyBad ? Outcome.FAIL : anyVerified ? Outcome.PASS : Outcome.NOT_TESTED;
    cases.add(new TestCase("TC-INT2-01", List.of("INT-2"), "validation uses a digital-signature"
        + " standard (CMS, X.509 chain to the vendor's trust anchor)", o2, null,
        "Show the signature standard and algorithm the NE's verification rests on.",
        List.of("Verify each kept signed manifest (state.dir/manifests/SLOT) against the"
            + " configured trust anchors"),
        "Each kept manifest's CMS signature verifies under a configured anchor.",
        o2 == Outcome.NOT_TESTED ? "not observed: no kept manifest verified (give"
            + " --agent-config for the trust anchors)" : kept.stream().filter(k -> Boolean.TRUE
                .equals(k.get("signatureVerified"))).count() + " kept signed manifest(s) verified"
                + " now" + (anyBad ? ", " + kept.stream().filter(k -> k.get("problem") != null)
                    .count() + " refused" : ""), d2));

    // INT-3: at installation and again at every upgrade.
    List<String> d3 = new ArrayList<>();
    long upgrades = activated.stream()
        .filter(o -> !first(o, "activated").text("previous", "").isEmpty()).count();
    activated.forEach(o -> d3.add(describe(o) + "; steps before activation: "
        + String.join(" → ", STEPS) + (missingSteps(o).isEmpty() ? " (all observed)"
            : " (MISSING " + missingSteps(o) + ")")));
    addIfPresent(d3, liveLine());
    if (upgrades == 0 && !activated.isEmpty()) {
      d3.add("no upgrade observed: only first installs in the inputs");
    }
    failIf(!unverified.isEmpty() || liveFails(), "TC-INT3-01", null);
    Outcome o3 = !unverified.isEmpty() || liveFails() ? Outcome.FAIL
        : activated.isEmpty() ? Outcome.NOT_TESTED : Outcome.PASS;
    cases.add(new TestCase("TC-INT3-01", List.of("INT-3"), "validation at installation and"
        + " again at every upgrade", o3, null,
        "Show that every install and every upgrade the NE carried out was verified on the NE"
            + " before the switch, and that the installed tree can be verified again later.",
        List.of("For each activated order, find order_verified, tuf_verified, downloaded and"
            + " verified_extracted before activated", "Re-hash the active slot against its"
            + " kept signed manifest (with --agent-config)"),
        "All four steps before each activation, for installs and upgrades alike.",
        o3 == Outcome.NOT_TESTED ? "not observed: no activation in the inputs"
            : activated.size() + " activation(s) (" + upgrades + " upgrade(s)), "
                + unverified.size() + " without every step", d3));

    // INT-4: end to end, publication to install.
    List<String> d4 = new ArrayList<>();
    boolean chainBroken = false;
    int complete = 0;
    for (String o : activated) {
      Event v = first(o, "order_verified");
      Event t = first(o, "tuf_verified");
      Event x = first(o, "verified_extracted");
      Event h = null;
      for (Event e : byOrder.get(o)) {
        if (e.text("event").equals("health_check") && e.bool("ok", false)) {
          h = e;
        }
      }
      Event inst = first(o, "installed");
      String sha = v == null ? null : v.text("bundleSha256", null);
      String server = "server ingest: not observed (give --with-server)";
      if (packages != null && v != null) {
        PackageInfo p = packages.stream().filter(pi -> pi.name().equals(v.text("package"))
            && pi.version().equals(v.text("version"))).findFirst().orElse(null);
        if (p == null) {
          server = "server ingest: the server holds no such package now";
        } else if (!p.sha256().equals(sha)) {
          chainBroken = true;
          server = "server ingest: MISMATCH: the server stored " + p.sha256()
              + ", the order named " + sha;
        } else {
          server = "server ingest: stored " + p.sha256() + " uploaded by " + p.uploadedBy()
              + " at " + p.uploadedAt() + ", signer " + p.signerSubject() + ", RIM " + p.rim();
        }
      }
      d4.add("order " + o + ": vendor " + (x == null ? "?" : x.text("vendor", "?"))
          + " signer " + (x == null ? "?" : x.text("signer", "?")) + " → " + server
          + " → TUF target " + (t == null ? "not observed" : t.text("target") + " ("
              + t.text("length") + " bytes)") + " → signed order "
          + (v == null ? "not observed" : "verified, bundle SHA-256 " + sha) + " → NE"
          + " verification " + (x == null ? "not observed" : "at " + x.text("ts"))
          + " → slot " + (x == null ? "?" : x.text("slot")) + " → health check "
          + (h != null ? "passed at " + h.text("ts") : inst != null
              && !inst.bool("healthChecked", true) ? "not configured"
              : "not observed"));
      if (v != null && t != null && x != null) {
        complete++;
      }
    }
    addIfPresent(d4, liveLine());
    if (serverError != null) {
      d4.add("server: " + serverError);
    }
    failIf(chainBroken || !unverified.isEmpty() || liveFails(), "TC-INT4-01",
        chainBroken ? ReasonCode.DIGEST_MISMATCH : null);
    Outcome o4 = chainBroken || !unverified.isEmpty() || liveFails() ? Outcome.FAIL
        : complete == 0 ? Outcome.NOT_TESTED : Outcome.PASS;
    cases.add(new TestCase("TC-INT4-01", List.of("INT-4"), "integrity guaranteed by a technical"
        + " method, end to end from publication to install", o4, null,
        "Trace each installed package from the vendor's signature through the server's ingest"
            + " gate, the TUF repository and the signed order to the NE's verification, slot"
            + " and health check.",
        List.of("Join the agent's events of each order", "With --with-server, compare the"
            + " server's stored package (SHA-256) with the order's bundle"),
        "Every link observed and consistent: the same bytes from ingest to install.",
        o4 == Outcome.NOT_TESTED ? "not observed: no order with its TUF and NE verification"
            + " in the inputs" : complete + " order(s) traced end to end", d4));

    // SRC-2: only from a verified source.
    List<String> d5 = new ArrayList<>();
    for (Event e : events) {
      String ev = e.text("event");
      if (ev.equals("enrolled") || ev.equals("identity_loaded")) {
        d5.add(ev + " at " + e.text("ts") + ": device " + e.text("deviceId")
            + ", certificate serial " + e.text("serial")
            + " (mutual TLS on every request)");
      }
    }
    activated.forEach(o -> {
      Event v = first(o, "order_verified");
      d5.add("order " + o + ": signature by the server's order key, this device, validity"
          + " window and approvals verified at " + (v == null ? "?" : v.text("ts"))
          + "; package vendor-signed by "
          + first(o, "verified_extracted").text("signer", "?"));
    });
    List<String> sourceRefusals = refusals(SOURCE);
    d5.addAll(sourceRefusals);
    int ingestRefused = 0;
    if (audit != null) {
      for (AuditRecord r : audit) {
        if (r.action().equals("PACKAGE_UPLOAD")) {
          d5.add("server audit #" + r.seq() + " " + r.occurredAt() + ": PACKAGE_UPLOAD "
              + r.target() + " by " + r.actor() + ": " + r.outcome()
              + (r.detail() == null ? "" : " (" + r.detail() + ")"));
          ingestRefused += r.outcome().equals("success") ? 0 : 1;
        }
      }
    } else {
      d5.add("server ingest gate: not observed (give --with-server" + (serverError == null ? ""
          : "; " + serverError) + ")");
    }
    boolean noOrderCheck = activated.stream().anyMatch(o -> first(o, "order_verified") == null);
    failIf(noOrderCheck, "TC-SRC2-01", ReasonCode.UNSIGNED);
    Outcome o5 = noOrderCheck ? Outcome.FAIL : activated.isEmpty() && sourceRefusals.isEmpty()
        && ingestRefused == 0 ? Outcome.NOT_TESTED : Outcome.PASS;
    cases.add(new TestCase("TC-SRC2-01", List.of("SRC-2"), "an update is accepted only from a"
        + " verified source", o5, null,
        "Show that the NE accepted only orders signed by its server for this device, over its"
            + " own mutual-TLS identity, of packages signed by a trusted vendor, and what was"
            + " refused on the way.",
        List.of("Read the agent's identity, order_verified and refused events", "With"
            + " --with-server, read the server's PACKAGE_UPLOAD audit rows (ingest gate)"),
        "Every activation follows a verified order; refusals name their code.",
        o5 == Outcome.NOT_TESTED ? "not observed: no accepted or refused update in the inputs"
            : activated.size() + " verified order(s), " + sourceRefusals.size()
                + " source refusal(s) on the NE, " + ingestRefused + " refused upload(s)", d5));
    return cases;
  }

  /**
   * Records the code of a failed case: {@code code}, else the live findings' (DIGEST_MISMATCH
   * when a file changed), else STRUCTURE (a step missing).
   */
  private void failIf(boolean failed, String id, ReasonCode code) {
    if (failed) {
      ReasonCode found = !liveFails() ? ReasonCode.STRUCTURE
          : live.findings().stream().anyMatch(f -> f.code() == ReasonCode.DIGEST_MISMATCH)
              ? ReasonCode.DIGEST_MISMATCH : live.findings().get(0).code();
      failedCodes.put(id, code != null ? code : found);
    }
  }

  private static void addIfPresent(List<String> l, String s) {
    if (s != null) {
      l.add(s);
    }
  }

  // --- writing it ------------------------------------------------------------------------------

  private Result write(Path outDir) throws IOException {
    List<TestCase> cases = cases();
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("title", TITLE);
    doc.put("generatedAt", Instant.now().toString());
    Map<String, Object> inputs = new LinkedHashMap<>();
    inputs.put("stateDir", stateDir() == null ? null : stateDir().toString());
    inputs.put("log", in.log() == null ? null : in.log().toString());
    inputs.put("agentConfig", in.config() != null);
    inputs.put("server", in.server() == null ? null : in.server().server());
    inputs.put("events", events.size());
    inputs.put("skippedLines", skippedLines);
    doc.put("inputs", inputs);
    doc.put("notes", notes);
    Path state = stateDir();
    doc.put("installed", state == null ? null : json(state.resolve("installed.json")));
    doc.put("lastResult", state == null ? null : json(state.resolve("last-result.json")));
    doc.put("keptManifests", kept);
    List<Map<String, Object>> orders = new ArrayList<>();
    byOrder.forEach((id, list) -> {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("orderId", id);
      List<String> steps = new ArrayList<>();
      Set<String> codes = new LinkedHashSet<>();
      for (Event e : list) {
        steps.add(e.text("ts") + " " + e.text("event"));
        if (e.has("codes")) {
          codes.add(e.text("codes"));
        }
      }
      o.put("events", steps);
      o.put("codes", List.copyOf(codes));
      orders.add(o);
    });
    doc.put("orders", orders);
    doc.put("testCases", JsonEvidence.testCases(cases));
    List<String> failed = cases.stream().filter(c -> c.outcome().blocks()).map(TestCase::id)
        .toList();
    List<String> notObserved = cases.stream().filter(c -> c.outcome() == Outcome.NOT_TESTED)
        .map(TestCase::id).toList();
    doc.put("verdict", failed.isEmpty() ? "pass" : "fail");
    Path json = outDir.resolve("evidence-install.json");
    Path html = outDir.resolve("evidence-install.html");
    AtomicFiles.write(json, JsonEvidence.bytes(doc));
    AtomicFiles.write(html, html(doc, cases, orders).getBytes(StandardCharsets.UTF_8));
    return new Result(html, json, cases.size() - failed.size() - notObserved.size(), failed,
        notObserved, Map.copyOf(failedCodes));
  }

  private static Object json(Path f) {
    try {
      if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) || Files.size(f) > 1 << 20) {
        return null;
      }
      return JSON.readValue(Files.readAllBytes(f), Object.class);
    } catch (IOException e) {
      return "unreadable: " + e.getMessage();
    }
  }

  private String html(Map<String, Object> doc, List<TestCase> cases,
      List<Map<String, Object>> orders) {
    StringBuilder h = HtmlEvidence.begin(TITLE);
    h.append("<p>Generated at ").append(escape(doc.get("generatedAt")))
        .append(" from what one NE's agent did (inputs below). Overall verdict: ")
        .append(HtmlEvidence.badge("pass".equals(doc.get("verdict")) ? Outcome.PASS
            : Outcome.FAIL)).append(". A step the inputs do not show is reported as not"
            + " observed (NOT TESTED), never assumed.</p>\n");
    h.append("<h2>How integrity is guaranteed end to end</h2>\n<ol>"
        + "<li>The vendor builds the bundle, scans it (scan reports inside, listed in the"
        + " manifest) and signs the manifest (CMS SignedData; every file's SHA-256 and the tree"
        + " digest in it).</li>"
        + "<li>The OAM server's ingest gate verifies the signature, the chain to a vendor"
        + " trust anchor, every digest and the scan reports before it stores the bundle.</li>"
        + "<li>The server publishes the bundle's length and SHA-256 as a TUF target under an"
        + " offline root.</li>"
        + "<li>A deployment approved by a second person yields an order signed by the server"
        + " (ES256 JWS) for one device, naming the bundle's SHA-256.</li>"
        + "<li>The NE's agent verifies the order, refreshes TUF and checks the target against"
        + " the order, downloads and checks the bytes, verifies the vendor's signature, every"
        + " digest and the scan reports again, extracts into a new slot, switches by one"
        + " rename, restarts and health-checks, and keeps the signed manifest for later"
        + " re-verification.</li></ol>\n");
    h.append("<h2>Test cases</h2>\n");
    HtmlEvidence.caseTable(h, cases);
    for (TestCase c : cases) {
      HtmlEvidence.caseDetail(h, c);
    }
    h.append("<h2>Orders observed</h2>\n<table><tr><th>Order</th><th>Events</th>"
        + "<th>Codes</th></tr>\n");
    for (Map<String, Object> o : orders) {
      h.append("<tr><td><code>").append(escape(o.get("orderId"))).append("</code></td><td>")
          .append(escape(String.join(", ", castList(o.get("events")))))
          .append("</td><td>").append(escape(o.get("codes"))).append("</td></tr>\n");
    }
    h.append("</table>\n<h2>Inputs and state</h2>\n<table>\n");
    HtmlEvidence.row(h, "Inputs", "<code>" + escape(doc.get("inputs")) + "</code>");
    HtmlEvidence.row(h, "Notes", escape(doc.get("notes")));
    HtmlEvidence.row(h, "installed.json", "<code>" + escape(doc.get("installed")) + "</code>");
    HtmlEvidence.row(h, "last-result.json", "<code>" + escape(doc.get("lastResult"))
        + "</code>");
    HtmlEvidence.row(h, "Kept signed manifests", "<code>" + escape(doc.get("keptManifests"))
        + "</code>");
    h.append("</table>\n");
    return HtmlEvidence.end(h);
  }

  @SuppressWarnings("unchecked")
  private static List<String> castList(Object o) {
    return (List<String>) o;
  }
}
