package org.neguard.api.device;

import java.util.List;

/**
 * {@code POST /api/devices/enrollment-tokens} (admin, operator).
 *
 * @param deviceId the only device id the token may enroll, or null for any the device names
 * @param neType the NE type the device must declare, or null for any
 * @param labels labels the device gets at enrollment (added to those it declares); may be null
 * @param ttlMinutes minutes until the token expires; null for the default (60), at most 10080
 */
public record EnrollmentTokenRequest(String deviceId, String neType, List<String> labels,
    Integer ttlMinutes) {}
