package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.api.attest.TpmBound;

/**
 * The agent's state files are read as strictly as the device API's records (one Jackson jr,
 * StrictJr): a damaged file is an IOException that stops the agent, never a record with a field
 * invented, coerced or taken from a nested object.
 */
@DisplayName("REC-1 ATT-2 the agent's state files: a damaged one stops the agent")
class StateJsonTest {
  @TempDir Path state;

  private static final String ORDER = "\"order\":{\"deploymentId\":\"dep-1\",\"packageName\":"
      + "\"core\",\"packageVersion\":\"2.0\",\"bundleSha256\":\"" + "ab".repeat(32)
      + "\",\"bundleLength\":1234,\"notAfter\":\"2026-12-04T17:00:00Z\",\"rollback\":false}";

  private Journal journal(String json) throws IOException {
    Files.writeString(state.resolve(Journal.FILE), json);
    return new Journal(state);
  }

  private static String entry(String outcome) {
    return "{\"orderId\":\"order-1\",\"jws\":null," + ORDER + ",\"phase\":\"DONE\","
        + "\"outcome\":" + outcome + ",\"acked\":false}";
  }

  @Test
  @DisplayName("REC-1 a journal as the agent writes it reads back, its outcome included")
  void journal_asWritten_reads() throws Exception {
    Journal j = journal(entry("{\"orderId\":\"order-1\",\"status\":\"succeeded\",\"progress\":100,"
        + "\"reasons\":[],\"installed\":{\"name\":\"core\",\"version\":\"2.0\","
        + "\"securityVersion\":2},\"evidence\":null}"));
    assertThat(j.read().get().outcome().installed().securityVersion()).isEqualTo(2);
  }

  @Test
  @DisplayName("REC-1 an outcome whose security version is a text is refused, not coerced")
  void journal_outcomeSecurityVersionAsText_refused() throws Exception {
    Journal j = journal(entry("{\"orderId\":\"order-1\",\"status\":\"succeeded\",\"progress\":100,"
        + "\"reasons\":[],\"installed\":{\"name\":\"core\",\"version\":\"2.0\","
        + "\"securityVersion\":\"2\"}}"));
    assertThatThrownBy(j::read).isInstanceOf(IOException.class)
        .hasMessageContaining("unreadable");
  }

  @Test
  @DisplayName("REC-1 an outcome whose status is an object is refused, its fields not read as"
      + " the outcome's")
  void journal_outcomeStatusAsObject_refused() throws Exception {
    Journal j = journal(entry("{\"status\":{\"orderId\":\"order-2\",\"status\":\"succeeded\"},"
        + "\"orderId\":\"order-1\",\"reasons\":[]}"));
    assertThatThrownBy(j::read).isInstanceOf(IOException.class)
        .hasMessageContaining("unreadable");
  }

  @Test
  @DisplayName("REC-1 a journal with a key twice is refused (which one is meant is a guess)")
  void journal_duplicateKey_refused() throws Exception {
    Journal j = journal(entry("null").replace("\"phase\":\"DONE\"",
        "\"phase\":\"DONE\",\"phase\":\"VERIFIED\""));
    assertThatThrownBy(j::read).isInstanceOf(IOException.class)
        .hasMessageContaining("Duplicate field 'phase'");
  }

  @Test
  @DisplayName("REC-1 a journal with more JSON after its object is refused")
  void journal_trailingValue_refused() throws Exception {
    Journal j = journal(entry("null") + "{\"orderId\":\"order-2\"}");
    assertThatThrownBy(j::read).isInstanceOf(IOException.class)
        .hasMessageContaining("more JSON after the value");
  }

  private static final String BOUND = "{\"deviceId\":\"ne-1\",\"pcr\":14,\"akName\":\"x\","
      + "\"ekPublicSha256\":\"y\",\"boundAt\":\"z\",\"ekTrust\":\"UNVERIFIED\"}";

  private TpmEnrollment enrollment(String bound) throws IOException {
    Path dir = TpmEnrollment.dir(state);
    Files.write(dir.resolve(TpmEnrollment.BOUND), bound.getBytes(StandardCharsets.UTF_8));
    return TpmEnrollment.of("swtpm:port=1", state);
  }

  @Test
  @DisplayName("ATT-2 a TPM binding as the agent writes it reads back")
  void bound_asWritten_reads() throws Exception {
    assertThat(enrollment(BOUND).bound()).contains(
        new TpmBound("ne-1", 14, "x", "y", "z", "UNVERIFIED"));
  }

  @Test
  @DisplayName("ATT-2 a TPM binding whose PCR is an object is refused: the agent does not start")
  void bound_pcrAsObject_refused() throws Exception {
    TpmEnrollment e = enrollment(BOUND.replace("\"pcr\":14", "\"pcr\":{\"pcr\":14}"));
    assertThatThrownBy(e::bound).isInstanceOf(IOException.class)
        .hasMessageContaining("expected int");
  }

  @Test
  @DisplayName("ATT-2 a TPM binding without its PCR is refused, not read as PCR 0")
  void bound_pcrMissing_refused() throws Exception {
    TpmEnrollment e = enrollment(BOUND.replace("\"pcr\":14,", ""));
    assertThatThrownBy(e::bound).isInstanceOf(IOException.class);
  }

  @Test
  @DisplayName("ATT-2 a TPM binding of null is refused")
  void bound_null_refused() throws Exception {
    TpmEnrollment e = enrollment("null");
    assertThatThrownBy(e::bound).isInstanceOf(IOException.class);
  }
}
