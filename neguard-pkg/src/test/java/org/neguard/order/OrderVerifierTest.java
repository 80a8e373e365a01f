package org.neguard.order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.neguard.order.Orders.DEVICE;
import static org.neguard.order.Orders.HEADER;
import static org.neguard.order.Orders.KID;
import static org.neguard.order.Orders.NOW;
import static org.neguard.order.Orders.b64;
import static org.neguard.order.Orders.es256;
import static org.neguard.order.Orders.order;
import static org.neguard.order.Orders.payloadJson;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Signed deployment orders (issue 12, SRC-1, SRC-2): what the agent accepts and each attack it
 * refuses. Attacks are signed with the trusted key wherever the attack allows, so that the only
 * check left to catch them is the one under test.
 */
@DisplayName("SRC-1, SRC-2 signed deployment orders: round trip and every refusal")
class OrderVerifierTest {
  private static final KeyPair KEY = Orders.ecKey("secp256r1");
  private static final OrderSigner SIGNER = OrderSigner.of(KEY.getPrivate(), KID);

  private static OrderVerifier verifierAt(Instant now) {
    return OrderVerifier.of(Map.of(KID, KEY.getPublic()), Clock.fixed(now, ZoneOffset.UTC), DEVICE);
  }

  private static final OrderVerifier VERIFIER = verifierAt(NOW);

  private static void assertRefused(String jws, ReasonCode code) {
    assertRefused(VERIFIER, jws, code);
  }

  private static void assertRefused(OrderVerifier verifier, String jws, ReasonCode code) {
    assertThatThrownBy(() -> verifier.verify(jws))
        .isInstanceOfSatisfying(RefusalException.class, e -> assertThat(e.code()).isEqualTo(code));
  }

  /** {@code header} over a valid payload, signed with the trusted key. */
  private static void assertHeaderRefused(String header, ReasonCode code) {
    assertRefused(es256(header, payloadJson(), KEY.getPrivate()), code);
  }

  /** {@code payload} under the order header, signed with the trusted key. */
  private static void assertPayloadRefused(String payload, ReasonCode code) {
    assertRefused(es256(HEADER, payload, KEY.getPrivate()), code);
  }

  // --- Round trips -------------------------------------------------------------------------

  @Test
  void signedOrder_verifiesToTheSameOrder() throws Exception {
    DeploymentOrder order = order(DEVICE);
    String jws = SIGNER.sign(order);
    assertThat(jws.split("\\.", -1)).hasSize(3);
    assertThat(VERIFIER.verify(jws)).isEqualTo(order);
  }

  @Test
  void rollbackOrder_roundTripsItsFlag() throws Exception {
    DeploymentOrder o = order(DEVICE);
    DeploymentOrder rollback = new DeploymentOrder(o.formatVersion(), o.deviceId(),
        o.packageName(), "1.1.0", o.bundleSha256(), o.bundleLength(), o.deploymentId(),
        o.approvals(), o.issuedAt(), o.notBefore(), o.notAfter(), true);
    assertThat(VERIFIER.verify(SIGNER.sign(rollback)).rollback()).isTrue();
  }

