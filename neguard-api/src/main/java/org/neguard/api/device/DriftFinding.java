package org.neguard.api.device;

/**
 * A port drift finding (HRD-1, HRD-4): a port open on a device that its NE type's hardening
 * policy does not declare, or a forbidden service. Opened by the inventory that first showed it,
 * resolved by the first later complete inventory that no longer does ({@code GET
 * /api/devices/{id}/drift}).
 *
 * @param id the finding's number, unique on the server
 * @param deviceId the device
 * @param port the socket
 * @param kind {@code UNDECLARED} (not on the declared list) or {@code FORBIDDEN} (HRD-5 or an
 *     operator's rule)
 * @param rule the forbidden rule's id ({@code telnet}), or null
 * @param process the owning process as the agent saw it ({@code 1234 nc}), or null
 * @param detail what the evaluation said, with what to do
 * @param policyVersion the policy version that judged it when opened
 * @param openedAt ISO-8601 instant of the inventory that showed it
 * @param resolvedAt ISO-8601 instant of the inventory that showed it gone, or null while open
 * @param resolution how it ended ({@code closed}, {@code allowed by policy version 3}), or null
 */
public record DriftFinding(long id, String deviceId, ListeningPort port, String kind, String rule,
    String process, String detail, int policyVersion, String openedAt, String resolvedAt,
    String resolution) {}
