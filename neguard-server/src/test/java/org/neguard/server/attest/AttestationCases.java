package org.neguard.server.attest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.attest.Evidence;
import org.neguard.attest.EvidenceSigner;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;
import org.neguard.server.Http;
import org.neguard.server.TestDb;
import org.neguard.server.TestServer.Role;
import org.neguard.server.device.TestDevice;

/**
 * The validation entity end to end (docs/ATTESTATION.md): first contact, the judging of
 * evidence against signed RIMs and approved baselines, every attack of issue 15's list that
 * concerns evidence, quarantine and readmission, runtime re-attestation. Devices are enrolled
 * through the real client; their evidence is built and signed here as an agent (honest or not)
 * would, and posted over mutual TLS to a real server.
 */
abstract class AttestationCases {
  static AttestFixture f;

  /** Starts the shared fixture: the embedded database when {@code database} is null. */
  static void startOn(String database) throws Exception {
    f = new AttestFixture(database);
  }

  static void stop() throws Exception {
    if (f != null) {
      f.close();
    }
  }

  /** A device made trusted by a first contact that matched. */
  private static TestDevice trusted(String id) throws Exception {
    TestDevice d = f.enrollWithApp(id);
    f.scheduler.runOnce(Instant.now());
    assertThat(f.challenge(d).reason()).isEqualTo("FIRST_CONTACT");
    AttestFixture.Answer a = f.answer(d, f.app());
    assertThat(a.result()).as(a.json().toString()).isEqualTo("PASS");
    assertThat(a.trustState()).isEqualTo("trusted");
    return d;
  }

  /** The app component with a file that is not the signed RIM's: a failing measurement. */
  private static Evidence.Component changedApp() {
    return AttestFixture.app(List.of(new TreeDigest.Leaf("x", "aa".repeat(32), 0644)));
  }

  /** A trusted device quarantined by a scheduled attestation that measured a changed file. */
  private static TestDevice quarantined(String id) throws Exception {
    TestDevice d = trusted(id);
    f.due(id);
    f.answer(d, changedApp());
    assertThat(f.trust(id)).isEqualTo("quarantined");
    return d;
  }

  private static JsonNode request(String deviceId) {
    Http.Response r = f.s.http.post("/api/devices/" + deviceId + "/attestations",
        f.s.token(Role.OPERATOR), Map.of());
    assertThat(r.status()).as(r.toString()).isEqualTo(202);
    return r.json();
  }