  @Test
  void header_namesTypeContentTypeAndKey() throws Exception {
    JWSHeader header = JWSObject.parse(SIGNER.sign(order(DEVICE))).getHeader();
    assertThat(header.getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
    assertThat(header.getType()).isEqualTo(new JOSEObjectType(OrderEnvelope.TYPE));
    assertThat(header.getContentType()).isEqualTo(OrderEnvelope.CONTENT_TYPE);
    assertThat(header.getKeyID()).isEqualTo(KID);
  }

  /** A later minor version adds fields (issue 15's expected measurements): older agents read on. */
  @Test
  void laterMinorVersion_unknownFieldsIgnored() throws Exception {
    String payload = payloadJson().replace("\"formatVersion\":\"1.1\"",
        "\"formatVersion\":\"1.7\",\"expectedMeasurements\":{\"tim\":\"sha256-tree-v1:00\"}");
    DeploymentOrder read = VERIFIER.verify(es256(HEADER, payload, KEY.getPrivate()));
    assertThat(read.formatVersion()).isEqualTo("1.7");
    assertThat(read.bundleSha256()).isEqualTo(order(DEVICE).bundleSha256());
  }

  @Test
  void typWithApplicationPrefix_accepted() throws Exception {
    String header =
        HEADER.replace("\"vnd.neguard.order+jws\"", "\"application/vnd.neguard.order+jws\"");
    assertThat(VERIFIER.verify(es256(header, payloadJson(), KEY.getPrivate())).deviceId())
        .isEqualTo(DEVICE);
  }

  // --- Signature and key -------------------------------------------------------------------

  @Test
  void tamperedPayload_refused() {
    String[] parts = SIGNER.sign(order(DEVICE)).split("\\.");
    String forged = payloadJson().replace("\"deviceId\":\"ne-0001\"", "\"deviceId\":\"ne-0001\"")
        .replace("\"packageVersion\":\"1.2.0\"", "\"packageVersion\":\"6.6.6\"");
    assertThat(forged).isNotEqualTo(payloadJson());
    assertRefused(parts[0] + "." + b64(forged) + "." + parts[2], ReasonCode.SIGNATURE_INVALID);
  }

  @Test
  void tamperedSignature_refused() {
    String jws = SIGNER.sign(order(DEVICE));
    char last = jws.charAt(jws.length() - 5);
    String flipped = jws.substring(0, jws.length() - 5) + (last == 'A' ? 'B' : 'A')
        + jws.substring(jws.length() - 4);
    assertRefused(flipped, ReasonCode.SIGNATURE_INVALID);
  }

  @Test
  void unknownKeyUnderTrustedKid_refused() {
    OrderSigner impostor = OrderSigner.of(Orders.ecKey("secp256r1").getPrivate(), KID);
    assertRefused(impostor.sign(order(DEVICE)), ReasonCode.SIGNATURE_INVALID);
  }

  @Test
  void unknownKid_refused() {
    OrderSigner other = OrderSigner.of(Orders.ecKey("secp256r1").getPrivate(), "someone-else");
    assertRefused(other.sign(order(DEVICE)), ReasonCode.CERT_UNTRUSTED);
    // The trusted key under a kid this device does not know is refused all the same.
    assertRefused(OrderSigner.of(KEY.getPrivate(), "other-kid").sign(order(DEVICE)),
        ReasonCode.CERT_UNTRUSTED);
  }

  // --- Algorithms (the classic JWS attacks) --------------------------------------------------

  @Test
  void algNone_refused() {
    String header = HEADER.replace("\"ES256\"", "\"none\"");
    assertRefused(b64(header) + "." + b64(payloadJson()) + ".", ReasonCode.ALGORITHM_NOT_ALLOWED);
  }

  @ParameterizedTest
  @ValueSource(strings = {"NONE", "None", "es256", "ES256K", "EdDSA"})
  void algNotExactlyOnTheList_refused(String alg) {
    String header = HEADER.replace("\"ES256\"", "\"" + alg + "\"");
    assertHeaderRefused(header, ReasonCode.ALGORITHM_NOT_ALLOWED);
  }

  /** The key-confusion attack: the public key, which anyone has, used as an HMAC secret. */
  @Test
  void hs256WithThePublicKeyAsSecret_refused() throws Exception {
    assertRefused(signedWith(JWSAlgorithm.HS256, new MACSigner(KEY.getPublic().getEncoded())),
        ReasonCode.ALGORITHM_NOT_ALLOWED);
  }

  @Test
  void es384_refused() throws Exception {
    ECPrivateKey p384 = (ECPrivateKey) Orders.ecKey("secp384r1").getPrivate();
    assertRefused(signedWith(JWSAlgorithm.ES384, new ECDSASigner(p384)),
        ReasonCode.ALGORITHM_NOT_ALLOWED);
  }

  @Test
  void rs256_refused() throws Exception {
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    RSASSASigner signer = new RSASSASigner(rsa.generateKeyPair().getPrivate());
    assertRefused(signedWith(JWSAlgorithm.RS256, signer), ReasonCode.ALGORITHM_NOT_ALLOWED);
  }

  /** A valid order's header and payload, signed by the JOSE library with {@code alg}. */
  private static String signedWith(JWSAlgorithm alg, JWSSigner signer) throws JOSEException {
    JWSObject jws = new JWSObject(
        new JWSHeader.Builder(alg).type(new JOSEObjectType(OrderEnvelope.TYPE))
            .contentType(OrderEnvelope.CONTENT_TYPE).keyID(KID).build(),
        new Payload(payloadJson()));
    jws.sign(signer);
    return jws.serialize();
  }

  // --- Header ------------------------------------------------------------------------------

  /**
   * Each header edit, signed with the trusted key, is malformed: another object type, no key
   * name, a parameter that would let the sender choose the key ({@code jwk}, {@code jku},
   * {@code x5u}) or how the payload is read ({@code crit}), or a duplicate key (a reader keeping
   * the first value sees {@code none}, one keeping the last {@code ES256}).
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "typ JWT              | \"vnd.neguard.order+jws\"  | \"JWT\"",
      "typ of the payload   | \"vnd.neguard.order+jws\"  | \"vnd.neguard.order+json\"",
      "typ application/jose | \"vnd.neguard.order+jws\"  | \"application/jose\"",
      "typ a number         | \"vnd.neguard.order+jws\"  | 7",
      "no typ               | \"typ\":\"vnd.neguard.order+jws\", | ''",
      "cty json             | \"vnd.neguard.order+json\" | \"json\"",
      "no kid               | ,\"kid\":\"order-key-2026\" | ''",
      "embedded jwk         | {                          | {\"jwk\":{\"kty\":\"EC\"},",
      "jku                  | {                          | {\"jku\":\"https://evil/\",",
      "x5u                  | {                          | {\"x5u\":\"https://evil/\",",
      "crit b64             | {                          | {\"crit\":[\"b64\"],\"b64\":false,",
      "duplicate alg        | {                          | {\"alg\":\"none\",",
      "kid with a newline   | order-key-2026             | order\\nkey",
  })
  void headerEdit_refusedMalformed(String name, String from, String to) {
    assertThat(HEADER).contains(from);
    assertHeaderRefused(HEADER.replace(from, to), ReasonCode.MALFORMED);
  }

  @Test
  void kidOver128Characters_refused() {
    assertHeaderRefused(HEADER.replace(KID, "k".repeat(129)), ReasonCode.MALFORMED);
  }

  @Test
  void headerValuesInMessages_boundedAndPrintable() {
    String typ = "\"x\\u001b[2J" + "y".repeat(500) + "\"";
    String header = HEADER.replace("\"vnd.neguard.order+jws\"", typ);
    assertThatThrownBy(() -> VERIFIER.verify(es256(header, payloadJson(), KEY.getPrivate())))
        .isInstanceOfSatisfying(RefusalException.class, e -> {
          assertThat(e.code()).isEqualTo(ReasonCode.MALFORMED);
          assertThat(e.getMessage()).contains("\"x?[2Jyyy").doesNotContain("\u001b")
              .doesNotContain("y".repeat(70));
        });
  }

  // --- Payload -----------------------------------------------------------------------------

  @Test
  void otherDevicesOrder_refused() {
    assertRefused(SIGNER.sign(order("ne-0002")), ReasonCode.DEVICE_MISMATCH);
  }

  @Test
  void duplicateKeyInPayload_refused() {
    // Two parsers reading these bytes could install for two different devices.
    String payload = payloadJson().replace("{", "{\"deviceId\":\"ne-0002\",");
    assertPayloadRefused(payload, ReasonCode.MALFORMED);
  }

  @Test
  void higherMajorVersion_refused() {
    String payload =
        payloadJson().replace("\"formatVersion\":\"1.1\"", "\"formatVersion\":\"2.0\"");
    assertPayloadRefused(payload, ReasonCode.FORMAT_VERSION);
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"1\"", "\"01.0\"", "1.0", "\"1.0.0\"", "null"})
  void badFormatVersion_refused(String version) {
    String payload = payloadJson().replace("\"1.1\"", version);
    assertPayloadRefused(payload, ReasonCode.MALFORMED);
  }

  @Test
  void badField_refused() {
    String payload = payloadJson().replace(order(DEVICE).bundleSha256(), "not-a-digest");
    assertPayloadRefused(payload, ReasonCode.MALFORMED);
  }

  @Test
  void noApprovals_refused() {
    String payload = payloadJson().replaceAll("\"approvals\":\\[[^]]*]", "\"approvals\":[]");
    assertThat(payload).contains("\"approvals\":[]");
    assertPayloadRefused(payload, ReasonCode.MALFORMED);
  }

  @Test
  void missingField_refused() {
    String payload = payloadJson().replace("\"rollback\":false", "\"rollbak\":false");
    assertPayloadRefused(payload, ReasonCode.MALFORMED);
  }

  @ParameterizedTest
  @ValueSource(strings = {"1796378400", "\"2026-12-05T12:00:00+02:00\"", "\"2026-12-05\"",
      "\"2026-12-05T10:00:00\""})
  void timeNotAnIsoUtcString_refused(String notAfter) {
    String payload = payloadJson().replace("\"2026-12-05T10:00:00Z\"", notAfter);
    assertThat(payload).isNotEqualTo(payloadJson());
    assertPayloadRefused(payload, ReasonCode.MALFORMED);
  }

  @Test
  void approvalTimeAnEpochNumber_refused() {
    String payload = payloadJson().replace("\"2026-12-04T08:00:00Z\"", "1796364000");
    assertThat(payload).isNotEqualTo(payloadJson());
    assertPayloadRefused(payload, ReasonCode.MALFORMED);
  }

  @Test
  void trailingData_refused() {
    assertPayloadRefused(payloadJson() + "{}", ReasonCode.MALFORMED);
  }

  // --- Validity window ---------------------------------------------------------------------

  @Test
  void expiredOrder_refused_afterTheSkew() throws Exception {
    DeploymentOrder order = order(DEVICE);
    String jws = SIGNER.sign(order);
    Instant lastAccepted = order.notAfter().plus(OrderEnvelope.CLOCK_SKEW).minusSeconds(1);
    assertThat(verifierAt(lastAccepted).verify(jws)).isEqualTo(order);
    assertRefused(verifierAt(lastAccepted.plusSeconds(1)), jws, ReasonCode.ORDER_VALIDITY);
  }

  @Test
  void notYetValidOrder_refused_beforeTheSkew() throws Exception {
    DeploymentOrder order = order(DEVICE);
    String jws = SIGNER.sign(order);
    Instant firstAccepted = order.notBefore().minus(OrderEnvelope.CLOCK_SKEW);
    assertThat(verifierAt(firstAccepted).verify(jws)).isEqualTo(order);
    assertRefused(verifierAt(firstAccepted.minusSeconds(1)), jws, ReasonCode.ORDER_VALIDITY);
  }

  // --- Size and serialization --------------------------------------------------------------

  @Test
  void overSizeLimit_refusedBeforeParsing() {
    // Not even a JWS: refused for its size, so nothing of it was decoded or parsed.
    assertRefused("x".repeat(OrderEnvelope.MAX_LENGTH + 1), ReasonCode.SIZE_LIMIT);
    String pad = "p".repeat(OrderEnvelope.MAX_LENGTH);
    String payload = payloadJson().replace("{", "{\"pad\":\"" + pad + "\",");
    assertPayloadRefused(payload, ReasonCode.SIZE_LIMIT);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "abc", "a.b", "a.b.c.d", "!!!.e30.AA", "e30.e30.AA",
      "bm90IGpzb24.e30.AA",
      "W10.e30.AA", "eyJhbGciOiJFUzI1NiJ9.e30", "..", "e30...",
      // The JSON serialization: orders travel in the compact one only.
      "{\"payload\":\"e30\",\"protected\":\"e30\",\"signature\":\"AA\"}"})
  void malformedCompactSerialization_refused(String jws) {
    assertRefused(jws, ReasonCode.MALFORMED);
  }

  @Test
  void validHeader_malformedPayloadOrSignature_refused() {
    String jws = SIGNER.sign(order(DEVICE));
    String[] parts = jws.split("\\.");
    assertRefused(parts[0] + ".!!!." + parts[2], ReasonCode.MALFORMED);
    assertRefused(parts[0] + "." + parts[1] + ".", ReasonCode.MALFORMED);
    assertRefused(parts[0] + "." + parts[1] + "." + parts[2] + "=", ReasonCode.MALFORMED);
    assertRefused(parts[0] + "." + parts[1] + ".AAAA", ReasonCode.SIGNATURE_INVALID);
  }

  // --- Construction ------------------------------------------------------------------------

  @Test
  void signerAndVerifier_refuseKeysOffTheCurve() throws Exception {
    KeyPair p384 = Orders.ecKey("secp384r1");
    assertThatThrownBy(() -> OrderSigner.of(p384.getPrivate(), KID))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("P-256");
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    assertThatThrownBy(() -> OrderSigner.of(rsa.generateKeyPair().getPrivate(), KID))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("P-256");
    assertThatThrownBy(() -> OrderSigner.of(KEY.getPrivate(), " "))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kid");
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    assertThatThrownBy(() -> OrderVerifier.of(Map.of(KID, p384.getPublic()), clock, DEVICE))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(KID);
    assertThatThrownBy(() -> OrderVerifier.of(Map.of(), clock, DEVICE))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trustedKeys");
  }

  @Test
  void order_refusesTheSameApproverTwiceAndAnEmptyWindow() {
    DeploymentOrder o = order(DEVICE);
    Approval alice = new Approval("alice", NOW);
    assertThatThrownBy(() -> new DeploymentOrder("1.0", DEVICE, "p", "1", o.bundleSha256(), 1,
        "d", List.of(alice, alice), NOW, NOW, NOW.plus(Duration.ofHours(1)), false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("alice");
    assertThatThrownBy(() -> new DeploymentOrder("1.0", DEVICE, "p", "1", o.bundleSha256(), 1,
        "d", List.of(alice), NOW, NOW, NOW, false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("notAfter");
  }

  @Test
  void payload_isCompactJsonWithIsoInstants() {
    String json = new String(OrderCodec.encode(order(DEVICE)), StandardCharsets.UTF_8);
    assertThat(json).startsWith("{\"formatVersion\":\"1.1\",\"deviceId\":\"ne-0001\"")
        .contains("\"notAfter\":\"2026-12-05T10:00:00Z\"").doesNotContain("\n");
  }

  // --- Format 1.1: the attestation of issue 15 (ATT-3, ATT-4) --------------------------------

  @Test
  void attestation_roundTrips() throws Exception {
    DeploymentOrder o = order(DEVICE);
    OrderAttestation a = new OrderAttestation("ab".repeat(32), "cd".repeat(32));
    DeploymentOrder with = new DeploymentOrder(o.formatVersion(), o.deviceId(), o.packageName(),
        o.packageVersion(), o.bundleSha256(), o.bundleLength(), o.deploymentId(), o.approvals(),
        o.issuedAt(), o.notBefore(), o.notAfter(), o.rollback(), a);
    assertThat(VERIFIER.verify(SIGNER.sign(with)).attestation()).isEqualTo(a);
  }

  @Test
  void formatOneZeroOrder_withoutAttestation_reads() throws Exception {
    String payload = payloadJson().replace("\"formatVersion\":\"1.1\"",
        "\"formatVersion\":\"1.0\"");
    assertThat(payload).doesNotContain("attestation");
    assertThat(VERIFIER.verify(es256(HEADER, payload, KEY.getPrivate())).attestation()).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"rollback", "bundleLength", "approvals", "deviceId"})
  void missingFormatOneZeroField_refused(String field) {
    // With creator checks off for the optional field, each required one is checked by name: a
    // missing rollback flag must not read as false, a missing length as 0.
    String payload = payloadJson().replaceFirst("\"" + field + "\":(\\[[^\\]]*\\]|\"[^\"]*\"|[^,}]*),?",
        "");
    assertThat(payload).doesNotContain("\"" + field + "\"");
    assertPayloadRefused(payload, ReasonCode.MALFORMED);
  }

  @ParameterizedTest
  @ValueSource(strings = {"null", "\"x\"", "{\"nonce\":\"00\",\"rim\":\"" + "ab" + "\"}",
      "{\"nonce\":\"" + "AB" + "\",\"rim\":null}"})
  void badAttestation_refused(String value) {
    String payload = payloadJson().replace("\"rollback\":false",
        "\"rollback\":false,\"attestation\":" + value);
    assertThat(payload).contains("attestation");
    // Not even an explicit null: the writer omits the field, one way of writing each order.
    assertPayloadRefused(payload, ReasonCode.MALFORMED);
  }
}
