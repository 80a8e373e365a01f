package org.neguard.api.problem;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import org.neguard.verdict.ReasonCode;

/**
 * The {@code verdict} field of a result, as written on the wire and by the CLI's {@code --json}:
 * {@code pass}, {@code fail} (a negative verdict, exit 3) or {@code error} (no verdict, exit 1).
 */
public enum Verdict {
  PASS("pass"),
  FAIL("fail"),
  ERROR("error");

  private final String wire;

  Verdict(String wire) {
    this.wire = wire;
  }

  /** The verdict of a refusal or error of this kind. */
  public static Verdict of(ReasonCode.Kind kind) {
    return kind == ReasonCode.Kind.ERROR ? ERROR : FAIL;
  }

  /**
   * Reads the wire value.
   *
   * @throws IllegalArgumentException naming the value, for anything but the three values
   */
  @JsonCreator
  public static Verdict parse(String wire) {
    for (Verdict v : values()) {
      if (v.wire.equals(wire)) {
        return v;
      }
    }
    throw new IllegalArgumentException(
        "unknown verdict '" + wire + "'; one of pass, fail, error");
  }

  @JsonValue
  public String wire() {
    return wire;
  }
}
