package org.neguard.agent.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.attest.EvidenceSubmission;
import org.neguard.api.device.CertificateIssued;
import org.neguard.api.device.CertificateRequest;
import org.neguard.api.device.EnrollRequest;
import org.neguard.api.device.Enrolled;
import org.neguard.api.device.Feedback;
import org.neguard.api.device.InstalledPackage;
import org.neguard.api.device.InventoryVerdict;
import org.neguard.api.device.PackageReport;
import org.neguard.api.device.PackageVerdict;
import org.neguard.api.device.OrderKey;
import org.neguard.api.device.Poll;
import org.neguard.api.problem.ProblemReason;
import org.neguard.measure.Sha256;

/**
 * A device's client of the agents' API (docs/DEPLOYMENTS.md, "The agents' API"). The agents'
 * port is trusted only through the device CA: before enrollment the CA certificate handed out
 * with the token, or its SHA-256 pin; after, the CA of the device's identity. Every request
 * after enrollment presents the device certificate (mutual TLS); no bearer secret exists.
 *
 * <p>Built for many devices in one JVM ({@code neguard sim agents}): blocking {@link
 * HttpsURLConnection}s on one {@link SSLSocketFactory} per device, whose connections the JDK keeps
 * alive per factory; no thread of its own. Answers are bounded ({@link #MAX_ANSWER} bytes, a
 * bundle its announced length). Thread-safe; one device's requests may run concurrently.
 */
