package org.neguard.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.attest.Evidence;
import org.neguard.attest.EvidenceSigner;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;
import org.neguard.pkg.BundleLimits;
import org.neguard.pkg.BundleReader;

/**
 * Evidence as an agent sends it (docs/MEASUREMENT.md): measured components signed with the
 * device's own key over a nonce, posted to {@code /api/device/v1/evidence} over its mutual TLS.
 */
public final class DeviceEvidence {
  private static final ObjectMapper JSON = new ObjectMapper();

  private DeviceEvidence() {}

  /** The status and JSON answer of one POST. */
  public record Answer(int status, JsonNode json) {}

  /** The files of a bundle's signed manifest: its RIM's leaves. */
  public static List<TreeDigest.Leaf> rim(Path bundle) throws Exception {
    try (BundleReader reader = BundleReader.open(bundle, BundleLimits.defaults())) {
      return reader.manifest().files().stream()
          .map(f -> new TreeDigest.Leaf(f.path(), f.sha256(), f.modeBits())).toList();
    }
  }

  /** A package component as an honest NE measures it. */
  public static Evidence.Component component(String name, List<TreeDigest.Leaf> leaves) {
    return new Evidence.Component(name, PlatformTim.Reference.VENDOR_SIGNED,
        TreeDigest.of(leaves), leaves);
  }

  /** Evidence of {@code components} over {@code nonce} (hex), signed with the device's key. */
  public static String sign(DeviceIdentity id, String deviceId, String nonce,
      List<Evidence.Component> components) {
    return EvidenceSigner.of(id.keyPair().getPrivate()).sign(Evidence.of(deviceId,
        HexFormat.of().parseHex(nonce), Instant.now(), components, Optional.empty()));
  }

  /** POST /api/device/v1/evidence on the agents' port {@code deviceUrl}. */
  public static Answer post(URI deviceUrl, DeviceIdentity id, String jws)
      throws IOException, GeneralSecurityException {
    SSLContext tls = tls(id);
    HttpsURLConnection c = (HttpsURLConnection) URI.create(deviceUrl
        + "/api/device/v1/evidence").toURL().openConnection();
    c.setSSLSocketFactory(tls.getSocketFactory());
    c.setRequestMethod("POST");
    c.setDoOutput(true);
    c.setRequestProperty("Content-Type", "application/json");
    try (OutputStream out = c.getOutputStream()) {
      out.write(JSON.writeValueAsBytes(Map.of("evidence", jws)));
    }
    int status = c.getResponseCode();
    try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
      byte[] b = in == null ? new byte[0] : in.readAllBytes();
      return new Answer(status, b.length == 0 ? JSON.createObjectNode() : JSON.readTree(b));
    }
  }

  /** A TLS context that presents {@code id}'s certificate and trusts only its device CA. */
  public static SSLContext tls(DeviceIdentity id) throws GeneralSecurityException, IOException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("d", id.keyPair().getPrivate(), new char[0],
        new X509Certificate[] {id.certificate()});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
    kmf.init(ks, new char[0]);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", id.ca());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(trust);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return tls;
  }
}
