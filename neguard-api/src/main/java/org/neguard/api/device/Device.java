package org.neguard.api.device;

import java.util.List;

/**
 * A device as users see it ({@code GET /api/devices}, {@code /api/devices/{id}}).
 *
 * @param trustState {@code unknown}, {@code trusted}, {@code quarantined} or {@code disabled}
 * @param lastSeen ISO-8601 instant of the last request (written in batches, seconds late), or
 *     null
 * @param certificateSerial the current device certificate's serial, hex
 * @param disabledAt ISO-8601 instant, or null
 */
public record Device(String id, String neType, List<String> labels,
    List<InstalledPackage> installed, String trustState, String enrolledAt, String lastSeen,
    String certificateSerial, String certificateNotAfter, String disabledAt, String disabledBy) {}
