package org.neguard.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The reading discipline the data-bound codecs (orders, evidence, observations) share. */
class StrictJsonTest {
  record Named(String name, long size) {}

  static final JsonMapper MAPPER = StrictJson.builder().build();

  @ParameterizedTest
  @ValueSource(strings = {"1", "-7", "1.5", "1e3", "true", "false"})
  @DisplayName("INT-1 a number or boolean where a string goes is refused, as StrictJsonReader"
      + " refuses it: the two readers of one document do not differ")
  void read_scalarForString_refused(String scalar) {
    assertThatThrownBy(() -> MAPPER.readValue("{\"name\":" + scalar + ",\"size\":1}",
        Named.class)).isInstanceOf(MismatchedInputException.class)
        .hasMessageContaining("String");
  }

  @Test
  @DisplayName("INT-1 a string where a number goes is refused; both of the right types are read")
  void read_rightTypes_onlyThose() throws Exception {
    assertThat(MAPPER.readValue("{\"name\":\"mme\",\"size\":12}", Named.class))
        .isEqualTo(new Named("mme", 12));
    assertThatThrownBy(() -> MAPPER.readValue("{\"name\":\"mme\",\"size\":\"12\"}",
        Named.class)).isInstanceOf(MismatchedInputException.class);
  }

  record Stamped(java.time.Instant at) {}

  static final JsonMapper INSTANTS = StrictJson.builder().addModule(StrictJson.instants()).build();

  @Test
  @DisplayName("HRD-1 instants: written as ISO-8601 in UTC, read back the same, fractions kept")
  void instants_roundTrip() throws Exception {
    java.time.Instant t = java.time.Instant.parse("2026-12-06T02:00:00.123456789Z");
    String json = INSTANTS.writeValueAsString(new Stamped(t));
    assertThat(json).contains("\"2026-12-06T02:00:00.123456789Z\"");
    assertThat(INSTANTS.readValue(json, Stamped.class)).isEqualTo(new Stamped(t));
  }

  @ParameterizedTest
  @ValueSource(strings = {"1765000000", "1765000000.5", "true", "\"1765000000\"",
      "\"2026-12-06\"", "\"2026-12-06T02:00:00\"", "\"yesterday\"", "\"\"", "[]", "{}"})
  @DisplayName("HRD-1 an instant that is a number, a date without a time or zone, or not an"
      + " instant at all is refused, not guessed")
  void instants_otherTokens_refused(String value) {
    assertThatThrownBy(() -> INSTANTS.readValue("{\"at\":" + value + "}", Stamped.class))
        .isInstanceOf(MismatchedInputException.class);
  }
}