public final class DeviceClient {
  /** The most of a JSON answer read. */
  public static final int MAX_ANSWER = 1 << 20;
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+)");

  private final URI base;
  private final Trust trust;
  private final Duration timeout;
  /** Makes the key pair of an enrollment or renewal: here, or in the TPM. */
  private final DeviceKeys keys;
  private volatile DeviceIdentity identity;
  private volatile SSLSocketFactory sockets;
  private volatile boolean keepAlive = true;
  /** The key of this client's enrollment, kept across its attempts. */
  private KeyPair enrolling;
  /** How {@link #enrollInto} came by {@link #enrolling}: new, reused or discarded: why. */
  private String enrollingKey;

  /**
   * How the agents' port is trusted before the device has an identity.
   *
   * @param ca the device CA certificate, or null when pinned
   * @param pin SHA-256 of the CA certificate's DER, hex, or null when the CA is given
   */
  public record Trust(X509Certificate ca, String pin) {
    public Trust {
      if ((ca == null) == (pin == null)) {
        throw new IllegalArgumentException("give the CA certificate or its pin, one of them");
      }
      if (pin != null && !SHA256.matcher(pin).matches()) {
        throw new IllegalArgumentException("pin is not 64 lower-case hex digits: " + pin);
      }
    }

    /** Trusts the device CA given as PEM (an enrollment token's {@code caCertificate}). */
    public static Trust ca(String pem) throws IOException {
      return new Trust(DeviceIdentity.certificate(pem), null);
    }

    /** Trusts the CA whose DER has this SHA-256 (an enrollment token's {@code caSha256}). */
    public static Trust pin(String sha256) {
      return new Trust(null, sha256.toLowerCase(java.util.Locale.ROOT));
    }

    boolean admits(X509Certificate candidate) {
      return ca != null ? ca.equals(candidate) : pin.equals(DeviceIdentity.sha256(candidate));
    }
  }

  /** A poll's answer: {@code poll} is null when nothing changed (304). */
  public record PollAnswer(boolean changed, String etag, Poll poll) {}

  private DeviceClient(URI base, Trust trust, DeviceIdentity identity, Duration timeout,
      DeviceKeys keys) {
    this.base = Objects.requireNonNull(base, "base");
    this.keys = Objects.requireNonNull(keys, "keys");
    if (!"https".equals(base.getScheme())) {
      throw new IllegalArgumentException("the agents' API is HTTPS only: " + base);
    }
    this.trust = trust;
    this.timeout = timeout;
    this.identity = identity;
    this.sockets = sockets(identity, trust);
  }

  /** A client that has yet to enroll, trusting the agents' port through {@code trust} only. */
  public static DeviceClient enrolling(URI deviceUrl, Trust trust) {
    return enrolling(deviceUrl, trust, DeviceKeys.FILE);
  }

  /** As {@link #enrolling(URI, Trust)}, the key pair made by {@code keys} (a TPM's). */
  public static DeviceClient enrolling(URI deviceUrl, Trust trust, DeviceKeys keys) {
    return new DeviceClient(deviceUrl, Objects.requireNonNull(trust, "trust"), null,
        Duration.ofSeconds(30), keys);
  }

  /** A client of an enrolled device (its identity loaded, say, after a restart). */
  public static DeviceClient of(URI deviceUrl, DeviceIdentity identity) {
    return of(deviceUrl, identity, DeviceKeys.FILE);
  }

  /** As {@link #of(URI, DeviceIdentity)}, a renewal's key pair made by {@code keys}. */
  public static DeviceClient of(URI deviceUrl, DeviceIdentity identity, DeviceKeys keys) {
    return new DeviceClient(deviceUrl, new Trust(identity.ca(), null),
        Objects.requireNonNull(identity, "identity"), Duration.ofSeconds(30), keys);
  }

  /**
   * As {@link #of(URI, DeviceIdentity)}, each connect and read bounded by {@code timeout} (a
   * reachability probe of {@code neguard agent status} waits seconds, not the loop's 30).
   */
  public static DeviceClient of(URI deviceUrl, DeviceIdentity identity, Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    return new DeviceClient(deviceUrl, new Trust(identity.ca(), null),
        Objects.requireNonNull(identity, "identity"), timeout, DeviceKeys.FILE);
  }

  /** The device's identity, or null before enrollment. */
  public DeviceIdentity identity() {
    return identity;
  }

  public URI baseUrl() {
    return base;
  }

  /**
   * Enrolls: generates a key pair (here, or in the TPM: {@link DeviceKeys}), sends a CSR with
   * the one-time token, and keeps the certificate the server issues. The CA the server names
   * must be the one trusted. Called again after an I/O error, it sends the same key: the server
   * answers a device that lost its answer again (docs/DEPLOYMENTS.md, "Enrollment").
   *
   * @return the server's answer (with the order keys); {@link #identity()} is set from now on
   * @throws DeviceApiException the server's refusal (401 a spent, expired or unknown token, 403
   *     a token bound elsewhere, 409 an id already enrolled, 400 bad input), or the client's
   *     (a CA other than the trusted one)
   */
  public synchronized Enrolled enroll(String token, String deviceId, String neType,
      List<String> labels, List<InstalledPackage> installed)
      throws IOException, DeviceApiException {
    requireUnenrolled();
    // The same key for every attempt of this client: a device whose answer was lost asks again
    // with its token and key, and the server certifies that key again (and no other).
    if (enrolling == null) {
      enrolling = keys.newKeyPair();
    }
    Issued issued = requestEnrollment(token, deviceId, neType, labels, installed);
    use(issued.identity());
    return issued.answer();
  }

  /** An enrollment done: the server's answer, and the key it certified. */
  public record Enrollment(Enrolled answer, String pendingKey) {}

  /**
   * Enrolls, as {@link #enroll}, crash-safely into the identity directory {@code dir}: the key of
   * an enrollment that was sent but not answered before the agent stopped is reused, else a new
   * key pair is made and saved as pending ({@link DeviceIdentity#savePending}) before the
   * request; the identity issued is saved in {@code dir} before it is used. So a device whose
   * answer was lost asks again with its token and the same key after a restart too, and the
   * server certifies that key again (docs/DEPLOYMENTS.md, "Enrollment"). Called again after an
   * I/O error (the save's included), it sends the same key without reading {@code dir}.
   *
   * @return the server's answer and {@code pendingKey}: {@code new}, {@code reused}, or {@code
   *     discarded: <why>} when an unusable pending key was dropped and a new one made (said by
   *     every attempt of this client, not only the first)
   * @throws IllegalStateException {@code dir} holds a certificate: a device identity to load
   * @throws IOException also when a pending key's holder (a TPM) fails this time: the key is
   *     kept for the next attempt ({@link DeviceIdentity#pendingKey})
   * @throws DeviceApiException as {@link #enroll}
   */
  public synchronized Enrollment enrollInto(Path dir, String token, String deviceId,
      String neType, List<String> labels, List<InstalledPackage> installed)
      throws IOException, DeviceApiException {
    requireUnenrolled();
    if (enrolling == null) {
      DeviceIdentity.directory(dir);
      if (Files.exists(dir.resolve(DeviceIdentity.CERTIFICATE))) {
        throw new IllegalStateException(dir + " holds a device identity: load it");
      }
      DeviceIdentity.Pending pending = DeviceIdentity.pendingKey(dir, keys, null);
      KeyPair pair = pending.keyPair();
      enrollingKey = "reused";
      if (pair == null) {
        enrollingKey = pending.discarded() == null ? "new" : "discarded: " + pending.discarded();
        // No certificate and no pending key: nothing here can need a file key left by an
        // attempt whose marker was lost, and one left could later be taken for the identity's.
        for (Path stray : DeviceIdentity.fileKeys(dir)) {
          Files.delete(stray);
        }
        pair = keys.newKeyPair();
        DeviceIdentity.savePending(dir, pair);
      }
      enrolling = pair;
    }
    Issued issued = requestEnrollment(token, deviceId, neType, labels, installed);
    // Saved before it is used: a save that fails leaves this client unenrolled, and its next
    // attempt asks again with the same key.
    issued.identity().save(dir);
    use(issued.identity());
    return new Enrollment(issued.answer(), enrollingKey);
  }

  /** The server's answer to an enrollment and the identity it makes, not yet in use. */
  private record Issued(Enrolled answer, DeviceIdentity identity) {}

  /** Sends the enrollment with {@link #enrolling} and checks the CA the answer names. */
  private Issued requestEnrollment(String token, String deviceId, String neType,
      List<String> labels, List<InstalledPackage> installed)
      throws IOException, DeviceApiException {
    Enrolled e = json("/api/device/v1/enroll", new EnrollRequest(token, deviceId,
        neType, labels, DeviceIdentity.csr(deviceId, enrolling), installed), Enrolled.class,
        201);
    X509Certificate ca = DeviceIdentity.certificate(e.caCertificate());
    if (!trust.admits(ca)) {
      throw DeviceApiException.local("CERT_UNTRUSTED", "the server named a device CA other"
          + " than the trusted one (SHA-256 " + DeviceIdentity.sha256(ca) + ")");
    }
    return new Issued(e, new DeviceIdentity(deviceId, enrolling,
        DeviceIdentity.certificate(e.certificate()), ca));
  }

  private void requireUnenrolled() {
    if (identity != null) {
      throw new IllegalStateException("already enrolled as " + identity.deviceId());
    }
  }

  /** Polls: 304 (nothing changed since {@code etag}) or what the device must do now. */
  public PollAnswer poll(String etag) throws IOException, DeviceApiException {
    HttpsURLConnection c = open("GET", "/api/device/v1/poll");
    if (etag != null) {
      c.setRequestProperty("If-None-Match", etag);
    }
    int status = c.getResponseCode();
    if (status == 304) {
      drain(c, status);
      return new PollAnswer(false, etag, null);
    }
    byte[] body = answer(c, status, 200);
    return new PollAnswer(true, c.getHeaderField("ETag"), WireJson.read(body, Poll.class));
  }

  /** Reports progress or the final status of an order (204). */
  public void feedback(Feedback feedback) throws IOException, DeviceApiException {
    json("/api/device/v1/feedback", feedback, Void.class, 204);
  }

  /**
   * Answers the validation entity's challenge ({@code Poll.attestation}) with signed evidence
   * over its nonce (docs/AGENT.md, "Attestation").
   *
   * @return the validation entity's judgement of the evidence
   * @throws DeviceApiException the server's refusal (400 not evidence, 403 not this device's,
   *     409 the nonce already judged or expired)
   */
  public AttestationResult evidence(EvidenceSubmission submission)
      throws IOException, DeviceApiException {
    return json("/api/device/v1/evidence", Objects.requireNonNull(submission,
        "submission"), AttestationResult.class, 200);
  }

  /**
   * Sends the device's socket inventory (port drift, HRD-1, HRD-4): {@code observation} is the
   * JSON of the hardening audit's observation ({@code ObservationCodec}), sent as given.
   *
   * @return the server's judgement against the policy of the device's NE type
   * @throws DeviceApiException the server's refusal (400 not an inventory, 413 too large)
   */
  public InventoryVerdict reportInventory(byte[] observation)
      throws IOException, DeviceApiException {
    return WireJson.read(post("/api/device/v1/inventory", observation, 200),
        InventoryVerdict.class);
  }

  /**
   * Sends what the device runs (issue 16): its installed OS packages (or only their digest when
   * unchanged) and the package owning each listening socket's executable.
   *
   * @return the server's answer; {@code PACKAGES_NEEDED} asks for the list of the digest
   * @throws DeviceApiException the server's refusal (422 MALFORMED an impossible package list,
   *     413 too large)
   */
  public PackageVerdict reportPackages(PackageReport report)
      throws IOException, DeviceApiException {
    return json("/api/device/v1/packages", Objects.requireNonNull(report, "report"),
        PackageVerdict.class, 200);
  }

  /** Every order-signing key the server has used, retired ones too. */
  public List<OrderKey> orderKeys() throws IOException, DeviceApiException {
    HttpsURLConnection c = open("GET", "/api/device/v1/order-keys");
    byte[] body = answer(c, c.getResponseCode(), 200);
    return WireJson.readList(body, OrderKey.class);
  }

  /**
   * Asks for a credential binding this device's TPM attestation key (docs/MEASUREMENT.md,
   * "Binding the attestation key to the TPM").
   *
   * @throws DeviceApiException 409 CONFLICT when the device's TPM is already bound (an operator
   *     must remove the binding first), 422 when a public area is not an EK or AK NEGuard
   *     accepts
   */
  public org.neguard.api.attest.TpmCredential tpmCredential(
      org.neguard.api.attest.TpmCredentialRequest request) throws IOException, DeviceApiException {
    return json("/api/device/v1/tpm/credential", request,
        org.neguard.api.attest.TpmCredential.class, 200);
  }

  /**
   * Returns the secret the TPM recovered from the credential; the server then binds the AK.
   *
   * @throws DeviceApiException 403 NOT_AUTHORIZED for a wrong secret, 409 CONFLICT when no
   *     credential is outstanding (used, expired) or the device is already bound
   */
  public org.neguard.api.attest.TpmBound tpmActivate(
      org.neguard.api.attest.TpmActivation activation) throws IOException, DeviceApiException {
    return json("/api/device/v1/tpm/activate", activation,
        org.neguard.api.attest.TpmBound.class, 200);
  }

  /**
   * Renews the device certificate for a new key pair (made as at enrollment), in memory only
   * ({@code neguard sim agents}); this client uses the new one from now on, and its first
   * request with it ends the old one's grace on the server. An agent renews with {@link
   * #renewInto(Path)}.
   *
   * @return the new identity
   */
  public DeviceIdentity renew() throws IOException, DeviceApiException {
    DeviceIdentity next = requestRenewal(keys.newKeyPair());
    use(next);
    return next;
  }

  /**
   * Asks the server for a certificate for {@code pair} and returns the identity it makes; saves
   * nothing and keeps using the current identity (the one step of {@link #renewInto(Path)} that a
   * crash may separate from the save).
   */
  public DeviceIdentity requestRenewal(KeyPair pair) throws IOException, DeviceApiException {
    DeviceIdentity current = requireIdentity();
    CertificateIssued issued = json("/api/device/v1/certificate",
        new CertificateRequest(DeviceIdentity.csr(current.deviceId(), pair)),
        CertificateIssued.class, 200);
    X509Certificate cert = DeviceIdentity.certificate(issued.certificate());
    if (!java.util.Arrays.equals(cert.getPublicKey().getEncoded(),
        pair.getPublic().getEncoded())) {
      throw DeviceApiException.local("KEY_MISMATCH", "the server issued a certificate for"
          + " another key than the one requested");
    }
    return current.renewed(pair, cert);
  }

  /** A renewal done: the new identity, and what became of a pending key found in the directory. */
  public record Renewal(DeviceIdentity identity, String pendingKey) {}

  /**
   * Renews the device certificate crash-safely into the identity directory {@code dir}
   * (docs/AGENT.md, "The device identity and its renewal"): the pending key an interrupted
   * renewal left is reused, else a new key pair is made and saved as pending ({@link
   * DeviceIdentity#savePending}) before the request; the certificate issued is then saved, its
   * rename switching key and certificate together ({@link DeviceIdentity#save}), and used at once
   * for one request, which makes the server revoke the old certificate now rather than at the
   * end of its grace. A crash or failure anywhere leaves the old identity or the new one on disk,
   * and the server admits the old one until the new one is first used (bounded).
   *
   * @return the new identity (in use from now on) and {@code pendingKey}: {@code new}, {@code
   *     reused}, or {@code discarded: <why>} when an unusable pending key was dropped
   */
  public Renewal renewInto(Path dir) throws IOException, DeviceApiException {
    DeviceIdentity current = requireIdentity();
    DeviceIdentity.Pending pending = DeviceIdentity.pendingKey(dir, keys, current);
    KeyPair pair = pending.keyPair();
    String how = "reused";
    if (pair == null) {
      how = pending.discarded() == null ? "new" : "discarded: " + pending.discarded();
      pair = keys.newKeyPair();
      DeviceIdentity.savePending(dir, pair);
    }
    DeviceIdentity next = requestRenewal(pair);
    next.save(dir);
    use(next);
    orderKeys(); // the first use of the new certificate: the old one's grace ends now
    return new Renewal(next, how);
  }

  /**
   * Downloads the bundle {@code sha256} into {@code target}, resuming with {@code Range} from
   * what {@code target} already holds, then checks its length and SHA-256; a file that fails
   * the check is deleted.
   *
   * @param length the bundle's length in bytes (from the signed order)
   * @throws DeviceApiException the server's refusal (403 a bundle none of this device's orders
   *     names), or {@code DIGEST_MISMATCH} / {@code SIZE_LIMIT} when the file is not the one
   */
  public void downloadBundle(String sha256, long length, Path target)
      throws IOException, DeviceApiException {
    if (sha256 == null || !SHA256.matcher(sha256).matches()) {
      throw new IllegalArgumentException("sha256 is not 64 lower-case hex digits: " + sha256);
    }
    if (length < 0) {
      throw new IllegalArgumentException("length < 0: " + length);
    }
    for (int attempt = 0; attempt < 2; attempt++) {
      long have = Files.exists(target) ? Files.size(target) : 0;
      if (have > length) {
        Files.delete(target);
        have = 0;
      }
      if (have == length && length > 0) {
        break;
      }
      HttpsURLConnection c = open("GET", "/api/device/v1/bundles/" + sha256);
      if (have > 0) {
        c.setRequestProperty("Range", "bytes=" + have + "-");
      }
      int status = c.getResponseCode();
      if (status == 416) {
        // What we hold is not a prefix the server can continue: start over, once.
        drain(c, status);
        Files.deleteIfExists(target);
        continue;
      }
      boolean append;
      if (status == 206) {
        Matcher m = CONTENT_RANGE.matcher(String.valueOf(c.getHeaderField("Content-Range")));
        if (!m.matches() || Long.parseLong(m.group(1)) != have
            || Long.parseLong(m.group(3)) != length) {
          c.disconnect();
          throw DeviceApiException.local("MALFORMED", "the server answered a range of "
              + c.getHeaderField("Content-Range") + " for bytes=" + have + "- of " + length);
        }
        append = true;
      } else if (status == 200) {
        append = false;
      } else {
        answer(c, status, 200); // throws the server's refusal
        return;
      }
      long room = length - (append ? have : 0);
      try (InputStream in = c.getInputStream();
          OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE,
              StandardOpenOption.WRITE, append ? StandardOpenOption.APPEND
                  : StandardOpenOption.TRUNCATE_EXISTING)) {
        byte[] buf = new byte[64 * 1024];
        long written = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
          if (written + n > room) {
            c.disconnect();
            Files.deleteIfExists(target);
            throw DeviceApiException.local("SIZE_LIMIT", "the bundle " + sha256
                + " is longer than the order's " + length + " bytes");
          }
          out.write(buf, 0, n);
          written += n;
        }
      }
      break;
    }
    long size = Files.exists(target) ? Files.size(target) : -1;
    String digest = size < 0 ? "none" : Sha256.hex(target);
    if (size != length || !digest.equals(sha256)) {
      Files.deleteIfExists(target);
      throw DeviceApiException.local("DIGEST_MISMATCH", "the downloaded bundle has " + size
          + " bytes and SHA-256 " + digest + ", not " + length + " and " + sha256);
    }
  }

  /**
   * A TUF {@link org.neguard.tuf.Fetcher} for the repository the server serves on the agents'
   * port ({@code /api/repo/v1}): the same mutual TLS as every other request of this device (its
   * certificate, the device CA as the only trust anchor), redirects not followed. 404 and 410
   * are "no such file"; any other status other than 200 is an {@link IOException}.
   */
  public org.neguard.tuf.Fetcher repositoryFetcher() {
    requireIdentity();
    return (uri, maxBytes) -> {
      if (!"https".equals(uri.getScheme())) {
        throw new IOException("the repository on the agents' port is HTTPS only: " + uri);
      }
      HttpsURLConnection c = (HttpsURLConnection) uri.toURL().openConnection();
      c.setSSLSocketFactory(sockets);
      c.setRequestMethod("GET");
      c.setConnectTimeout((int) timeout.toMillis());
      c.setReadTimeout((int) timeout.toMillis());
      c.setUseCaches(false);
      c.setInstanceFollowRedirects(false);
      int status = c.getResponseCode();
      if (status == 404 || status == 410) {
        drain(c, status);
        return java.util.Optional.empty();
      }
      if (status != 200) {
        c.disconnect();
        throw new IOException("HTTP " + status + " for " + uri);
      }
      long declared = c.getContentLengthLong();
      if (declared > maxBytes) {
        c.disconnect();
        throw new IOException(uri + " announces " + declared + " bytes, above " + maxBytes);
      }
      return java.util.Optional.of(c.getInputStream());
    };
  }

  /**
   * Whether this client's connections stay open for its next requests (the default). Without,
   * each request asks the server to close its connection once it has answered ({@code
   * Connection: close}): a device that talks rarely then holds no connection, on either side,
   * between its requests ({@code sim agents --no-keep-alive}: a fleet larger than the open files
   * of one process). {@link KeptPoll} has its own connection, which its owner closes.
   */
  public void keepAlive(boolean keep) {
    this.keepAlive = keep;
  }

  // --- transport ------------------------------------------------------------------------------

  /** The TLS sockets of the current identity: a renewal replaces them ({@link KeptPoll}). */
  SSLSocketFactory socketFactory() {
    return sockets;
  }

  Duration timeout() {
    return timeout;
  }

  private DeviceIdentity requireIdentity() {
    DeviceIdentity id = identity;
    if (id == null) {
      throw new IllegalStateException("not enrolled: enroll first or load an identity");
    }
    return id;
  }

  private synchronized void use(DeviceIdentity id) {
    this.sockets = sockets(id, new Trust(id.ca(), null));
    this.identity = id;
  }

  private <T> T json(String path, Object body, Class<T> type, int expected)
      throws IOException, DeviceApiException {
    byte[] answer = post(path, WireJson.write(body), expected);
    return type == Void.class ? null : WireJson.read(answer, type);
  }

  /**
   * POSTs {@code body} (JSON) once. In streaming mode because the JDK otherwise sends a POST
   * again by itself when reading its answer fails ({@code sun.net.http.retryPost}, on by
   * default): the copy would spend an enrollment token or judge a nonce a second time and turn a
   * lost answer into a refusal. The price: the JDK drops the body of a 401 in streaming mode,
   * so that refusal is described here instead of by the server's problem.
   */
  private byte[] post(String path, byte[] body, int expected)
      throws IOException, DeviceApiException {
    HttpsURLConnection c = open("POST", path);
    c.setDoOutput(true);
    c.setFixedLengthStreamingMode(body.length);
    c.setRequestProperty("Content-Type", "application/json");
    try (OutputStream out = c.getOutputStream()) {
      out.write(body);
    }
    int status = c.getResponseCode();
    if (status == HttpURLConnection.HTTP_UNAUTHORIZED && c.getErrorStream() == null) {
      throw new DeviceApiException(status, List.of(new ProblemReason("NOT_AUTHENTICATED",
          "the server refused this request's credentials: an enrollment token unknown, already"
              + " used or expired, or a device certificate it no longer accepts (its audit log"
              + " says which)", null)));
    }
    return answer(c, status, expected);
  }

  private HttpsURLConnection open(String method, String path) throws IOException {
    URL url = base.resolve(path).toURL();
    HttpsURLConnection c = (HttpsURLConnection) url.openConnection();
    c.setSSLSocketFactory(sockets);
    c.setRequestMethod(method);
    c.setConnectTimeout((int) timeout.toMillis());
    c.setReadTimeout((int) timeout.toMillis());
    c.setUseCaches(false);
    c.setInstanceFollowRedirects(false);
    c.setRequestProperty("Accept", "application/json");
    if (!keepAlive) {
      // The one value of this header the JDK lets a caller set: the server closes once it has
      // answered, and the JDK does not keep the connection.
      c.setRequestProperty("Connection", "close");
    }
    return c;
  }

  /**
   * The body of an answer of status {@code expected}; any other status is the server's refusal,
   * its problem body read (bounded) into the exception.
   */
  private static byte[] answer(HttpsURLConnection c, int status, int expected)
      throws IOException, DeviceApiException {
    if (status == expected) {
      try (InputStream in = c.getInputStream()) {
        return read(c, in);
      }
    }
    byte[] body;
    try (InputStream in = c.getErrorStream()) {
      body = in == null ? new byte[0] : read(c, in);
    }
    throw refusal(status, body);
  }

  /** The server's refusal: its problem's reasons, or one saying the body had none. */
  static DeviceApiException refusal(int status, byte[] body) {
    List<ProblemReason> reasons;
    try {
      reasons = WireJson.reasons(body);
    } catch (IOException | RuntimeException e) {
      reasons = List.of(new ProblemReason(status >= 500 ? "INTERNAL" : "MALFORMED",
          "HTTP " + status + " without a problem body", null));
    }
    return new DeviceApiException(status, reasons);
  }

  private static void drain(HttpsURLConnection c, int status) throws IOException {
    try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
      if (in != null) {
        read(c, in);
      }
    }
  }

  /** Reads a whole answer of at most {@link #MAX_ANSWER} bytes, so the connection is reused. */
  private static byte[] read(HttpsURLConnection c, InputStream in) throws IOException {
    long declared = c.getContentLengthLong();
    if (declared > MAX_ANSWER) {
      c.disconnect();
      throw new IOException("the server's answer of " + declared + " bytes is larger than "
          + MAX_ANSWER);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    for (int n; (n = in.read(buf)) > 0; ) {
      if (out.size() + n > MAX_ANSWER) {
        c.disconnect();
        throw new IOException("the server's answer is larger than " + MAX_ANSWER + " bytes");
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  /**
   * One socket factory per device (the JDK pools kept-alive connections per factory): the
   * device's key and certificate, if enrolled, and trust in the device CA only. Cheap enough for
   * ten thousand devices in one JVM: the key manager is the device's one key, no key store, and
   * the trust manager of a CA is built once and shared (it holds no state).
   */
  private static SSLSocketFactory sockets(DeviceIdentity id, Trust trust) {
    try {
      SSLContext tls = SSLContext.getInstance("TLS");
      KeyManager[] keys = id == null ? null : new KeyManager[] {new OneKey(id)};
      tls.init(keys, new TrustManager[] {trustManager(trust)}, null);
      return new P256Sockets(tls.getSocketFactory());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot set up TLS for the agents' API", e);
    }
  }

  /** The device's one key and certificate, offered whatever the server asks for. */
  private static final class OneKey extends X509ExtendedKeyManager {
    private static final String ALIAS = "device";
    private final DeviceIdentity id;

    OneKey(DeviceIdentity id) {
      this.id = id;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return ALIAS;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers,
        SSLEngine engine) {
      return ALIAS;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return new String[] {ALIAS};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return ALIAS.equals(alias) ? new X509Certificate[] {id.certificate()} : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return ALIAS.equals(alias) ? id.keyPair().getPrivate() : null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return null;
    }
  }

  private static X509TrustManager trustManager(Trust trust) throws GeneralSecurityException {
    if (trust.ca() != null) {
      return anchoredOn(trust.ca());
    }
    // Pinned: the CA comes in the server's chain; it is trusted if its SHA-256 is the pin, and
    // the chain must then validate with it as the only anchor.
    return new X509TrustManager() {
      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType)
          throws CertificateException {
        for (X509Certificate c : chain) {
          if (trust.admits(c)) {
            try {
              anchoredOn(c).checkServerTrusted(chain, authType);
              return;
            } catch (GeneralSecurityException e) {
              throw new CertificateException("the agents' port certificate does not chain to"
                  + " the pinned CA", e);
            }
          }
        }
        throw new CertificateException("no certificate in the agents' port chain has the"
            + " pinned SHA-256 " + trust.pin());
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType)
          throws CertificateException {
        throw new CertificateException("a device client trusts no clients");
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
  }

  /** Trust managers by CA: a fleet in one JVM shares its CA's (they hold no state). */
  private static final Map<X509Certificate, X509TrustManager> ANCHORED =
      new ConcurrentHashMap<>();

  private static X509TrustManager anchoredOn(X509Certificate ca)
      throws GeneralSecurityException {
    X509TrustManager known = ANCHORED.get(ca);
    if (known != null) {
      return known;
    }
    X509TrustManager made = newAnchoredOn(ca);
    if (ANCHORED.size() < 16) { // a few CAs at most; never a cache that grows without bound
      ANCHORED.putIfAbsent(ca, made);
    }
    return made;
  }

  private static X509TrustManager newAnchoredOn(X509Certificate ca)
      throws GeneralSecurityException {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setCertificateEntry("device-ca", ca);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(ks);
      for (TrustManager tm : tmf.getTrustManagers()) {
        if (tm instanceof X509TrustManager x) {
          return x;
        }
      }
      throw new GeneralSecurityException("no X.509 trust manager");
    } catch (IOException e) {
      throw new GeneralSecurityException("cannot hold the device CA", e);
    }
  }
}
