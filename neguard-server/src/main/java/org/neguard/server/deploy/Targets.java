package org.neguard.server.deploy;

import java.util.Set;

/** The states of {@code deployment_targets} and what they mean for waves and orders. */
final class Targets {
  static final String WAITING = "waiting";
  /**
   * Its wave started, no order yet: the device must first pass an attestation asked for after
   * the wave started (ATT-1). Only targets of update deployments; recovery skips it.
   */
  static final String ATTESTING = "attesting";
  static final String ISSUED = "issued";
  static final String DOWNLOADING = "downloading";
  static final String INSTALLING = "installing";
  static final String SUCCEEDED = "succeeded";
  static final String FAILED = "failed";
  static final String REFUSED = "refused";
  static final String CANCELLED = "cancelled";

  static final Set<String> FINAL = Set.of(SUCCEEDED, FAILED, REFUSED, CANCELLED);

  /** Ordered and not finished (the device may act on its order), as an SQL list. */
  static final String LIVE_SQL = "('issued', 'downloading', 'installing')";
  /** Not finished (cancel and expiry end these), as an SQL list. */
  static final String OPEN_SQL =
      "('waiting', 'attesting', 'issued', 'downloading', 'installing')";
  /** Started and not finished: attesting, or ordered and not finished, as an SQL list. */
  static final String STARTED_SQL = "('attesting', 'issued', 'downloading', 'installing')";

  private Targets() {}

  /** Order of the states a device reports: feedback only moves forward. */
  static int rank(String state) {
    return switch (state) {
      case WAITING, ATTESTING -> 0;
      case ISSUED -> 1;
      case DOWNLOADING -> 2;
      case INSTALLING -> 3;
      default -> 4;
    };
  }
}
