package org.neguard.server.device;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.agent.client.DeviceClient;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.agent.client.DeviceKeys;
import org.neguard.api.device.InstalledPackage;
import org.neguard.server.Http;
import org.neguard.server.TestServer;

/**
 * A real device for tests: a key pair generated here, enrolled through the real {@link
 * DeviceClient} on the server's agents' port with a token an operator created, trusting the port
 * through the CA certificate the token came with. Its {@link #client} then speaks the agents'
 * API over mutual TLS.
 */
public final class TestDevice {
  public final String id;
  public final String neType;
  public final DeviceClient client;

  private TestDevice(String id, String neType, DeviceClient client) {
    this.id = id;
    this.neType = neType;
    this.client = client;
  }

  /** Enrolls {@code id} of NE type {@code neType}, with {@code labels} and nothing installed. */
  public static TestDevice enroll(TestServer s, String id, String neType, String... labels) {
    return enroll(s, id, neType, List.of(labels), List.of());
  }

  /** Enrolls {@code id} with a token carrying {@code labels}, and what it declares to run. */
  public static TestDevice enroll(TestServer s, String id, String neType, List<String> labels,
      List<InstalledPackage> installed) {
    JsonNode token = token(s, labels.isEmpty() ? Map.of() : Map.of("labels", labels));
    DeviceClient c = client(s, token);
    try {
      c.enroll(token.path("token").asText(), id, neType, labels, installed);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (DeviceApiException e) {
      throw new AssertionError("enrolling " + id + ": " + e.getMessage(), e);
    }
    return new TestDevice(id, neType, c);
  }

  /**
   * A new enrollment token from an operator; {@code request} may carry deviceId, neType,
   * labels, ttlMinutes.
   *
   * @return the whole answer (token, id, deviceUrl, caCertificate, caSha256...)
   */
  public static JsonNode token(TestServer s, Map<String, Object> request) {
    Http.Response r = s.http.post("/api/devices/enrollment-tokens",
        s.token(TestServer.Role.OPERATOR), new LinkedHashMap<>(request));
    if (r.status() != 201) {
      throw new AssertionError("creating an enrollment token: " + r);
    }
    return r.json();
  }

  /** A client about to enroll, trusting the agents' port through the token's CA certificate. */
  public static DeviceClient client(TestServer s, JsonNode token) {
    try {
      return DeviceClient.enrolling(s.server.deviceUrl(),
          DeviceClient.Trust.ca(token.path("caCertificate").asText()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A client about to enroll at {@code deviceUrl} with {@code pair} for every attempt, as an
   * agent asking again after a lost answer does.
   */
  public static DeviceClient client(URI deviceUrl, JsonNode token, KeyPair pair) {
    try {
      return DeviceClient.enrolling(deviceUrl,
          DeviceClient.Trust.ca(token.path("caCertificate").asText()), new DeviceKeys() {
            @Override
            public KeyPair newKeyPair() {
              return pair;
            }

            @Override
            public PrivateKey privateKey(Path dir, PublicKey key) {
              throw new UnsupportedOperationException("a test's enrolling client");
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Moves the stored validity of {@code serial} 25 days back (of the default 30), so that the
   * server sees it in the last third of its lifetime, due for renewal; the certificate itself,
   * and so TLS, is unchanged.
   */
  public static void dueForRenewal(TestServer s, String serial) {
    try (java.sql.Connection c = s.db()) {
      dueForRenewal(c, serial);
    } catch (java.sql.SQLException e) {
      throw new AssertionError("ageing certificate " + serial, e);
    }
  }

  /** As above, in the database {@code c} is connected to. */
  public static void dueForRenewal(java.sql.Connection c, String serial) {
    try (java.sql.PreparedStatement ps = c.prepareStatement("UPDATE device_certificates SET"
            + " issued_at = ?, not_after = ? WHERE serial = ?")) {
      java.time.OffsetDateTime now = java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC);
      ps.setObject(1, now.minusDays(25));
      ps.setObject(2, now.plusDays(5));
      ps.setString(3, serial);
      if (ps.executeUpdate() != 1) {
        throw new AssertionError("no certificate " + serial);
      }
    } catch (java.sql.SQLException e) {
      throw new AssertionError("ageing certificate " + serial, e);
    }
  }

  /** The newest {@code n} audit rows as JSON text, read by the admin. */
  public static String auditTail(TestServer s, int n) {
    return s.http.get("/api/audit?tail=true&limit=" + n, s.adminToken()).body();
  }

  /**
   * This device's poll once its first-contact attestation is asked (enrollment makes it due at
   * once; the scheduler opens it within seconds). A test that compares ETags starts here: before,
   * the nonce of a challenge opened between two polls changed the ETag, and a control's 304
   * failed (CI, once in a few hundred runs).
   */
  public DeviceClient.PollAnswer firstContact() throws IOException, DeviceApiException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (true) {
      DeviceClient.PollAnswer a = client.poll(null);
      if (a.poll().attestation() != null) {
        return a;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(id + ": no first-contact attestation asked within 20 s");
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(id + ": interrupted waiting for first contact", e);
      }
    }
  }

  public DeviceIdentity identity() {
    return client.identity();
  }
}