  @Test
  @DisplayName("REC-3 first contact: unknown until the evidence matches the signed RIM, then"
      + " trusted")
  void firstContact_matchingTheSignedRim_makesTheNeTrusted() throws Exception {
    TestDevice d = f.enrollWithApp("fc-good");
    assertThat(f.trust("fc-good")).isEqualTo("unknown");
    assertThat(d.client.poll(null).poll().attestation()).as("none before the schedule runs")
        .isNull();
    f.scheduler.runOnce(Instant.now());
    AttestFixture.Answer a = f.answer(d, f.app());
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.result()).isEqualTo("PASS");
    assertThat(a.json().path("trustBase").asText()).isEqualTo("SOFTWARE_KEY");
    assertThat(a.json().path("reason").asText()).isEqualTo("FIRST_CONTACT");
    assertThat(f.trust("fc-good")).isEqualTo("trusted");
    assertThat(f.audit("TRUST_STATE", "success", "device fc-good")).isEqualTo(1);
    assertThat(d.client.poll(null).poll().attestation()).as("answered: no challenge left")
        .isNull();
  }

  @Test
  @DisplayName("REC-3 an NE claiming software without a signed RIM stays untrusted, reported")
  void firstContact_softwareWithoutSignedRim_untrustedAndReported() throws Exception {
    TestDevice d = TestDevice.enroll(f.s, "fc-ghost", "mme", List.of(),
        List.of(new org.neguard.api.device.InstalledPackage("ghost", "9.9", 1)));
    f.scheduler.runOnce(Instant.now());
    List<TreeDigest.Leaf> leaves = List.of(new TreeDigest.Leaf("bin/ghost", "ab".repeat(32),
        0755));
    AttestFixture.Answer a = f.answer(d, new Evidence.Component("ghost",
        PlatformTim.Reference.VENDOR_SIGNED, TreeDigest.of(leaves), leaves));
    assertThat(a.result()).isEqualTo("NO_REFERENCE");
    assertThat(a.codes()).isEqualTo("NO_REFERENCE");
    assertThat(a.messages()).contains("ghost 9.9", "no vendor-signed package");
    assertThat(f.trust("fc-ghost")).isEqualTo("untrusted");
    assertThat(f.audit("ATTESTATION", "failure", "device fc-ghost")).isEqualTo(1);
  }

  @Test
  @DisplayName("REC-3 software the server does not record the NE running is no reference")
  void firstContact_unrecordedVendorComponent_isNoReference() throws Exception {
    TestDevice d = f.enrollWithApp("fc-extra-pkg");
    f.scheduler.runOnce(Instant.now());
    AttestFixture.Answer a = f.answer(d, f.app(), new Evidence.Component("other",
        PlatformTim.Reference.VENDOR_SIGNED, f.app().digest(), f.rim));
    assertThat(a.result()).isEqualTo("NO_REFERENCE");
    assertThat(a.messages()).contains("software other");
    assertThat(f.trust("fc-extra-pkg")).isEqualTo("untrusted");
  }

  @Test
  @DisplayName("ATT, REC-1 replayed evidence (an old nonce) fails, and quarantines the NE")
  void replayedEvidence_oldNonce_failsAndQuarantines() throws Exception {
    TestDevice d = f.enrollWithApp("replay");
    f.scheduler.runOnce(Instant.now());
    String old = f.evidence(d, f.challenge(d).nonce(), List.of(f.app()));
    assertThat(f.post(d.identity(), old).result()).isEqualTo("PASS");
    request("replay");
    AttestFixture.Answer a = f.post(d.identity(), old);
    assertThat(a.result()).isEqualTo("FAIL");
    assertThat(a.codes()).isEqualTo("NONCE_MISMATCH");
    assertThat(a.trustState()).isEqualTo("quarantined");
    assertThat(f.audit("QUARANTINE", "failure", "device replay")).isEqualTo(1);
  }

  @Test
  @DisplayName("ATT evidence signed by another device fails")
  void evidenceSignedByAnotherDevice_fails() throws Exception {
    TestDevice d = trusted("victim");
    TestDevice other = f.enrollWithApp("forger");
    request("victim");
    String forged = AttestFixture.evidence("victim", f.challenge(d).nonce(),
        other.identity().keyPair().getPrivate(), List.of(f.app()));
    AttestFixture.Answer a = f.post(d.identity(), forged);
    assertThat(a.result()).isEqualTo("FAIL");
    assertThat(a.codes()).isEqualTo("SIGNATURE_INVALID");
    assertThat(f.trust("victim")).isEqualTo("quarantined");
  }

  @Test
  @DisplayName("ATT another device's evidence posted on its own connection names the wrong"
      + " device")
  void evidenceOfAnotherDevice_onItsOwnConnection_fails() throws Exception {
    TestDevice d = trusted("mine");
    TestDevice other = trusted("theirs");
    request("mine");
    // "theirs" signs evidence naming itself over "mine"'s nonce and posts it as "mine" can't:
    // it posts on its own connection, where no challenge of "mine" is open.
    String jws = f.evidence(other, f.challenge(d).nonce(), List.of(f.app()));
    AttestFixture.Answer a = f.post(other.identity(), jws);
    assertThat(a.status()).isEqualTo(409);
    assertThat(f.trust("mine")).isEqualTo("trusted");
  }

  @Test
  @DisplayName("ATT a measurement list whose TIM does not match its entries fails")
  void timNotMatchingItsEntries_fails() throws Exception {
    TestDevice d = trusted("bad-tim");
    request("bad-tim");
    String nonce = f.challenge(d).nonce();
    Evidence honest = Evidence.of("bad-tim", HexFormat.of().parseHex(nonce), Instant.now(),
        List.of(f.app()), Optional.empty());
    Evidence lying = new Evidence(honest.format(), honest.deviceId(), honest.nonce(),
        honest.measuredAt(), honest.trustBase(), honest.components(), "00".repeat(32),
        Optional.empty());
    AttestFixture.Answer a = f.post(d.identity(),
        EvidenceSigner.of(d.identity().keyPair().getPrivate()).sign(lying));
    assertThat(a.result()).isEqualTo("FAIL");
    assertThat(a.codes()).isEqualTo("MEASUREMENT_MISMATCH");
  }

  @Test
  @DisplayName("ATT an NE reporting the expected TIM with a different list fails")
  void expectedTimWithADifferentList_fails() throws Exception {
    TestDevice d = trusted("tim-copy");
    request("tim-copy");
    String nonce = f.challenge(d).nonce();
    String expectedTim = Evidence.of("tim-copy", HexFormat.of().parseHex(nonce), Instant.now(),
        List.of(f.app()), Optional.empty()).tim();
    List<TreeDigest.Leaf> changed = new ArrayList<>(f.rim);
    changed.set(0, new TreeDigest.Leaf(changed.get(0).path(), "ee".repeat(32), 0755));
    Evidence lying = new Evidence(Evidence.FORMAT, "tim-copy", nonce, Instant.now(),
        Evidence.TrustBase.SOFTWARE_KEY, List.of(AttestFixture.app(changed)), expectedTim,
        Optional.empty());
    AttestFixture.Answer a = f.post(d.identity(),
        EvidenceSigner.of(d.identity().keyPair().getPrivate()).sign(lying));
    assertThat(a.result()).isEqualTo("FAIL");
    assertThat(a.codes()).isEqualTo("MEASUREMENT_MISMATCH");
    assertThat(f.trust("tim-copy")).isEqualTo("quarantined");
  }

  @Test
  @DisplayName("OBJ-2 a file modified on the NE between updates: detected at the next scheduled"
      + " attestation, named, the NE quarantined")
  void modifiedFile_detectedAtRuntime_namedAndQuarantined() throws Exception {
    TestDevice d = trusted("runtime-mod");
    f.due("runtime-mod");
    assertThat(f.challenge(d).reason()).isEqualTo("SCHEDULED");
    List<TreeDigest.Leaf> changed = new ArrayList<>(f.rim);
    TreeDigest.Leaf victim = changed.get(0);
    changed.set(0, new TreeDigest.Leaf(victim.path(), "ee".repeat(32), victim.mode()));
    AttestFixture.Answer a = f.answer(d, AttestFixture.app(changed));
    assertThat(a.result()).isEqualTo("FAIL");
    assertThat(a.codes()).isEqualTo("MEASUREMENT_MISMATCH");
    assertThat(a.messages()).contains("changed " + victim.path());
    assertThat(a.trustState()).isEqualTo("quarantined");
    assertThat(f.audit("QUARANTINE", "failure", "device runtime-mod")).isEqualTo(1);
  }

  @Test
  @DisplayName("OBJ-2 a challenge names the digests whose files the validation entity holds (the"
      + " signed RIM, an approved baseline): an unchanged NE answers with its components'"
      + " digests alone, and passes")
  void runtime_knownDigests_digestOnlyEvidencePasses() throws Exception {
    TestDevice d = trusted("known-pass");
    f.due("known-pass");
    org.neguard.api.device.AttestationChallenge c = f.challenge(d);
    assertThat(c.known()).as("one commitment: the package's signed RIM").hasSize(1);
    assertThat(c.isKnown(AttestFixture.PACKAGE, f.app().digest())).isTrue();
    assertThat(c.known().get(0).commitment()).as("the digest itself is not sent")
        .isNotEqualTo(f.app().digest());
    AttestFixture.Answer a = f.post(d.identity(), f.evidence(d, c.nonce(),
        Evidence.withoutFilesWhere(List.of(f.app()), c::isKnown)));
    assertThat(a.result()).as(a.json().toString()).isEqualTo("PASS");
    assertThat(a.trustState()).isEqualTo("trusted");
  }

  @Test
  @DisplayName("OBJ-2 full polls of one open challenge (no If-None-Match) read the device's"
      + " references once; the answered challenge's list is dropped and the next one reads"
      + " them again")
  void runtime_fullPolls_readTheKnownListOncePerChallenge() throws Exception {
    TestDevice d = trusted("known-once");
    io.micrometer.core.instrument.Counter computed =
        f.bean(io.micrometer.core.instrument.MeterRegistry.class).counter(Pve.KNOWN_COMPUTED);
    f.due("known-once");
    double before = computed.count();
    org.neguard.api.device.AttestationChallenge first = f.challenge(d);
    for (int i = 0; i < 20; i++) {
      org.neguard.api.device.AttestationChallenge again = f.challenge(d);
      assertThat(again.nonce()).isEqualTo(first.nonce());
      assertThat(again.known()).isEqualTo(first.known());
    }
    assertThat(computed.count() - before).as("21 full polls, one read").isEqualTo(1.0);
    AttestFixture.Answer a = f.post(d.identity(), f.evidence(d, first.nonce(),
        Evidence.withoutFilesWhere(List.of(f.app()), first::isKnown)));
    assertThat(a.result()).as(a.json().toString()).isEqualTo("PASS");
    f.due("known-once");
    org.neguard.api.device.AttestationChallenge next = f.challenge(d);
    assertThat(next.nonce()).isNotEqualTo(first.nonce());
    assertThat(next.isKnown(AttestFixture.PACKAGE, f.app().digest())).isTrue();
    assertThat(computed.count() - before).as("a new nonce, a new read").isEqualTo(2.0);
  }

  @Test
  @DisplayName("OBJ-2 an NE that reports a changed component by its digest alone (files are"
      + " left out only at the digest the challenge named) fails and is quarantined")
  void runtime_changedComponentWithoutFiles_failsAndQuarantines() throws Exception {
    TestDevice d = trusted("known-lie");
    f.due("known-lie");
    List<TreeDigest.Leaf> changed = new ArrayList<>(f.rim);
    changed.add(new TreeDigest.Leaf("bin/implant", "aa".repeat(32), 0755));
    AttestFixture.Answer a = f.answer(d, AttestFixture.app(changed).withoutFiles());
    assertThat(a.result()).isEqualTo("FAIL");
    assertThat(a.codes()).isEqualTo("MEASUREMENT_MISMATCH");
    assertThat(a.messages()).contains("by its digest alone");
    assertThat(a.trustState()).isEqualTo("quarantined");
  }

  @Test
  @DisplayName("ATT-2 a platform component without an approved baseline reported without its"
      + " files fails: no empty baseline is proposed for approval")
  void firstContact_platformWithoutFilesAndWithoutBaseline_failsNothingProposed()
      throws Exception {
    TestDevice d = f.enrollWithApp("known-nobase");
    f.scheduler.runOnce(Instant.now());
    Evidence.Component etc = AttestFixture.platform("etc", "hosts", "127.0.0.1 localhost\n");
    AttestFixture.Answer a = f.answer(d, f.app(), etc.withoutFiles());
    assertThat(a.result()).isEqualTo("FAIL");
    assertThat(a.messages()).contains("platform:etc", "without its files");
    assertThat(a.trustState()).isEqualTo("untrusted");
    assertThat(f.s.http.get("/api/baselines?state=pending&device=known-nobase",
        f.s.token(Role.OPERATOR)).json()).isEmpty();
  }

  @Test
  @DisplayName("OBJ-2 an extra file dropped into the installed tree is named")
  void extraFileDropped_isNamed() throws Exception {
    TestDevice d = trusted("runtime-extra");
    f.due("runtime-extra");
    List<TreeDigest.Leaf> more = new ArrayList<>(f.rim);
    more.add(new TreeDigest.Leaf("bin/implant", "aa".repeat(32), 0755));
    AttestFixture.Answer a = f.answer(d, AttestFixture.app(more));
    assertThat(a.result()).isEqualTo("FAIL");
    assertThat(a.messages()).contains("extra bin/implant");
  }

  @Test
  @DisplayName("ATT, OBJ-2 a challenge left unanswered expires, audited; the next one is asked")
  void unansweredChallenge_expires() throws Exception {
    TestDevice d = trusted("silent");
    f.due("silent");
    String first = f.challenge(d).nonce();
    f.scheduler.runOnce(Instant.now().plusSeconds(180));
    assertThat(f.audit("ATTESTATION", "failure", "device silent")).isEqualTo(1);
    assertThat(d.client.poll(null).poll().attestation()).isNull();
    // Late evidence over the expired nonce while a new one is open: 409, not a failure.
    JsonNode fresh = request("silent");
    AttestFixture.Answer late = f.post(d.identity(), f.evidence(d, first, List.of(f.app())));
    assertThat(late.status()).isEqualTo(409);
    assertThat(late.json().toString()).contains(fresh.path("id").asText());
    assertThat(f.trust("silent")).isEqualTo("trusted");
  }

  @Test
  @DisplayName("ATT evidence with no challenge open: 409, nothing judged")
  void evidenceWithoutAChallenge_conflict() throws Exception {
    TestDevice d = trusted("eager");
    AttestFixture.Answer a = f.post(d.identity(), f.evidence(d, "ab".repeat(32),
        List.of(f.app())));
    assertThat(a.status()).isEqualTo(409);
    assertThat(a.json().path("reasons").get(0).path("code").asText()).isEqualTo("CONFLICT");
    assertThat(f.trust("eager")).isEqualTo("trusted");
  }

  @Test
  @DisplayName("ATT-2 platform components: a baseline four-eyes approved, then the NE trusted")
  void platformBaseline_fourEyes_thenTrusted() throws Exception {
    TestDevice d = f.enrollWithApp("baseline");
    f.scheduler.runOnce(Instant.now());
    Evidence.Component etc = AttestFixture.platform("etc", "hosts", "127.0.0.1 localhost\n");
    AttestFixture.Answer a = f.answer(d, f.app(), etc);
    assertThat(a.result()).isEqualTo("PENDING_BASELINE");
    assertThat(a.trustState()).isEqualTo("unknown");
    // A baseline still pending is not known: the next challenge asks for its files again.
    f.due("baseline");
    assertThat(f.challenge(d).isKnown("platform:etc", etc.digest())).isFalse();
    JsonNode pending = f.s.http.get("/api/baselines?state=pending&device=baseline",
        f.s.token(Role.OPERATOR)).json();
    assertThat(pending).hasSize(1);
    String id = pending.get(0).path("id").asText();
    assertThat(pending.get(0).path("digest").asText()).isEqualTo(etc.digest());
    JsonNode files = f.s.http.get("/api/baselines/" + id + "/files", f.s.token(Role.APPROVER))
        .json();
    assertThat(files).hasSize(1);
    assertThat(files.get(0).path("path").asText()).isEqualTo("hosts");
    assertThat(files.get(0).path("mode").asText()).isEqualTo("0644");
    assertThat(f.s.http.post("/api/baselines/" + id + "/approve", f.s.token(Role.OPERATOR),
        Map.of()).status()).as("an operator does not approve").isEqualTo(403);
    Http.Response first = f.s.http.post("/api/baselines/" + id + "/approve",
        f.s.token(Role.APPROVER), Map.of());
    assertThat(first.json().path("state").asText()).isEqualTo("pending");
    Http.Response twice = f.s.http.post("/api/baselines/" + id + "/approve",
        f.s.token(Role.APPROVER), Map.of());
    assertThat(twice.code()).isEqualTo("FOUR_EYES");
    Http.Response second = f.s.http.post("/api/baselines/" + id + "/approve",
        f.s.token(Role.APPROVER, Role.AUDITOR), Map.of());
    assertThat(second.json().path("state").asText()).isEqualTo("approved");
    // Approved: the device is asked again at once, and now passes.
    AttestFixture.Answer again = f.answer(d, f.app(), etc);
    assertThat(again.result()).isEqualTo("PASS");
    assertThat(again.trustState()).isEqualTo("trusted");
    // Approved: the next challenge names its digest, and the unchanged NE answers without files.
    f.due("baseline");
    org.neguard.api.device.AttestationChallenge known = f.challenge(d);
    assertThat(known.isKnown("platform:etc", etc.digest())).isTrue();
    AttestFixture.Answer digestOnly = f.post(d.identity(), f.evidence(d, known.nonce(),
        Evidence.withoutFilesWhere(List.of(f.app(), etc), known::isKnown)));
    assertThat(digestOnly.result()).as(digestOnly.json().toString()).isEqualTo("PASS");
    // A changed platform file reported by its digest alone: fails, and proposes no baseline
    // (there are no files to approve).
    f.due("baseline");
    AttestFixture.Answer lying = f.answer(d, f.app(),
        AttestFixture.platform("etc", "hosts", "10.9.9.9 localhost\n").withoutFiles());
    assertThat(lying.result()).isEqualTo("FAIL");
    assertThat(lying.messages()).contains("platform:etc", "by its digest alone");
    assertThat(f.s.http.get("/api/baselines?state=pending&device=baseline",
        f.s.token(Role.OPERATOR)).json()).isEmpty();
    // A later change of the platform file fails, is named, and proposes the new baseline.
    f.due("baseline");
    AttestFixture.Answer changed = f.answer(d, f.app(),
        AttestFixture.platform("etc", "hosts", "10.6.6.6 localhost\n"));
    assertThat(changed.result()).isEqualTo("FAIL");
    assertThat(changed.messages()).contains("platform:etc", "changed hosts");
    assertThat(f.s.http.get("/api/baselines?state=pending&device=baseline",
        f.s.token(Role.OPERATOR)).json()).hasSize(1);
  }

  @Test
  @DisplayName("REC-1 the policy of an NE type: actions checked, quarantine always first,"
      + " audited")
  void policy_setAndChecked() throws Exception {
    Http.Response bad = f.s.http.send("PUT", "/api/attestation/policies/mme",
        f.s.token(Role.APPROVER), "{\"actions\":[\"reboot\"]}");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.toString()).contains("reboot");
    Http.Response byOperator = f.s.http.send("PUT", "/api/attestation/policies/mme",
        f.s.token(Role.OPERATOR), "{\"actions\":[\"rollback\"]}");
    assertThat(byOperator.status()).isEqualTo(403);
    Http.Response ok = f.s.http.send("PUT", "/api/attestation/policies/hnb",
        f.s.token(Role.APPROVER), "{\"actions\":[\"rollback\",\"reinstall=app@1.0.0\"]}");
    assertThat(ok.status()).as(ok.toString()).isEqualTo(200);
    assertThat(ok.json().path("actions").toString())
        .isEqualTo("[\"quarantine\",\"rollback\",\"reinstall=app@1.0.0\"]");
    assertThat(f.audit("ATTESTATION_POLICY", "success", "NE type hnb")).isEqualTo(1);
  }

  @Test
  @DisplayName("REC-1, REC-3 a quarantined NE stays quarantined on a pass, until readmitted by"
      + " an approver and attested again")
  void quarantined_readmittedOnlyByReadmission() throws Exception {
    TestDevice d = quarantined("readmit");
    f.due("readmit");
    assertThat(f.answer(d, f.app()).trustState()).as("a pass alone does not readmit")
        .isEqualTo("quarantined");
    assertThat(f.s.http.post("/api/devices/readmit/readmit", f.s.token(Role.OPERATOR),
        Map.of()).status()).isEqualTo(403);
    Http.Response r = f.s.http.post("/api/devices/readmit/readmit", f.s.token(Role.APPROVER),
        Map.of());
    assertThat(r.status()).as(r.toString()).isEqualTo(202);
    assertThat(f.challenge(d).reason()).isEqualTo("READMISSION");
    assertThat(f.answer(d, f.app()).trustState()).isEqualTo("trusted");
  }

  @Test
  @DisplayName("OBJ-2 a quarantined or untrusted NE, or one unknown for longer than the"
      + " untrusted interval (an hour here), is asked at that interval; a new NE and one a pass"
      + " made trusted at the interval")
  void notTrusted_askedAtTheUntrustedInterval_trustedAgainAtTheInterval() throws Exception {
    TestDevice q = quarantined("slow-q");
    TestDevice u = f.enrollWithApp("slow-u");
    f.scheduler.runOnce(Instant.now());
    f.answer(u, f.app(), new Evidence.Component("other", PlatformTim.Reference.VENDOR_SIGNED,
        f.app().digest(), f.rim));
    assertThat(f.trust("slow-u")).isEqualTo("untrusted");
    f.enrollWithApp("slow-new");
    f.enrollWithApp("slow-silent");
    try (java.sql.Connection c = f.db()) {
      c.createStatement().executeUpdate("UPDATE devices SET enrolled_at = enrolled_at"
          + " - INTERVAL '2' HOUR WHERE id = 'slow-silent'");
    }
    Instant before = Instant.now();
    for (String id : List.of("slow-q", "slow-u", "slow-new", "slow-silent")) {
      f.due(id);
    }
    for (String id : List.of("slow-q", "slow-u", "slow-silent")) {
      assertThat(Duration.between(before, f.nextAttestation(id))).as(id)
          .isBetween(Duration.ofHours(1), Duration.ofMinutes(61));
    }
    assertThat(Duration.between(before, f.nextAttestation("slow-new"))).as("enrolled now")
        .isBetween(Duration.ofMinutes(5), Duration.ofMinutes(6));
    // A scheduled pass that leaves it quarantined keeps the hour the round set.
    Instant asked = f.nextAttestation("slow-q");
    assertThat(f.answer(q, f.app()).trustState()).isEqualTo("quarantined");
    assertThat(f.nextAttestation("slow-q")).isEqualTo(asked);
    // One that made it trusted starts the interval again, as does a readmission's pass.
    Instant passed = Instant.now();
    assertThat(f.answer(u, f.app()).trustState()).isEqualTo("trusted");
    assertThat(Duration.between(passed, f.nextAttestation("slow-u")))
        .isBetween(Duration.ofMinutes(5), Duration.ofMinutes(6));
    Http.Response r = f.s.http.post("/api/devices/slow-q/readmit", f.s.token(Role.APPROVER),
        Map.of());
    assertThat(r.status()).as(r.toString()).isEqualTo(202);
    assertThat(f.challenge(q).reason()).isEqualTo("READMISSION");
    Instant readmitted = Instant.now();
    assertThat(f.answer(q, f.app()).trustState()).isEqualTo("trusted");
    assertThat(Duration.between(readmitted, f.nextAttestation("slow-q")))
        .isBetween(Duration.ofMinutes(5), Duration.ofMinutes(6));
  }

  @Test
  @DisplayName("OBJ-2 SRC-3 a scheduled re-attestation of a trusted NE that changes nothing is"
      + " in the attestations table, not the audit chain; one asked by an operator, a"
      + " quarantined NE's, and a failure are in both")
  void scheduledPass_unchanged_notAChainedAuditRow_othersAre() throws Exception {
    TestDevice d = trusted("quiet");
    String target = "device quiet";
    long first = f.audit("ATTESTATION", "success", target);
    assertThat(first).as("the first contact, which made it trusted").isEqualTo(1);
    for (int i = 0; i < 3; i++) {
      f.due("quiet");
      assertThat(f.answer(d, f.app()).result()).isEqualTo("PASS");
    }
    assertThat(f.audit("ATTESTATION", "success", target)).as("three routine passes")
        .isEqualTo(first);
    JsonNode list = f.s.http.get("/api/attestations?device=quiet", f.s.token(Role.AUDITOR))
        .json();
    assertThat(list).hasSize(4);
    assertThat(list.get(0).path("reason").asText()).isEqualTo("SCHEDULED");
    assertThat(list.get(0).path("result").asText()).isEqualTo("PASS");

    request("quiet");
    assertThat(f.answer(d, f.app()).result()).isEqualTo("PASS");
    assertThat(f.audit("ATTESTATION", "success", target)).as("asked by an operator")
        .isEqualTo(first + 1);

    f.due("quiet");
    f.answer(d, changedApp());
    assertThat(f.audit("ATTESTATION", "failure", target)).isEqualTo(1);
    f.due("quiet");
    assertThat(f.answer(d, f.app()).trustState()).isEqualTo("quarantined");
    assertThat(f.audit("ATTESTATION", "success", target)).as("a quarantined NE's pass")
        .isEqualTo(first + 2);
    // The scheduled passes the chain names stay in the table for good (V25), the routine ones
    // may leave it (AttestationHistory).
    List<Boolean> kept = new ArrayList<>();
    try (java.sql.Connection c = f.db(); java.sql.ResultSet rs = c.createStatement()
        .executeQuery("SELECT k.id IS NOT NULL FROM attestations a LEFT JOIN"
            + " attestations_kept k ON k.id = a.id WHERE a.device_id = 'quiet' AND a.reason ="
            + " 'SCHEDULED' AND a.result = 'PASS' ORDER BY a.requested_at")) {
      while (rs.next()) {
        kept.add(rs.getBoolean(1));
      }
    }
    assertThat(kept).containsExactly(false, false, false, true);
  }

  @Test
  @DisplayName("ATT attestations are listed per device, newest first, for auditors")
  void history_listsAttestations() throws Exception {
    trusted("hist");
    JsonNode list = f.s.http.get("/api/attestations?device=hist", f.s.token(Role.AUDITOR))
        .json();
    assertThat(list).hasSize(1);
    assertThat(list.get(0).path("result").asText()).isEqualTo("PASS");
    String id = list.get(0).path("id").asText();
    assertThat(f.s.http.get("/api/attestations/" + id, f.s.token(Role.AUDITOR)).json()
        .path("deviceId").asText()).isEqualTo("hist");
    assertThat(f.s.http.get("/api/attestations?limit=0", f.s.token(Role.AUDITOR)).status())
        .isEqualTo(400);
  }

  @Test
  @DisplayName("ATT-2 an NE that passed with nothing to measure is updated from an empty"
      + " reference; one never attested has none")
  void expectedAfter_emptyReferenceOfAnAttestedNe_isTheRimAlone() throws Exception {
    TestDevice d = TestDevice.enroll(f.s, "empty-ne", "mme");
    Pve pve = f.bean(Pve.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> pve.expectedAfter("empty-ne",
        AttestFixture.PACKAGE, AttestFixture.VERSION, false))
        .hasMessageContaining("never passed");
    f.scheduler.runOnce(Instant.now());
    assertThat(f.answer(d).result()).isEqualTo("PASS");
    org.neguard.attest.Expectation e = pve.expectedAfter("empty-ne", AttestFixture.PACKAGE,
        AttestFixture.VERSION, false);
    assertThat(e.components()).extracting(Evidence.Component::name)
        .containsExactly(AttestFixture.PACKAGE);
    assertThat(e.tim()).isEqualTo(PlatformTim.of(List.of(new PlatformTim.Component(
        AttestFixture.PACKAGE, f.app().digest(), PlatformTim.Reference.VENDOR_SIGNED))));
  }

  @Test
  @DisplayName("OBJ-2 a trusted NE that stops answering (an intruder stopped its agent) is"
      + " quarantined after three challenges in a row expire, not before")
  void silentNe_quarantinedAfterThreeUnansweredChallenges() throws Exception {
    trusted("mute");
    for (int i = 1; i <= Pve.SILENCE; i++) {
      assertThat(f.trust("mute")).as("after %d unanswered", i - 1).isEqualTo("trusted");
      f.due("mute");
      f.scheduler.runOnce(Instant.now().plusSeconds(180));
    }
    assertThat(f.trust("mute")).isEqualTo("quarantined");
    assertThat(f.audit("QUARANTINE", "failure", "device mute")).isEqualTo(1);
  }

  @Test
  @DisplayName("REC-3 a fleet's common platform baseline approved once per approver, on every"
      + " NE that proposed it; each NE then trusted")
  void baselineOfAFleet_approvedByDigest() throws Exception {
    Evidence.Component etc = AttestFixture.platform("fleet-etc", "resolv.conf", "nameserver\n");
    List<TestDevice> ne = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ne.add(f.enrollWithApp("fleet-" + i));
    }
    f.scheduler.runOnce(Instant.now());
    for (TestDevice d : ne) {
      assertThat(f.answer(d, f.app(), etc).result()).isEqualTo("PENDING_BASELINE");
    }
    String query = "/api/baselines/approve?component=platform:fleet-etc&digest=" + etc.digest();
    assertThat(f.s.http.post(query.replace(etc.digest(), "00".repeat(32)),
        f.s.token(Role.APPROVER), Map.of()).status()).isEqualTo(404);
    JsonNode first = f.s.http.post(query, f.s.token(Role.APPROVER), Map.of()).json();
    assertThat(first).hasSize(3);
    first.forEach(b -> assertThat(b.path("state").asText()).isEqualTo("pending"));
    JsonNode again = f.s.http.post(query, f.s.token(Role.APPROVER), Map.of()).json();
    again.forEach(b -> assertThat(b.path("approvers")).hasSize(1));
    JsonNode second = f.s.http.post(query, f.s.token(Role.APPROVER, Role.AUDITOR), Map.of())
        .json();
    second.forEach(b -> assertThat(b.path("state").asText()).isEqualTo("approved"));
    for (TestDevice d : ne) {
      assertThat(f.answer(d, f.app(), etc).trustState()).isEqualTo("trusted");
    }
  }

  /** The device's committed reference as stored: component to reference, digest, attestation. */
  private static Map<String, List<String>> committedRows(String deviceId) throws Exception {
    Map<String, List<String>> rows = new java.util.TreeMap<>();
    try (java.sql.Connection c = f.db(); java.sql.PreparedStatement st = c.prepareStatement(
        "SELECT component, reference, digest, attestation_id FROM device_references"
            + " WHERE device_id = ?")) {
      st.setString(1, deviceId);
      try (java.sql.ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          rows.put(rs.getString(1), List.of(rs.getString(2), rs.getString(3), rs.getString(4)));
        }
      }
    }
    return rows;
  }

  @Test
  @DisplayName("ATT-4 a pass that measures what the last one did leaves the committed reference"
      + " as it is: its rows name the attestation that committed them")
  void runtimePass_sameMeasurement_committedReferenceNotRewritten() throws Exception {
    TestDevice d = trusted("ref-same");
    Map<String, List<String>> first = committedRows("ref-same");
    assertThat(first).containsOnlyKeys(AttestFixture.PACKAGE);
    f.due("ref-same");
    AttestFixture.Answer again = f.answer(d, f.app());
    assertThat(again.result()).isEqualTo("PASS");
    assertThat(again.json().path("id").asText())
        .isNotEqualTo(first.get(AttestFixture.PACKAGE).get(2));
    assertThat(committedRows("ref-same")).isEqualTo(first);
  }

  @Test
  @DisplayName("ATT-4 committing a reference writes what changed: a changed component and a new"
      + " one name the attestation, a component no longer measured is gone, the rest is kept")
  void commit_changedNewAndGoneComponents_onlyThoseWritten() throws Exception {
    TestDevice.enroll(f.s, "ref-rows", "mme");
    References refs = f.bean(References.class);
    Evidence.Component app = f.app();
    Evidence.Component etc = AttestFixture.platform("etc", "hosts", "127.0.0.1 localhost\n");
    Evidence.Component var = AttestFixture.platform("var", "motd", "hello\n");
    refs.commit("ref-rows", List.of(app, etc, var), "at-1");
    Evidence.Component etc2 = AttestFixture.platform("etc", "hosts", "10.0.0.1 localhost\n");
    Evidence.Component opt = AttestFixture.platform("opt", "tool", "v2\n");
    refs.commit("ref-rows", List.of(app, etc2, opt), "at-2");

    assertThat(committedRows("ref-rows")).containsExactlyEntriesOf(new java.util.TreeMap<>(
        Map.of(AttestFixture.PACKAGE, List.of("VENDOR_SIGNED", app.digest(), "at-1"),
            "platform:etc", List.of("OPERATOR_BASELINE", etc2.digest(), "at-2"),
            "platform:opt", List.of("OPERATOR_BASELINE", opt.digest(), "at-2"))));
    assertThat(refs.committed("ref-rows")).extracting(References.Committed::digest)
        .containsExactly(app.digest(), etc2.digest(), opt.digest());
  }

  @Test
  @DisplayName("OBJ-2 a scheduled round asks a device that still has a challenge open no second"
      + " one, and still sets its next time")
  void scheduledRound_challengeStillOpen_notAskedTwice_nextTimeSet() throws Exception {
    TestDevice d = trusted("busy");
    f.due("busy");
    String open = f.challenge(d).nonce();
    f.due("busy");
    assertThat(f.challenge(d).nonce()).isEqualTo(open);
    try (java.sql.Connection c = f.db(); java.sql.PreparedStatement st = c.prepareStatement(
        "SELECT (SELECT COUNT(*) FROM attestations WHERE device_id = ? AND judged_at IS NULL),"
            + " (SELECT next_attestation_at FROM devices WHERE id = ?)")) {
      st.setString(1, "busy");
      st.setString(2, "busy");
      try (java.sql.ResultSet rs = st.executeQuery()) {
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(1);
        assertThat(rs.getObject(2, java.time.OffsetDateTime.class).toInstant())
            .isAfter(Instant.now());
      }
    }
    assertThat(f.answer(d, f.app()).result()).isEqualTo("PASS");
  }

  /** The device's next_attestation_at, null when it has none. */
  private static Instant nextAttestation(String device) throws Exception {
    try (java.sql.Connection c = f.db(); java.sql.PreparedStatement st = c.prepareStatement(
        "SELECT next_attestation_at FROM devices WHERE id = ?")) {
      st.setString(1, device);
      try (java.sql.ResultSet rs = st.executeQuery()) {
        assertThat(rs.next()).as("device %s", device).isTrue();
        java.time.OffsetDateTime next = rs.getObject(1, java.time.OffsetDateTime.class);
        return next == null ? null : next.toInstant();
      }
    }
  }

  @Test
  @DisplayName("OBJ-2 a pass asked for outside the schedule (an operator's request) starts the"
      + " interval again: the next round does not ask the NE moments after")
  void requestedPass_startsTheIntervalAgain_roundDoesNotAskAtOnce() throws Exception {
    TestDevice d = trusted("asked-first");
    try (java.sql.Connection c = f.db(); java.sql.PreparedStatement st = c.prepareStatement(
        "UPDATE devices SET next_attestation_at = ? WHERE id = ?")) {
      st.setObject(1, java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).minusSeconds(1));
      st.setString(2, "asked-first");
      st.executeUpdate();
    }
    request("asked-first");
    assertThat(f.challenge(d).reason()).isEqualTo("REQUESTED");
    Instant passed = Instant.now();
    assertThat(f.answer(d, f.app()).result()).isEqualTo("PASS");
    assertThat(nextAttestation("asked-first")).as("one interval (5 min) after the pass")
        .isAfter(passed.plus(java.time.Duration.ofMinutes(4)));
    f.scheduler.runOnce(Instant.now());
    try (java.sql.Connection c = f.db(); java.sql.PreparedStatement st = c.prepareStatement(
        "SELECT COUNT(*) FROM attestations WHERE device_id = ? AND judged_at IS NULL")) {
      st.setString(1, "asked-first");
      try (java.sql.ResultSet rs = st.executeQuery()) {
        rs.next();
        assertThat(rs.getLong(1)).as("no challenge right after the pass").isZero();
      }
    }
  }

  @Test
  @DisplayName("OBJ-2 a pass asked for outside the schedule, judged after its device was"
      + " disabled, gives the device no next attestation: a disabled device has none")
  void requestedPass_afterDisable_leavesNoNextAttestation() throws Exception {
    TestDevice d = trusted("pass-disabled");
    request("pass-disabled");
    org.neguard.api.device.AttestationChallenge c = f.challenge(d);
    assertThat(c.reason()).isEqualTo("REQUESTED");
    String evidence = f.evidence(d, c.nonce(), List.of(f.app()));
    Http.Response r = f.s.http.post("/api/devices/pass-disabled/disable", f.s.adminToken(),
        Map.of("reason", "stolen"));
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(nextAttestation("pass-disabled")).as("cleared by the disable").isNull();
    // Straight to the validation entity: the device's connection is refused from the disable
    // on, so only evidence admitted just before the disable committed, and judged after it,
    // reaches the pass's update with the row already disabled.
    org.neguard.api.attest.AttestationResult a = f.bean(Pve.class).submit("pass-disabled",
        d.identity().keyPair().getPublic(), evidence);
    assertThat(a.result()).as("a pass, so its update of the next time ran").isEqualTo("PASS");
    assertThat(a.trustState()).isEqualTo("disabled");
    assertThat(nextAttestation("pass-disabled")).as("no next time for a disabled device")
        .isNull();
  }

  @Test
  @DisplayName("OBJ-2 a round passes over a device whose row another transaction holds (its own"
      + " request, a replica's batch) and asks every other due device, over several batches;"
      + " the held one is asked at the next round; a round expires every challenge past its"
      + " expiry, however many batches")
  void round_lockedRowPassedOver_othersAsked_allExpiriesJudged() throws Exception {
    int n = AttestationScheduler.BATCH * 2 + 100;
    java.time.OffsetDateTime now = java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC);
    try (java.sql.Connection c = f.db(); java.sql.PreparedStatement st = c.prepareStatement(
        "INSERT INTO devices (id, ne_type, trust_state, enrolled_at, enrollment_token,"
            + " cert_serial, cert_not_after, next_attestation_at) VALUES (?, 'mme', 'trusted',"
            + " ?, 'test', ?, ?, ?)")) {
      for (int i = 0; i < n; i++) {
        st.setString(1, String.format("held-%04d", i));
        st.setObject(2, now.minusDays(1));
        st.setString(3, "serial-held-" + i);
        st.setObject(4, now.plusDays(300));
        // Due long before any other test's devices: this round's first batches are these.
        st.setObject(5, now.minusDays(1).plusSeconds(i));
        st.addBatch();
      }
      st.executeBatch();
    }
    try {
      String locked = String.format("held-%04d", 10);
      int asked;
      try (java.sql.Connection hold = f.db()) {
        TestDb.holdLocks(hold, "SELECT id FROM devices WHERE id = ? FOR UPDATE", locked);
        asked = f.scheduler.runOnce(Instant.now());
        hold.rollback();
      }
      // A round that stopped at the short first batch (the defect a review found) asked 499.
      assertThat(asked).as("every due device but the held one").isGreaterThanOrEqualTo(n - 1);
      assertThat(openScheduled("held-%")).as("asked once each").isEqualTo(n - 1);
      assertThat(openScheduled(locked)).isZero();
      f.scheduler.runOnce(Instant.now());
      assertThat(openScheduled(locked)).as("asked at the next round").isEqualTo(1);
      assertThat(openScheduled("held-%")).isEqualTo(n);
      // Past their expiry: one round judges them all, though they are more than two batches.
      f.scheduler.runOnce(Instant.now().plusSeconds(180));
      assertThat(openScheduled("held-%")).as("none left open").isZero();
      try (java.sql.Connection c = f.db(); java.sql.PreparedStatement st = c.prepareStatement(
          "SELECT COUNT(*) FROM attestations WHERE device_id LIKE 'held-%' AND result ="
              + " 'EXPIRED'")) {
        try (java.sql.ResultSet rs = st.executeQuery()) {
          rs.next();
          assertThat(rs.getLong(1)).as("each expired, judged so").isEqualTo(n);
        }
      }
    } finally {
      // Out of the other tests' rounds (the fixture's server is shared), pass or fail.
      try (java.sql.Connection c = f.db(); java.sql.Statement st = c.createStatement()) {
        st.executeUpdate("UPDATE devices SET disabled_at = CURRENT_TIMESTAMP, disabled_by ="
            + " 'test', trust_state = 'disabled', next_attestation_at = NULL WHERE id LIKE"
            + " 'held-%'");
      }
    }
  }

  /** The open SCHEDULED challenges of the devices whose id is LIKE {@code pattern}. */
  private static long openScheduled(String pattern) throws Exception {
    try (java.sql.Connection c = f.db(); java.sql.PreparedStatement st = c.prepareStatement(
        "SELECT COUNT(*) FROM attestations WHERE device_id LIKE ? AND judged_at IS NULL AND"
            + " reason = 'SCHEDULED'")) {
      st.setString(1, pattern);
      try (java.sql.ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
