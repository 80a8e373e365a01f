package org.neguard.server.device;

import jakarta.servlet.http.HttpServletRequest;
import java.security.cert.X509Certificate;
import java.util.function.Supplier;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1PrintableString;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.ASN1UTF8String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.neguard.server.DeviceListener;
import org.neguard.server.access.CurrentDevice;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.util.function.SingletonSupplier;

/**
 * The one decision of who a request is on the two ports (docs/DEPLOYMENTS.md, "The two ports").
 * On the agents' port only {@code /api/device/v1/**} and the package repository's files
 * ({@code /api/repo/v1/**}) exist (anything else is 404), a user's {@code Authorization} header
 * is refused (401: no bearer secret counts there), and a client certificate, which TLS has
 * already chained to the device CA, is admitted only when its subject is exactly the CA's
 * {@code CN=<device id>} ({@link #subject}), its serial is the current, unrevoked one of that
 * device and that device is not disabled, read from the database on every request (so a disable
 * or a renewal takes effect at the next request, on every replica). On the users' port {@code
 * /api/device/**} is 404 and no request ever carries a device.
 *
 * <p>Two filters act on it: {@link DeviceAuthentication}, which answers every refusal (and
 * audits it), and the poll's 304 path ({@code deploy.PollNotModified}), which answers only an
 * admitted device's unchanged poll and hands everything else to the first. Thread-safe.
 */
public final class DeviceGate {
  static final String PREFIX = "/api/device/v1/";
  /**
   * The TUF repository's files (docs/REPOSITORY.md), which devices read on this port and users
   * on theirs: the same paths on both, so that one base URL scheme serves every client.
   */
  static final String REPO_PREFIX = "/api/repo/v1/";
  private static final String CERTIFICATES = "jakarta.servlet.request.X509Certificate";

  private final DeviceListener listener;
  private final Supplier<Devices> devices;
  private final Supplier<LastSeen> lastSeen;

  // Providers: the web server, and with it the filters, is built before the database beans are,
  // and must not pull them. Each is resolved once, at the first request: resolving a provider
  // walks the bean factory (a tenth of a poll's CPU when done per request).
  DeviceGate(DeviceListener listener, ObjectProvider<Devices> devices,
      ObjectProvider<LastSeen> lastSeen) {
    this.listener = listener;
    this.devices = SingletonSupplier.of(devices::getObject);
    this.lastSeen = SingletonSupplier.of(lastSeen::getObject);
  }

  /** What the gate decided about a request. */
  public sealed interface Decision permits Pass, NotFound, Denied, Admitted {}

  /** Not a device's request: the users' port, or enrollment (no certificate); let it through. */
  public record Pass() implements Decision {}

  /** A path this port does not serve: 404 with {@code message}. */
  public record NotFound(String message) implements Decision {}

  /**
   * Refused: 401/403 with {@code reason}, audited as {@code actor} doing {@code what}, with
   * {@code detail} for the audit row.
   */
  public record Denied(String actor, String what, Reason reason, String detail)
      implements Decision {}

  /**
   * An admitted device (already noted as seen), the actor its audit rows name, and what was
   * read with its admission ({@link Devices.Joined}; null when nothing was asked).
   */
  public record Admitted<T>(CurrentDevice device, String actor, T joined) implements Decision {}

  /**
   * Decides {@code request}. Reads the database for a request with a device certificate only;
   * an admitted device is noted as seen ({@link LastSeen}, written in batches).
   */
  public Decision decide(HttpServletRequest request) {
    return decide(request, null);
  }

