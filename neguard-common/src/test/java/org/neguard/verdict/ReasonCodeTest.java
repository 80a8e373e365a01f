package org.neguard.verdict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.neguard.verdict.ReasonCode.Kind;

/** The failure contract: each code's kind and HTTP status, and the one error-or-refusal rule. */
class ReasonCodeTest {
  /**
   * The contract as docs/SERVER.md states it. A code added, or a status changed, fails here
   * until the table (and the documentation) says so too.
   */
  private static final Map<ReasonCode, String> CONTRACT = table(
      "UNSIGNED REFUSAL 422", "SIGNATURE_INVALID REFUSAL 422", "CERT_UNTRUSTED REFUSAL 422",
      "CERT_VALIDITY REFUSAL 422", "KEY_USAGE REFUSAL 422", "CERT_REVOKED REFUSAL 422",
      "CRL_INVALID REFUSAL 422", "ALGORITHM_NOT_ALLOWED REFUSAL 422",
      "VENDOR_MISMATCH REFUSAL 422", "DIGEST_MISMATCH REFUSAL 422", "UNSAFE_PATH REFUSAL 422",
      "STRUCTURE REFUSAL 422", "MALFORMED REFUSAL 422", "SIZE_LIMIT REFUSAL 413",
      "INFECTED REFUSAL 422", "NOT_SCANNED REFUSAL 422", "SCAN_REPORT_MISSING REFUSAL 422",
      "SCAN_REPORT_MISMATCH REFUSAL 422", "SCAN_POLICY REFUSAL 422",
      "FORBIDDEN_SERVICE REFUSAL 422", "UNDECLARED_SERVICE REFUSAL 422",
      "WRONG_INTERFACE REFUSAL 422", "SCAN_INCOMPLETE REFUSAL 422",
      "PROTOCOL_VERSION REFUSAL 422", "PORTS_CHANGED REFUSAL 422",
      "NOT_AUTHENTICATED REFUSAL 401", "NOT_AUTHORIZED REFUSAL 403", "CONFLICT REFUSAL 409",
      "AUDIT_CHAIN_BROKEN REFUSAL 422", "RATE_LIMITED REFUSAL 429", "FORMAT_VERSION REFUSAL 422",
      "DEVICE_MISMATCH REFUSAL 422", "ORDER_VALIDITY REFUSAL 422",
      "FOUR_EYES REFUSAL 403", "DEPLOYMENT_STATE REFUSAL 409", "NE_TYPE_MISMATCH REFUSAL 422",
      "ROLLBACK_REFUSED REFUSAL 422", "HEALTH_CHECK_FAILED REFUSAL 422",
      "HOOK_FAILED REFUSAL 422",
      "DEVICE_DISABLED REFUSAL 403",
      "REPO_SIGNATURE REFUSAL 422", "REPO_ROLLBACK REFUSAL 422", "REPO_EXPIRED REFUSAL 422",
      "REPO_MISMATCH REFUSAL 422", "NONCE_MISMATCH REFUSAL 422",
      "MEASUREMENT_MISMATCH REFUSAL 422", "NO_REFERENCE REFUSAL 422",
      "ATTESTATION_FAILED REFUSAL 422", "DEVICE_NOT_TRUSTED REFUSAL 403",
      "KNOWN_VULNERABILITY REFUSAL 422",
      "IO_ERROR ERROR 500", "BAD_INPUT ERROR 400", "KEY_MISMATCH ERROR 500",
      "TRUST_CONFIG ERROR 503", "ENGINE_UNAVAILABLE ERROR 503", "ENGINE_ERROR ERROR 500",
      "POLICY_INVALID ERROR 500", "TARGET_UNREACHABLE ERROR 500", "SERVER_UNREACHABLE ERROR 500",
      "AGENT_INTERRUPTED ERROR 500",
      "INTERNAL ERROR 500");

  private static Map<ReasonCode, String> table(String... rows) {
    Map<ReasonCode, String> m = new LinkedHashMap<>();
    for (String row : rows) {
      String[] f = row.split(" ", 2);
      m.put(ReasonCode.valueOf(f[0]), f[1]);
    }
    return m;
  }

  @Test
  void everyCode_hasTheKindAndStatusOfTheTable() {
    assertThat(CONTRACT.keySet()).as("every code is in the table").containsExactlyInAnyOrder(
        ReasonCode.values());
    for (ReasonCode c : ReasonCode.values()) {
      assertThat(c.kind() + " " + c.httpStatus()).as(c.name()).isEqualTo(CONTRACT.get(c));
    }
  }

  @Test
  void refusalsAreClientErrorsOrUnprocessable_errorsNeverLookLikeSuccess() {
    assertThat(Arrays.stream(ReasonCode.values()).filter(c -> c.kind() == Kind.REFUSAL))
        .allSatisfy(c -> assertThat(c.httpStatus()).as(c.name()).isBetween(400, 499));
    assertThat(ReasonCode.values())
        .allSatisfy(c -> assertThat(c.httpStatus()).as(c.name()).isBetween(400, 599));
  }

  @Test
  void kindOf_anyErrorMakesAnError_elseARefusal() {
    Reason refusal = Reason.of(ReasonCode.UNSIGNED, "unsigned");
    Reason error = Reason.of(ReasonCode.IO_ERROR, "disk");
    assertThat(Kind.of(List.of(refusal))).isEqualTo(Kind.REFUSAL);
    assertThat(Kind.of(List.of(refusal, Reason.of(ReasonCode.INFECTED, "eicar"))))
        .isEqualTo(Kind.REFUSAL);
    assertThat(Kind.of(List.of(error))).isEqualTo(Kind.ERROR);
    assertThat(Kind.of(List.of(refusal, error))).isEqualTo(Kind.ERROR);
    assertThat(Kind.of(List.of(error, refusal))).isEqualTo(Kind.ERROR);
    assertThatThrownBy(() -> Kind.of(List.of())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("reasons is empty");
  }

  @Test
  void refusalException_isErrorByTheSameRule() {
    assertThat(new RefusalException(ReasonCode.UNSIGNED, "x").isError()).isFalse();
    assertThat(new RefusalException(List.of(Reason.of(ReasonCode.UNSIGNED, "x"),
        Reason.of(ReasonCode.ENGINE_ERROR, "y"))).isError()).isTrue();
  }
}
