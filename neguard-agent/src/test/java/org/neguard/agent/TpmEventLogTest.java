package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.attest.EventLog;
import org.neguard.attest.Evidence;
import org.neguard.attest.EvidenceSigner;
import org.neguard.attest.EvidenceVerifier;
import org.neguard.attest.TpmBinding;
import org.neguard.attest.TpmPublic;
import org.neguard.attest.TpmQuote;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;
import org.neguard.testing.SoftwareTpm;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * ATT-4 OBJ-2 (issue 15): the event log of extends into the non-resettable PCR 14 against a
 * real software TPM (swtpm, started here; missing, the test fails), the agent's {@link
 * TpmQuoter} and {@link TpmEventLog} on one side, the validation entity's {@link
 * EvidenceVerifier} on the other. Each attack keeps the evidence consistent with itself (the
 * components are the altered log's latest), so only the check under test can catch it. The TPM
 * is reset before each test, as a reboot does.
 */
class TpmEventLogTest {
  static final int PCR = 14;
  static Path dir;
  static SoftwareTpm tpm;
  static Path state;
  static TpmPublic ak;
  static KeyPair device;
  static Evidence.Component core;
  static Evidence.Component etc;
  static Evidence.Component core2;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("neguard-tpm-eventlog-test-");
    tpm = SoftwareTpm.start(dir.resolve("swtpm"));
    state = dir.resolve("state");
    ak = TpmPublic.attestationKey(TpmQuoterTest.bind(TpmEnrollment.of(tpm.tcti(), state), state)
        .akPublic());
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    device = g.generateKeyPair();
    core = TpmQuoterTest.component("core", PlatformTim.Reference.VENDOR_SIGNED, "bin/mme", 'a');
    core2 = TpmQuoterTest.component("core", PlatformTim.Reference.VENDOR_SIGNED, "bin/mme",
        'c');
    etc = TpmQuoterTest.component("platform:etc", PlatformTim.Reference.OPERATOR_BASELINE,
        "agent.properties", 'b');
  }

  @AfterAll
  static void stop() throws Exception {
    if (tpm != null) {
      tpm.close();
    }
    org.neguard.io.FileTrees.deleteTree(dir);
  }

  /** A reboot before each test: PCR 14 from zero, so no test sees another's extends. */
  @BeforeEach
  void reboot() throws Exception {
    tpm.reset();
  }

  static TpmQuoter quoter() throws Exception {
    return TpmQuoter.of(tpm.tcti(), state);
  }

  static byte[] nonce() {
    byte[] n = new byte[32];
    new SecureRandom().nextBytes(n);
    return n;
  }

  static List<PlatformTim.Component> chain(Evidence.Component... cs) {
    return java.util.Arrays.stream(cs).map(Evidence.Component::chained).toList();
  }

  /** The evidence the validation entity verifies: {@code reported} with {@code q}. */
  static Evidence verify(byte[] nonce, List<Evidence.Component> reported, Evidence.Quote q)
      throws RefusalException {
    String jws = EvidenceSigner.of(device.getPrivate()).sign(Evidence.of("ne-1", nonce,
        Instant.now(), reported, Optional.of(q)));
    return EvidenceVerifier.verify(jws, device.getPublic(), "ne-1", nonce,
        Optional.of(new TpmBinding(ak.key(), PCR)));
  }

  static RefusalException refusal(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    Throwable t = catchThrowable(call);
    assertThat(t).isInstanceOf(RefusalException.class);
    return (RefusalException) t;
  }

  /** {@code q} with {@code log} in place of its own event log. */
  static Evidence.Quote withLog(Evidence.Quote q, EventLog log) {
    return new Evidence.Quote(q.pcr(), q.attest(), q.signature(), log.bytes());
  }

  /** {@code events} numbered 0, 1, 2, ... as an attacker rewriting the log would. */
  static EventLog renumbered(EventLog of, List<EventLog.Event> events) {
    List<EventLog.Event> out = new ArrayList<>();
    for (EventLog.Event e : events) {
      out.add(new EventLog.Event(out.size(), e.kind(), e.name(), e.digest()));
    }
    return new EventLog(of.pcr(), of.resetCount(), of.restartCount(), out);
  }

  /** The components the evidence reports for {@code log}: its latest, with their files. */
  static List<Evidence.Component> reported(EventLog log) {
    List<Evidence.Component> out = new ArrayList<>();
    for (PlatformTim.Component c : log.latest()) {
      for (Evidence.Component known : List.of(core, core2, etc)) {
        if (known.chained().equals(c)) {
          out.add(known);
        }
      }
    }
    return out;
  }

  /**
   * Evidence of {@code q} with {@code altered} for its log, consistent with it (its components
   * the altered log's latest), is refused because the log does not replay to the quote.
   */
  static void assertDoesNotReplay(byte[] n, Evidence.Quote q, EventLog altered) {
    RefusalException r = refusal(() -> verify(n, reported(altered), withLog(q, altered)));
    assertThat(r.code()).isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
    assertThat(r.getMessage()).contains("does not replay to the quoted PCR 14");
  }

  /** A history with three events: core, etc, then core changed. */
  static Evidence.Quote history(byte[] n) throws Exception {
    TpmQuoter q = quoter();
    q.quote(nonce(), chain(core, etc));
    return q.quote(n, chain(core2, etc));
  }

  @Test
  @DisplayName("ATT-4 OBJ-2 the log replays from zero to the quoted PCR 14; the TIM is the"
      + " chain of the latest event per component; an unchanged component is not extended"
      + " again")
  void verify_logReplaysToQuote_passes() throws Exception {
    byte[] n = nonce();
    Evidence.Quote q = history(n);
    Evidence e = verify(n, List.of(core2, etc), q);
    assertThat(e.trustBase()).isEqualTo(Evidence.TrustBase.TPM);
    EventLog log = EventLog.parse(q.eventLog());
    assertThat(log.pcr()).isEqualTo(PCR);
    assertThat(log.events()).extracting(EventLog.Event::name)
        .containsExactly("core", "platform:etc", "core");
    assertThat(tpm.ok("tpm2_pcrread", "sha256:14").toLowerCase())
        .contains(HexFormat.of().formatHex(log.replay()));
    byte[] again = nonce();
    Evidence.Quote same = quoter().quote(again, chain(core2, etc));
    assertThat(EventLog.parse(same.eventLog()).events()).hasSize(3);
    verify(again, List.of(core2, etc), same);
  }

  @Test
  @DisplayName("ATT-4 a tampered log entry (core's first digest replaced) is refused"
      + " MEASUREMENT_MISMATCH: it does not replay to the quoted PCR")
  void verify_tamperedLogEntry_failsWithMeasurementMismatch() throws Exception {
    byte[] n = nonce();
    Evidence.Quote q = history(n);
    EventLog log = EventLog.parse(q.eventLog());
    List<EventLog.Event> ev = new ArrayList<>(log.events());
    ev.set(2, new EventLog.Event(2, EventLog.Kind.VENDOR_SIGNED, "core", core.digest()));
    EventLog tampered = renumbered(log, ev);
    assertDoesNotReplay(n, q, tampered);
  }

  @Test
  @DisplayName("ATT-4 a log with an entry dropped (the changed core's, renumbered) is refused"
      + " MEASUREMENT_MISMATCH; dropped without renumbering, its sequence says so")
  void verify_droppedLogEntry_failsWithMeasurementMismatch() throws Exception {
    byte[] n = nonce();
    Evidence.Quote q = history(n);
    EventLog log = EventLog.parse(q.eventLog());
    EventLog dropped = renumbered(log, log.events().subList(0, 2));
    assertDoesNotReplay(n, q, dropped);
    // The first entry dropped, the others keeping their numbers.
    byte[] bytes = log.bytes();
    int first = 4 + 2 + "core".length() + 32;
    byte[] gap = new byte[bytes.length - first];
    System.arraycopy(bytes, 0, gap, 0, 16);
    System.arraycopy(bytes, 16 + first, gap, 16, bytes.length - 16 - first);
    RefusalException s = refusal(() -> EventLog.parse(gap));
    assertThat(s.code()).isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
    assertThat(s.getMessage()).contains("dropped or reordered");
  }

  @Test
  @DisplayName("ATT-4 a reordered log (the two core events swapped, renumbered: the same"
      + " components, another order) is refused MEASUREMENT_MISMATCH")
  void verify_reorderedLog_failsWithMeasurementMismatch() throws Exception {
    byte[] n = nonce();
    Evidence.Quote q = history(n);
    EventLog log = EventLog.parse(q.eventLog());
    List<EventLog.Event> ev = new ArrayList<>(log.events());
    Collections.swap(ev, 0, 2); // core2 first, then etc, then core: latest core is the old one
    EventLog reordered = renumbered(log, ev);
    assertDoesNotReplay(n, q, reordered);
  }

  @Test
  @DisplayName("ATT-4 an event appended to the log without being extended (the NE claims core"
      + " went back to the good digest) is refused MEASUREMENT_MISMATCH")
  void verify_eventAppendedWithoutExtension_failsWithMeasurementMismatch() throws Exception {
    byte[] n = nonce();
    Evidence.Quote q = history(n);
    EventLog log = EventLog.parse(q.eventLog());
    assertDoesNotReplay(n, q, log.append(EventLog.Event.of(3, core.chained())));
  }

  @Test
  @DisplayName("ATT-4 OBJ-2 PCR 14 extended outside the log: a quote of it with the agent's"
      + " log is refused MEASUREMENT_MISMATCH, and the agent itself refuses to quote, telling"
      + " the operator to reboot or re-enroll")
  void verify_extendOutsideTheLog_failsWithMeasurementMismatch() throws Exception {
    TpmQuoter quoter = quoter();
    Evidence.Quote before = quoter.quote(nonce(), chain(core, etc));
    tpm.ok("tpm2_pcrextend", "14:sha256=" + "ee".repeat(32));
    byte[] n = nonce();
    TpmTools tools = new TpmTools(tpm.tcti(), state.resolve("tpm"));
    tools.run("tpm2_quote", "-c", "ak.tr", "-l", "sha256:14", "-q", HexFormat.of()
        .formatHex(n), "-m", "x.msg", "-s", "x.sig", "-f", "plain", "-g", "sha256");
    Evidence.Quote q = new Evidence.Quote(PCR, Files.readAllBytes(state.resolve("tpm/x.msg")),
        Files.readAllBytes(state.resolve("tpm/x.sig")), before.eventLog());
    RefusalException r = refusal(() -> verify(n, List.of(core, etc), q));
    assertThat(r.code()).isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
    assertThat(r.getMessage()).contains("extended outside the log");
    RefusalException agent = refusal(() -> quoter.quote(nonce(), chain(core, etc)));
    assertThat(agent.code()).isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
    assertThat(agent.getMessage()).contains("reboot the NE").contains("re-enroll");
  }

  @Test
  @DisplayName("ATT-4 a TPM reset (a reboot: resetCount up, PCR 14 at zero) starts a new log"
      + " that verifies; the old boot's log under the new quote is refused as of another boot")
  void quote_afterTpmReset_newLogVerifies() throws Exception {
    TpmQuoter quoter = quoter();
    Evidence.Quote old = quoter.quote(nonce(), chain(core, etc));
    EventLog oldLog = EventLog.parse(old.eventLog());
    tpm.reset();
    byte[] n = nonce();
    Evidence.Quote q = quoter.quote(n, chain(core, etc));
    EventLog log = EventLog.parse(q.eventLog());
    assertThat(log.resetCount()).isEqualTo(oldLog.resetCount() + 1);
    assertThat(Integer.toUnsignedLong(TpmQuote.parse(q.attest()).resetCount()))
        .isEqualTo(log.resetCount());
    assertThat(log.events()).hasSize(2);
    verify(n, List.of(core, etc), q);
    // The same events under the previous boot's header: it replays, but is of another boot.
    EventLog stale = new EventLog(PCR, oldLog.resetCount(), oldLog.restartCount(),
        log.events());
    RefusalException r = refusal(() -> verify(n, List.of(core, etc), withLog(q, stale)));
    assertThat(r.code()).isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
    assertThat(r.getMessage()).contains("another boot");
  }

  @Test
  @DisplayName("ATT-4 an agent restarted (a new quoter on the same state directory) keeps its"
      + " log and keeps attesting, extending nothing again")
  void quote_afterAgentRestart_keepsItsLog() throws Exception {
    quoter().quote(nonce(), chain(core, etc));
    String pcrBefore = tpm.ok("tpm2_pcrread", "sha256:14");
    byte[] n = nonce();
    Evidence.Quote q = quoter().quote(n, chain(core, etc));
    assertThat(EventLog.parse(q.eventLog()).events()).hasSize(2);
    assertThat(tpm.ok("tpm2_pcrread", "sha256:14")).isEqualTo(pcrBefore);
    verify(n, List.of(core, etc), q);
  }

  @Test
  @DisplayName("ATT-4 an agent that lost its log while the TPM kept PCR 14 cannot attest: it"
      + " refuses with what to do (reboot or re-enroll); after the reboot it attests again")
  void quote_logLostPcrKept_refusedUntilReboot() throws Exception {
    quoter().quote(nonce(), chain(core, etc));
    Files.delete(state.resolve("tpm/" + TpmEventLog.FILE));
    RefusalException r = refusal(() -> quoter().quote(nonce(), chain(core, etc)));
    assertThat(r.code()).isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
    assertThat(r.getMessage()).contains("reboot the NE").contains("re-enroll");
    tpm.reset();
    byte[] n = nonce();
    verify(n, List.of(core, etc), quoter().quote(n, chain(core, etc)));
  }

  @Test
  @DisplayName("ATT-4 an agent stopped between logging an event and extending it completes the"
      + " extend at its next quote, which verifies")
  void quote_afterInterruptedExtend_completesIt() throws Exception {
    quoter().quote(nonce(), chain(core, etc));
    // What a crash after the append, before the extend, leaves.
    new TpmEventLog(new TpmTools(tpm.tcti(), state.resolve("tpm")), null)
        .append(EventLog.Event.of(2, core2.chained()));
    byte[] n = nonce();
    Evidence.Quote q = quoter().quote(n, chain(core2, etc));
    assertThat(EventLog.parse(q.eventLog()).events()).hasSize(3);
    verify(n, List.of(core2, etc), q);
  }

  /**
   * Fills this boot's log to {@code size} events of "core" (the last core's digest), extending
   * PCR 14 with each in one tpm2_pcrextend, as that many quotes of a changing core would.
   */
  static void fillLog(int size) throws Exception {
    quoter().quote(nonce(), chain(core));
    Path file = state.resolve("tpm/" + TpmEventLog.FILE);
    EventLog log = EventLog.parse(Files.readAllBytes(file));
    List<String> extendArgs = new ArrayList<>(List.of("tpm2_pcrextend"));
    for (int i = log.events().size(); i < size; i++) {
      EventLog.Event e = new EventLog.Event(i, EventLog.Kind.VENDOR_SIGNED, "core",
          i == size - 1 ? core.digest() : String.format("%064x", i));
      log = log.append(e);
      extendArgs.add(PCR + ":sha256=" + HexFormat.of().formatHex(e.extended()));
    }
    Files.write(file, log.bytes());
    tpm.ok(extendArgs.toArray(String[]::new));
  }

  /**
   * A quote on a log without room for its events is refused SIZE_LIMIT; nothing was logged or
   * extended.
   */
  static void assertNoRoom(List<PlatformTim.Component> chain) throws Exception {
    Path file = state.resolve("tpm/" + TpmEventLog.FILE);
    byte[] logBefore = Files.readAllBytes(file);
    String pcrBefore = tpm.ok("tpm2_pcrread", "sha256:14");
    RefusalException r = refusal(() -> quoter().quote(nonce(), chain));
    assertThat(r.code()).isEqualTo(ReasonCode.SIZE_LIMIT);
    assertThat(r.getMessage()).contains("at most 4096").contains("Nothing was logged or"
        + " extended").contains("reboot the NE");
    assertThat(Files.readAllBytes(file)).isEqualTo(logBefore);
    assertThat(tpm.ok("tpm2_pcrread", "sha256:14")).isEqualTo(pcrBefore);
  }

  @Test
  @DisplayName("ATT-4 a quote whose events do not all fit the log's 4,096 is refused SIZE_LIMIT"
      + " before anything is logged or extended (log and PCR 14 unchanged), saying reboot; one"
      + " that fits exactly, or extends nothing, still verifies; after the reboot a new log")
  void quote_logWithoutRoomForItsEvents_refusedSizeLimitBeforeAnyExtend() throws Exception {
    fillLog(EventLog.MAX_EVENTS - 1);
    // Two events (core changed, etc new) for one place: not even the first is extended.
    assertNoRoom(chain(core2, etc));
    byte[] n = nonce();
    Evidence.Quote full = quoter().quote(n, chain(core, etc)); // etc: the 4,096th event
    assertThat(EventLog.parse(full.eventLog()).events()).hasSize(EventLog.MAX_EVENTS);
    verify(n, List.of(core, etc), full);
    assertNoRoom(chain(core2, etc));
    byte[] unchanged = nonce();
    verify(unchanged, List.of(core, etc), quoter().quote(unchanged, chain(core, etc)));
    tpm.reset();
    byte[] rebooted = nonce();
    Evidence.Quote fresh = quoter().quote(rebooted, chain(core2, etc));
    assertThat(EventLog.parse(fresh.eventLog()).events()).hasSize(2);
    verify(rebooted, List.of(core2, etc), fresh);
  }

  @Test
  @DisplayName("ATT-4 an oversized log is refused SIZE_LIMIT on its declared length, before it"
      + " is decoded; more than 4,096 events SIZE_LIMIT before the next is read")
  void verify_oversizedLog_failsWithSizeLimit() throws Exception {
    byte[] n = nonce();
    Evidence.Quote q = quoter().quote(n, chain(core, etc));
    Evidence.Quote huge = new Evidence.Quote(PCR, q.attest(), q.signature(),
        new byte[EventLog.MAX_BYTES + 3]);
    assertThat(refusal(() -> verify(n, List.of(core, etc), huge)).code())
        .isEqualTo(ReasonCode.SIZE_LIMIT);
    ByteBuffer many = ByteBuffer.allocate(16 + (EventLog.MAX_EVENTS + 1) * (4 + 2 + 1 + 32));
    many.put(EventLog.start(PCR, 0, 0).header());
    for (int i = 0; i <= EventLog.MAX_EVENTS; i++) {
      many.putInt(i).put((byte) 1).put((byte) 1).put((byte) 'a').put(new byte[32]);
    }
    assertThat(refusal(() -> EventLog.parse(many.array())).code())
        .isEqualTo(ReasonCode.SIZE_LIMIT);
    assertThat(Base64.getEncoder().encodeToString(huge.eventLog()).length())
        .isGreaterThan(EventLog.MAX_BYTES);
  }
}