  /**
   * As {@link #decide(HttpServletRequest)}, reading {@code joined} (may be null) in the
   * admission's own statement; an {@link Admitted} carries it.
   */
  public <T> Decision decide(HttpServletRequest request, Devices.Joined<T> joined) {
    // The path as Tomcat maps it (decoded, dot segments resolved) and as sent: both must agree.
    String mapped = request.getServletPath()
        + (request.getPathInfo() == null ? "" : request.getPathInfo());
    String raw = request.getRequestURI();
    if (!listener.isDevicePort(request)) {
      if (isDevicePath(mapped) || isDevicePath(raw)) {
        return new NotFound("the agents' API is served on the agents' port only");
      }
      return new Pass();
    }
    if (!agentsPath(mapped, raw)) {
      return new NotFound("only the agents' API (" + PREFIX + "...) and the package repository ("
          + REPO_PREFIX + "...) are served on this port");
    }
    String what = request.getMethod() + " " + raw;
    if (request.getHeader("Authorization") != null) {
      return new Denied("anonymous", what, Reason.of(ReasonCode.NOT_AUTHENTICATED,
          "the agents' port accepts no Authorization header: a device authenticates with its"
              + " certificate (mutual TLS), a user on the users' port"), "Authorization header");
    }
    X509Certificate cert = request.getAttribute(CERTIFICATES) instanceof X509Certificate[] c
        && c.length > 0 ? c[0] : null;
    if (cert == null) {
      return new Pass(); // enrollment; device endpoints refuse it (401)
    }
    String serial = DeviceCertificates.serial(cert);
    Subject subject = subject(cert.getSubjectX500Principal());
    if (subject.deviceId() == null) {
      return new Denied("anonymous", what, Reason.of(ReasonCode.NOT_AUTHENTICATED,
          "the client certificate names no device: its subject must be exactly CN=<device id>,"
              + " as the device CA issues it; enroll the device to get one"),
          "certificate " + serial + " with subject " + Shapes.quoted(
              cert.getSubjectX500Principal().getName(X500Principal.RFC2253)) + ": "
              + subject.problem());
    }
    String deviceId = subject.deviceId();
    String actor = "device " + deviceId;
    Devices.Admission<T> admission = devices.get().admit(deviceId, serial, joined);
    Devices.Refusal refused = admission.refused();
    if (refused != null) {
      return new Denied(actor, what, refused.answer.reasons().get(0), refused.detail);
    }
    lastSeen.get().seen(deviceId);
    return new Admitted<>(new CurrentDevice(deviceId, serial, cert.getPublicKey()), actor,
        admission.joined());
  }

  /** Whether the path, as mapped and as sent, is one the agents' port serves. */
  private static boolean agentsPath(String mapped, String raw) {
    return (mapped.startsWith(PREFIX) && raw.startsWith(PREFIX))
        || (mapped.startsWith(REPO_PREFIX) && raw.startsWith(REPO_PREFIX));
  }

  private static boolean isDevicePath(String path) {
    return path.equals("/api/device") || path.startsWith("/api/device/");
  }

  /**
   * What a client certificate's subject names.
   *
   * @param deviceId the device id, or null when the subject names none
   * @param problem why it names none, or null
   */
  record Subject(String deviceId, String problem) {
    static Subject none(String problem) {
      return new Subject(null, problem);
    }
  }

  /**
   * The device a client certificate's subject names. Only the shape the device CA issues
   * ({@link DeviceCertificates#issue}) names one: a single RDN holding a single CN, its value a
   * PrintableString or UTF8String whose text is a device id. Anything else is refused rather
   * than read, because other readers of the same bytes (the JDK's principal, a log, an operator's
   * openssl, a later check) may pick another CN of several, read an extra attribute as part of
   * the name, or decode a TeletexString, BMPString or UniversalString otherwise.
   */
  static Subject subject(X500Principal principal) {
    X500Name name;
    try {
      name = X500Name.getInstance(principal.getEncoded());
    } catch (IllegalArgumentException e) {
      return Subject.none("the subject is not a readable X.500 name");
    }
    RDN[] rdns = name.getRDNs();
    if (rdns.length != 1) {
      return Subject.none("it has " + rdns.length + " RDNs, not one CN alone");
    }
    if (rdns[0].isMultiValued()) {
      return Subject.none("its RDN holds " + rdns[0].size() + " attributes, not one CN alone");
    }
    AttributeTypeAndValue cn = rdns[0].getFirst();
    if (!BCStyle.CN.equals(cn.getType())) {
      return Subject.none("its attribute is " + cn.getType().getId() + ", not CN");
    }
    if (!(cn.getValue() instanceof ASN1PrintableString
        || cn.getValue() instanceof ASN1UTF8String)) {
      return Subject.none("its CN is a " + cn.getValue().getClass().getSimpleName()
          + ", not a PrintableString or UTF8String");
    }
    String id = ((ASN1String) cn.getValue()).getString();
    if (!Shapes.DEVICE_ID.matcher(id).matches()) {
      return Subject.none("its CN " + Shapes.quoted(id) + " is not a device id");
    }
    return new Subject(id, null);
  }
}
