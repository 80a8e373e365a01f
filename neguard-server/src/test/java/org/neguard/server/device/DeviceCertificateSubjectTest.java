package org.neguard.server.device;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.Field;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERT61String;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.DERUniversalString;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.Http;
import org.neguard.server.NeguardServer;
import org.neguard.server.TestServer;
import org.neguard.server.keys.ServerKeys;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The subject of a device's client certificate (SRC-1): only the device CA's own shape,
 * {@code CN=<device id>} alone, names a device. Each certificate here is signed by the server's
 * real device CA with the enrolled device's current serial, and presented over mutual TLS on the
 * agents' port, so that its subject is the only thing that differs from the device's own
 * certificate: a subject another reader could read as another name (a second CN, an extra
 * attribute, a multi-valued RDN, an escaped separator, a string type whose decoding varies) is
 * refused 401 NOT_AUTHENTICATED and audited, not interpreted.
 */
@DisplayName("SRC-1 device certificate subjects")
class DeviceCertificateSubjectTest {
  static final String ID = "subj-1";
  static final ASN1ObjectIdentifier CN = BCStyle.CN;
  static final ASN1ObjectIdentifier O = BCStyle.O;
  static TestServer s;
  static TestDevice device;
  static ServerKeys.DeviceCa ca;

  @BeforeAll
  static void start() throws Exception {
    s = TestServer.start();
    device = TestDevice.enroll(s, ID, "henb");
    Field f = NeguardServer.class.getDeclaredField("context");
    f.setAccessible(true);
    ca = ((ConfigurableApplicationContext) f.get(s.server)).getBean(ServerKeys.class).deviceCa();
  }

  @AfterAll
  static void stop() throws Exception {
    if (s != null) {
      s.close();
    }
  }

  /**
   * A client certificate of the device CA for the device's key and current serial, with
   * {@code subject} as given.
   */
  static X509Certificate issued(X500Name subject) throws Exception {
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
        X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()),
        new BigInteger(device.identity().serial(), 16), Date.from(now.minusSeconds(300)),
        Date.from(now.plus(Duration.ofDays(1))), subject,
        device.identity().keyPair().getPublic());
    JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
    b.addExtension(Extension.authorityKeyIdentifier, false,
        utils.createAuthorityKeyIdentifier(ca.certificate()));
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    b.addExtension(Extension.extendedKeyUsage, false,
        new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
    // By type, not getAlgorithm(): a key read with Bouncy Castle registered says "ECDSA".
    String algorithm = ca.key() instanceof java.security.interfaces.ECKey ? "SHA256withECDSA"
        : "SHA256withRSA";
    return new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder(algorithm).build(ca.key())));
  }

  /** A request of the agents' API with a certificate for {@code subject}. */
  static Http.Response request(X500Name subject) throws Exception {
    return new AgentsPort(s.server.deviceUrl(), device.identity().ca(),
        device.identity().keyPair(), issued(subject))
        .send("GET", "/api/device/v1/order-keys", Map.of(), null);
  }

  static X500Name name(RDN... rdns) {
    return new X500Name(rdns);
  }

  static RDN rdn(ASN1ObjectIdentifier type, ASN1Encodable value) {
    return new RDN(type, value);
  }

  static RDN multi(AttributeTypeAndValue... values) {
    return new RDN(values);
  }

  static AttributeTypeAndValue av(ASN1ObjectIdentifier type, String value) {
    return new AttributeTypeAndValue(type, new DERUTF8String(value));
  }

  static RDN cn(String value) {
    return rdn(CN, new DERUTF8String(value));
  }

  /**
   * {@code subject} is refused 401 NOT_AUTHENTICATED, its newest audit row a denied
   * DEVICE_AUTHENTICATE naming {@code problem}; the device's own certificate, same serial, is
   * still admitted (the control: the subject made the difference).
   */
  static void assertRefused(X500Name subject, String problem) throws Exception {
    Http.Response r = request(subject);
    assertThat(r.status()).as("%s -> %s", subject, r).isEqualTo(401);
    assertThat(r.code()).isEqualTo("NOT_AUTHENTICATED");
    assertThat(r.body()).contains("exactly CN=<device id>");
    JsonNode row = s.http.get("/api/audit?tail=true&limit=1", s.adminToken()).json().path(0);
    assertThat(row.path("action").asText()).isEqualTo("DEVICE_AUTHENTICATE");
    assertThat(row.path("outcome").asText()).isEqualTo("denied");
    assertThat(row.path("actor").asText()).isEqualTo("anonymous");
    assertThat(row.path("detail").asText()).as("%s", subject)
        .contains("certificate " + device.identity().serial()).contains(problem);
    assertThat(device.client.orderKeys()).isNotEmpty();
  }

  @Test
  @DisplayName("SRC-1 a CN with another attribute beside it (another RDN before or after, or in"
      + " the same RDN) is refused NOT_AUTHENTICATED, audited")
  void subject_cnWithAnotherAttribute_refused() throws Exception {
    assertRefused(name(cn(ID), rdn(O, new DERUTF8String("acme"))), "2 RDNs, not one CN alone");
    assertRefused(name(rdn(O, new DERUTF8String("acme")), cn(ID)), "2 RDNs, not one CN alone");
    assertRefused(name(multi(av(CN, ID), av(O, "acme"))),
        "holds 2 attributes, not one CN alone");
  }

  @Test
  @DisplayName("SRC-1 a subject with no CN, two CNs (alike or not) or a multi-valued CN+CN is"
      + " refused NOT_AUTHENTICATED, audited")
  void subject_noCnOrSeveralCns_refused() throws Exception {
    assertRefused(name(rdn(O, new DERUTF8String(ID))), "attribute is 2.5.4.10, not CN");
    assertRefused(name(cn(ID), cn(ID)), "2 RDNs");
    assertRefused(name(cn("other-1"), cn(ID)), "2 RDNs");
    assertRefused(name(cn(ID), cn("other-1")), "2 RDNs");
    assertRefused(name(multi(av(CN, ID), av(CN, "other-1"))), "holds 2 attributes");
  }

  @Test
  @DisplayName("SRC-1 a CN whose text carries a separator (an escaped comma, a plus) is refused;"
      + " it is not split into a device id and the rest")
  void subject_cnWithEscapedSeparator_refused() throws Exception {
    assertRefused(name(cn(ID + ",O=acme")), "is not a device id");
    assertRefused(name(cn(ID + "+CN=other-1")), "is not a device id");
  }

  @Test
  @DisplayName("SRC-1 a CN in a string type that readers decode differently (TeletexString,"
      + " BMPString, UniversalString) is refused, though its text would be the device id")
  void subject_cnInAnotherStringType_refused() throws Exception {
    assertRefused(name(rdn(CN, new DERT61String(ID))), "not a PrintableString or UTF8String");
    assertRefused(name(rdn(CN, new DERBMPString(ID))), "not a PrintableString or UTF8String");
    assertRefused(name(rdn(CN, new DERUniversalString(ID.getBytes(
        java.nio.charset.Charset.forName("UTF-32BE"))))), "not a PrintableString or UTF8String");
  }

  @Test
  @DisplayName("SRC-1 the control: CN=<device id> alone, as a PrintableString or a UTF8String, is"
      + " admitted with the same serial")
  void subject_exactlyTheCn_admitted() throws Exception {
    for (X500Name subject : new X500Name[] {name(rdn(CN, new DERPrintableString(ID))),
        name(rdn(CN, new DERUTF8String(ID)))}) {
      Http.Response r = request(subject);
      assertThat(r.status()).as("%s -> %s", subject, r).isEqualTo(200);
    }
  }
}
