package org.neguard.api.device;

import java.util.List;

/**
 * {@code POST /api/device/v1/enroll}: the only device request without a client certificate.
 *
 * @param token the one-time enrollment token
 * @param deviceId the id the device asks for: 1 to 64 of {@code [A-Za-z0-9._-]}, starting with a
 *     letter or digit; the certificate's subject CN
 * @param neType the device's NE type
 * @param labels labels the device declares; may be null
 * @param csr a PKCS#10 certificate request (PEM), signed by the key pair the device generated,
 *     its subject CN the device id
 * @param installed what the device runs now; may be null
 */
public record EnrollRequest(String token, String deviceId, String neType, List<String> labels,
    String csr, List<InstalledPackage> installed) {}
