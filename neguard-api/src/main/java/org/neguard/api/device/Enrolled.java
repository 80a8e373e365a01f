package org.neguard.api.device;

import java.util.List;

/**
 * The answer to an enrollment: the device certificate and what the device trusts from now on.
 *
 * @param certificate the device certificate (PEM), issued by the device CA
 * @param caCertificate the device CA certificate (PEM)
 * @param notAfter ISO-8601 instant the certificate expires; renew before
 * @param orderKeys the keys that sign deployment orders
 */
public record Enrolled(String deviceId, String certificate, String caCertificate,
    String notAfter, List<OrderKey> orderKeys) {}
