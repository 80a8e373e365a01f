package org.neguard.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.DeviceEvidence;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.agent.client.DeviceClient;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.api.device.DeviceOrder;
import org.neguard.api.device.Feedback;
import org.neguard.api.device.InstalledPackage;
import org.neguard.api.device.OrderKey;
import org.neguard.api.problem.ProblemReason;
import org.neguard.order.DeploymentOrder;
import org.neguard.order.OrderVerifier;
import org.neguard.server.device.TestDevice;

/**
 * The deployment half of the agents' API end to end: devices enrolled through the real client
 * on the agents' port (mutual TLS), polling with ETags, downloading with ranges, reporting.
 */
@DisplayName("OBJ-1 SRC-2 the agents' API: poll, bundles, feedback")
class AgentDeploymentApiTest {
  static DeployFixture f;
  static TestDevice mme;
  static TestDevice other;
  static TestDevice amf;
  static String deployment;
  static byte[] bundle;

  @BeforeAll
  static void start() throws Exception {
    f = new DeployFixture();
    mme = TestDevice.enroll(f.s, "ag-mme", "mme");
    other = TestDevice.enroll(f.s, "ag-other", "mme");
    amf = TestDevice.enroll(f.s, "ag-amf", "amf");
    // Attested good (the engine's stand-in validation entity passes them): updates reach them.
    f.update("UPDATE devices SET trust_state = 'trusted'");
    deployment = f.running(DeployFixture.body(List.of("ag-mme", "ag-amf")));
    f.scheduler.advanceAll();
    bundle = Files.readAllBytes(f.s.data().resolve("packages/" + f.bundleSha256 + ".ngp"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (f != null) {
      f.close();
    }
  }

  @Test
  void poll_givesAVerifiableOrder_then304UntilSomethingChanges() throws Exception {
    DeviceClient.PollAnswer first = other.client.poll(null);
    assertThat(first.poll().order()).isNull();
    assertThat(first.poll().pollAfterSeconds()).isEqualTo(DeviceOrders.POLL_AFTER_SECONDS);

    DeviceClient.PollAnswer a = mme.client.poll(null);
    DeviceOrder o = a.poll().order();
    assertThat(o.deploymentId()).isEqualTo(deployment);
    assertThat(o.bundleUrl()).isEqualTo("/api/device/v1/bundles/" + f.bundleSha256);
    DeploymentOrder order = verifier("ag-mme").verify(o.jws());
    assertThat(order.bundleSha256()).isEqualTo(f.bundleSha256);
    assertThat(order.approvals()).extracting(x -> x.approver()).containsExactly("u-approver");

    DeviceClient.PollAnswer again = mme.client.poll(a.etag());
    assertThat(again.changed()).isFalse();
    assertThat(amf.client.poll(null).poll().order()).as("refused NE type: no order").isNull();
  }

  @Test
  @DisplayName("OBJ-1 SRC-2 a poll with another device's ETag gets the poller's own answer, and a"
      + " stale ETag the order, signed (the 304 path answers only an unchanged state)")
  void poll_withAnotherDevicesOrStaleEtag_getsItsOwnFullAnswer() throws Exception {
    String nothing = other.client.poll(null).etag();
    DeviceClient.PollAnswer withOrder = mme.client.poll(null);
    assertThat(withOrder.poll().order()).isNotNull();
    assertThat(withOrder.etag()).isNotEqualTo(nothing);

    DeviceClient.PollAnswer o = other.client.poll(withOrder.etag());
    assertThat(o.changed()).as("another device's ETag is not this one's state").isTrue();
    assertThat(o.poll().order()).as("and it never shows the other's order").isNull();
    assertThat(o.etag()).isEqualTo(nothing);

    DeviceClient.PollAnswer m = mme.client.poll(nothing);
    assertThat(m.changed()).as("the state changed since that ETag").isTrue();
    assertThat(m.poll().order().orderId()).isEqualTo(withOrder.poll().order().orderId());
    assertThat(verifier("ag-mme").verify(m.poll().order().jws()).deviceId()).isEqualTo("ag-mme");
    assertThat(mme.client.poll(m.etag()).changed()).as("the control: 304").isFalse();
  }

  @Test
  @DisplayName("OBJ-1 a device downloading a bundle its orders do not name: 403, audited")
  void bundle_notNamedByTheDevicesOrders_isRefused403AndAudited() throws Exception {
    Path target = f.s.dir.resolve("other.ngp");
    assertThatThrownBy(() -> other.client.downloadBundle(f.bundleSha256, bundle.length, target))
        .isInstanceOfSatisfying(DeviceApiException.class, e -> {
          assertThat(e.status()).isEqualTo(403);
          assertThat(e.code()).isEqualTo("NOT_AUTHORIZED");
        });
    assertThat(target).doesNotExist();
    assertThat(f.count("SELECT COUNT(*) FROM audit_log WHERE actor = 'device:ag-other' AND"
        + " action = 'BUNDLE_DOWNLOAD' AND outcome = 'denied' AND target = ?",
        "bundle " + f.bundleSha256)).isEqualTo(1);
  }

  @Test
  void bundle_resumesWithARange_andTheDigestChecks() throws Exception {
    Path target = f.s.dir.resolve("mme.ngp");
    Files.write(target, Arrays.copyOf(bundle, 1000));
    mme.client.downloadBundle(f.bundleSha256, bundle.length, target);
    assertThat(Files.readAllBytes(target)).isEqualTo(bundle);
  }

  @Test
  void bundle_rangeForms_206_416() throws Exception {
    int n = bundle.length;
    Map<String, Object> r = get(mme.identity(), "bytes=10-19");
    assertThat(r).containsEntry("status", 206).containsEntry("range", "bytes 10-19/" + n);
    assertThat((byte[]) r.get("body")).isEqualTo(Arrays.copyOfRange(bundle, 10, 20));
    r = get(mme.identity(), "bytes=-16");
    assertThat(r).containsEntry("status", 206)
        .containsEntry("range", "bytes " + (n - 16) + "-" + (n - 1) + "/" + n);
    assertThat((byte[]) r.get("body")).isEqualTo(Arrays.copyOfRange(bundle, n - 16, n));
    r = get(mme.identity(), "bytes=" + (n - 5) + "-");
    assertThat((byte[]) r.get("body")).isEqualTo(Arrays.copyOfRange(bundle, n - 5, n));
    r = get(mme.identity(), "bytes=" + n + "-");
    assertThat(r).containsEntry("status", 416).containsEntry("range", "bytes */" + n);
    r = get(mme.identity(), null);
    assertThat(r).containsEntry("status", 200);
    assertThat((byte[]) r.get("body")).isEqualTo(bundle);
  }

  @Test
  @DisplayName("OBJ-1 feedback for another device's order: 403, audited, nothing changed")
  void feedback_forAnotherDevicesOrder_isRefused403AndChangesNothing() throws Exception {
    String order = f.orderId(deployment, "ag-mme");
    String before = f.targets(deployment).get("ag-mme");
    assertThatThrownBy(() -> other.client.feedback(
        new Feedback(order, "failed", null, List.of(), null)))
        .isInstanceOfSatisfying(DeviceApiException.class, e -> {
          assertThat(e.status()).isEqualTo(403);
          assertThat(e.code()).isEqualTo("NOT_AUTHORIZED");
        });
    assertThat(f.targets(deployment).get("ag-mme")).isEqualTo(before);
    assertThat(f.count("SELECT COUNT(*) FROM audit_log WHERE actor = 'device:ag-other' AND"
        + " action = 'ORDER_FEEDBACK' AND outcome = 'denied' AND target = ?", "order " + order))
        .isEqualTo(1);
  }

  @Test
  void feedback_throughToSuccess_recordsTheInstalledPackage_andIsFinal() throws Exception {
    TestDevice d = TestDevice.enroll(f.s, "ag-fb", "mme");
    f.update("UPDATE devices SET trust_state = 'trusted' WHERE id = 'ag-fb'");
    String id = f.running(DeployFixture.body(List.of("ag-fb")));
    f.scheduler.advanceAll();
    DeviceClient.PollAnswer issued = d.client.poll(null);
    String order = issued.poll().order().orderId();

    d.client.feedback(new Feedback(order, "downloading", 10, List.of(), null));
    DeviceClient.PollAnswer downloading = d.client.poll(issued.etag());
    assertThat(downloading.changed()).as("the state is in the ETag").isTrue();
    d.client.feedback(new Feedback(order, "installing", 90, List.of(), null));
    // A device may not lower the security version the rollback check reads, nor name another
    // package: refused, nothing recorded, the order still installing.
    for (InstalledPackage lie : List.of(
        new InstalledPackage(DeployFixture.PACKAGE, DeployFixture.VERSION, -5),
        new InstalledPackage("other-package", DeployFixture.VERSION, 1))) {
      assertThatThrownBy(() -> d.client.feedback(new Feedback(order, "succeeded", 100,
          List.of(), lie, "evidence"))).isInstanceOfSatisfying(DeviceApiException.class,
              e -> assertThat(e.code()).isEqualTo("BAD_INPUT"));
    }
    assertThat(f.targets(id)).containsEntry("ag-fb", "installing");
    assertThat(f.rows("SELECT name FROM device_packages WHERE device_id = 'ag-fb'")).isEmpty();
    d.client.feedback(new Feedback(order, "succeeded", 100, List.of(),
        new InstalledPackage(DeployFixture.PACKAGE, DeployFixture.VERSION, 1), "evidence"));

    assertThat(d.client.poll(downloading.etag()).poll().order()).isNull();
    assertThat(f.rows("SELECT version, security_version FROM device_packages WHERE device_id ="
        + " 'ag-fb' AND name = ?", DeployFixture.PACKAGE)).hasSize(1);
    assertThatThrownBy(() -> d.client.feedback(new Feedback(order, "failed", null,
        List.of(new ProblemReason("INTERNAL", "late", null)), null)))
        .isInstanceOfSatisfying(DeviceApiException.class,
            e -> assertThat(e.code()).isEqualTo("CONFLICT"));
    f.scheduler.advanceAll();
    assertThat(f.state(id)).isEqualTo("completed");
    assertThat(f.targets(id)).containsEntry("ag-fb", "succeeded");
  }

  /** The order-signing keys as a device learns them, for an {@link OrderVerifier}. */
  private static OrderVerifier verifier(String deviceId) throws Exception {
    Map<String, PublicKey> keys = new HashMap<>();
    for (OrderKey k : mme.client.orderKeys()) {
      String b64 = k.publicKey().replaceAll("-----[A-Z ]+-----|\\s", "");
      keys.put(k.kid(), KeyFactory.getInstance("EC")
          .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(b64))));
    }
    return OrderVerifier.of(keys, Clock.systemUTC(), deviceId);
  }

  /** A raw GET of the bundle with {@code range}, over the device's mutual TLS: status, range. */
  private static Map<String, Object> get(DeviceIdentity id, String range) throws Exception {
    SSLContext tls = DeviceEvidence.tls(id);
    URI url = URI.create(f.s.server.deviceUrl() + "/api/device/v1/bundles/" + f.bundleSha256);
    HttpsURLConnection c = (HttpsURLConnection) url.toURL().openConnection();
    c.setSSLSocketFactory(tls.getSocketFactory());
    if (range != null) {
      c.setRequestProperty("Range", range);
    }
    Map<String, Object> m = new HashMap<>();
    m.put("status", c.getResponseCode());
    m.put("range", String.valueOf(c.getHeaderField("Content-Range")));
    try (InputStream in = c.getResponseCode() < 400 ? c.getInputStream() : c.getErrorStream()) {
      m.put("body", in == null ? new byte[0] : in.readAllBytes());
    }
    return m;
  }
}
