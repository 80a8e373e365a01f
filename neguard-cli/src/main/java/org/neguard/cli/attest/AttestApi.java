package org.neguard.cli.attest;

import static org.neguard.cli.support.ServerClient.encode;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.neguard.api.attest.AttestationPolicy;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.attest.BaselineInfo;
import org.neguard.api.attest.DeviceTrust;
import org.neguard.cli.support.ServerClient;
import org.neguard.verdict.RefusalException;

/**
 * The validation entity's user API (docs/ATTESTATION.md) over a {@link ServerClient}: the
 * requests of {@code neguard attest} and of the integrity evidence, each bound to its record of
 * {@code org.neguard.api.attest}. Kept beside the commands rather than in ServerClient so the
 * attestation API is read in one place. Thread-safe.
 */
public final class AttestApi {
  private final ServerClient server;

  public AttestApi(ServerClient server) {
    this.server = server;
  }

  /** {@code POST /api/devices/{id}/attestations}: a fresh challenge (202, reason REQUESTED). */
  public AttestationResult request(String deviceId) throws IOException, RefusalException {
    return server.post("/api/devices/" + encode(deviceId) + "/attestations", Map.of(),
        AttestationResult.class);
  }

  /** {@code GET /api/attestations/{id}}. */
  public AttestationResult attestation(String id) throws IOException, RefusalException {
    return server.get("/api/attestations/" + encode(id), AttestationResult.class);
  }

  /**
   * {@code GET /api/attestations?device=ID&limit=N}, newest first.
   *
   * @param deviceId null for every device's
   */
  public List<AttestationResult> attestations(String deviceId, int limit)
      throws IOException, RefusalException {
    return server.get("/api/attestations?" + (deviceId == null ? ""
        : "device=" + encode(deviceId) + "&") + "limit=" + limit,
        new TypeReference<List<AttestationResult>>() {});
  }

  /** {@code GET /api/attestation/devices}: every device's trust state. */
  public List<DeviceTrust> devices() throws IOException, RefusalException {
    return server.get("/api/attestation/devices", new TypeReference<List<DeviceTrust>>() {});
  }

  /** {@code GET /api/baselines?state=S}; null for every state. */
  public List<BaselineInfo> baselines(String state) throws IOException, RefusalException {
    return server.get("/api/baselines" + (state == null ? "" : "?state=" + encode(state)),
        new TypeReference<List<BaselineInfo>>() {});
  }

  /** {@code POST /api/baselines/approve}: every pending baseline of a component's digest. */
  public List<BaselineInfo> approveMatching(String component, String digest)
      throws IOException, RefusalException {
    return List.of(server.post("/api/baselines/approve?component=" + encode(component)
        + "&digest=" + encode(digest), Map.of(), BaselineInfo[].class));
  }

  /** {@code GET /api/baselines/{id}/files}: what the baseline was measured with. */
  public List<org.neguard.api.attest.BaselineFile> baselineFiles(String id)
      throws IOException, RefusalException {
    return server.get("/api/baselines/" + encode(id) + "/files",
        new TypeReference<List<org.neguard.api.attest.BaselineFile>>() {});
  }

  /** {@code POST /api/baselines/{id}/approve} (approver): one of the two approvals. */
  public BaselineInfo approveBaseline(String id) throws IOException, RefusalException {
    return server.post("/api/baselines/" + encode(id) + "/approve", Map.of(),
        BaselineInfo.class);
  }

  /** {@code POST /api/baselines/{id}/reject} (approver). */
  public BaselineInfo rejectBaseline(String id) throws IOException, RefusalException {
    return server.post("/api/baselines/" + encode(id) + "/reject", Map.of(),
        BaselineInfo.class);
  }

  /** {@code PUT /api/attestation/policies/{neType}} (approver). */
  public AttestationPolicy setPolicy(String neType, List<String> actions)
      throws IOException, RefusalException {
    return server.put("/api/attestation/policies/" + encode(neType),
        new AttestationPolicy(neType, actions, null, null), AttestationPolicy.class);
  }

  /** {@code GET /api/attestation/policies}. */
  public List<AttestationPolicy> policies() throws IOException, RefusalException {
    return server.get("/api/attestation/policies",
        new TypeReference<List<AttestationPolicy>>() {});
  }

  /** {@code POST /api/devices/{id}/readmit} (approver): 202, reason READMISSION. */
  public AttestationResult readmit(String deviceId) throws IOException, RefusalException {
    return server.post("/api/devices/" + encode(deviceId) + "/readmit", Map.of(),
        AttestationResult.class);
  }
}
