package org.neguard.api.device;

/**
 * What the server accepts as one socket inventory ({@code POST /api/device/v1/inventory}): the
 * agent fits its report within these before it sends it, so that a local process opening
 * thousands of sockets cannot make every report too large to be judged.
 */
public final class InventoryLimits {
  /** The largest inventory body, in bytes. */
  public static final int MAX_BYTES = 512 << 10;
  /** The most listening sockets one inventory may list. */
  public static final int MAX_PORTS = 4096;

  private InventoryLimits() {}
}
