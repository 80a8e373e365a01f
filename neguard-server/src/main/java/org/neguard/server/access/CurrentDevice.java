package org.neguard.server.access;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Objects;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;

/**
 * The device a request on the agents' port was authenticated as: its certificate chained to the
 * device CA in the TLS handshake, and its serial is the device's current, unrevoked one (or its
 * previous one inside a renewal's bounded grace), and the device is not disabled (checked against
 * the database on every request).
 *
 * @param deviceId the device id (the certificate's subject CN)
 * @param certificateSerial the serial of the certificate presented, hex
 * @param publicKey the key of that certificate: the device key its evidence is signed with
 */
public record CurrentDevice(String deviceId, String certificateSerial,
    java.security.PublicKey publicKey) {
  /** The request attribute it is kept in. */
  public static final String ATTRIBUTE = CurrentDevice.class.getName();

  public CurrentDevice {
    Objects.requireNonNull(deviceId, "deviceId");
    Objects.requireNonNull(certificateSerial, "certificateSerial");
    Objects.requireNonNull(publicKey, "publicKey");
  }

  /** The device of this request, or null when none was authenticated. */
  public static CurrentDevice of(HttpServletRequest request) {
    return request.getAttribute(ATTRIBUTE) instanceof CurrentDevice d ? d : null;
  }

  /**
   * The device of the current request, for a handler that only devices reach: the access filter
   * admits no request to one without a device (fail closed), so none here is the server's fault.
   *
   * @throws org.neguard.server.web.ApiException NOT_AUTHENTICATED when there is none
   */
  public static CurrentDevice required() {
    CurrentDevice d = current();
    if (d == null) {
      throw org.neguard.server.web.ApiException.of(org.neguard.verdict.ReasonCode
          .NOT_AUTHENTICATED, "no device certificate");
    }
    return d;
  }

  /** The device of the current request, or null. */
  public static CurrentDevice current() {
    RequestAttributes a = RequestContextHolder.getRequestAttributes();
    return a != null && a.getAttribute(ATTRIBUTE, RequestAttributes.SCOPE_REQUEST)
        instanceof CurrentDevice d ? d : null;
  }
}
