package org.neguard.order;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.neguard.json.StrictJson;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The order payload's JSON. Reading is strict about what two parsers could read differently
 * (duplicate keys, trailing data, coercions) and lenient about fields it does not know, which is
 * how a later minor version adds fields without breaking older agents.
 */
final class OrderCodec {
  private static final ObjectMapper MAPPER =
      StrictJson.builder()
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(SerializationFeature.INDENT_OUTPUT)
          // Unknown fields are a later minor version's additions (docs/DEPLOYMENTS.md).
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          // Format 1.1 added an optional field: presence is checked by name (REQUIRED) instead.
          .disable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
          .disable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
          .build();

  /** The fields of format 1.0: each present and not null; {@code attestation} is optional. */
  private static final List<String> REQUIRED = List.of("formatVersion", "deviceId",
      "packageName", "packageVersion", "bundleSha256", "bundleLength", "deploymentId",
      "approvals", "issuedAt", "notBefore", "notAfter", "rollback");

  private static final Pattern UTC_INSTANT =
      Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z");

  private OrderCodec() {}

  static byte[] encode(DeploymentOrder order) {
    try {
      return MAPPER.writeValueAsBytes(order);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("an order record always serializes", e);
    }
  }

  /**
   * Parses any JSON object strictly (duplicate keys and trailing data refused), for the payload
   * and for the protected header alike.
   */
  static JsonNode readObject(byte[] json, String what) throws RefusalException {
    JsonNode tree;
    try {
      tree = MAPPER.readTree(json);
    } catch (IOException e) {
      throw new RefusalException(ReasonCode.MALFORMED,
          "the order's " + what + " is not strict JSON (" + firstLine(e.getMessage())
              + "); ask the server for a new order");
    }
    if (tree == null || !tree.isObject()) {
      throw new RefusalException(ReasonCode.MALFORMED,
          "the order's " + what + " is not a JSON object; ask the server for a new order");
    }
    return tree;
  }

  /**
   * Reads the payload: its format version first, so that a higher major version is refused for
   * what it is rather than for a field it may have renamed.
   */
  static DeploymentOrder decode(byte[] json) throws RefusalException {
    JsonNode tree = readObject(json, "payload");
    JsonNode version = tree.get("formatVersion");
    Matcher m = version != null && version.isTextual()
        ? DeploymentOrder.VERSION.matcher(version.textValue()) : null;
    if (m == null || !m.matches()) {
      throw new RefusalException(ReasonCode.MALFORMED,
          "the order's formatVersion is missing or not major.minor; "
              + "ask the server for a new order");
    }
    int major = Integer.parseInt(m.group(1));
    if (major != DeploymentOrder.FORMAT_MAJOR) {
      throw new RefusalException(ReasonCode.FORMAT_VERSION,
          "the order is of format " + version.textValue() + "; this agent reads "
              + DeploymentOrder.FORMAT_MAJOR + ".x only: "
              + (major > DeploymentOrder.FORMAT_MAJOR ? "update the agent" : "update the server"));
    }
    for (String field : REQUIRED) {
      JsonNode v = tree.get(field);
      if (v == null || v.isNull()) {
        throw new RefusalException(ReasonCode.MALFORMED, "the order's payload has no "
            + field + "; ask the server for a new order");
      }
    }
    JsonNode attestation = tree.get("attestation");
    if (attestation != null && !attestation.isObject()) {
      throw new RefusalException(ReasonCode.MALFORMED,
          "the order's attestation is not an object; ask the server for a new order");
    }
    requireUtcInstants(tree);
    try {
      return MAPPER.treeToValue(tree, DeploymentOrder.class);
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new RefusalException(ReasonCode.MALFORMED,
          "the order's payload is not a valid order: " + firstLine(cause.getMessage())
              + "; ask the server for a new order");
    } catch (IOException | IllegalArgumentException e) {
      throw new RefusalException(ReasonCode.MALFORMED,
          "the order's payload is not a valid order (" + firstLine(e.getMessage())
              + "); ask the server for a new order");
    }
  }

  /**
   * Times are ISO-8601 strings in UTC ({@code Z}), one way of writing each: the time library
   * would also take epoch numbers and other offsets, which the format does not allow.
   */
  private static void requireUtcInstants(JsonNode tree) throws RefusalException {
    for (String field : new String[] {"issuedAt", "notBefore", "notAfter"}) {
      requireUtcInstant(tree.get(field), field);
    }
    JsonNode approvals = tree.get("approvals");
    if (approvals != null && approvals.isArray()) {
      for (JsonNode a : approvals) {
        requireUtcInstant(a.get("approvedAt"), "approvals[].approvedAt");
      }
    }
  }

  private static void requireUtcInstant(JsonNode value, String field) throws RefusalException {
    if (value != null && !(value.isTextual() && UTC_INSTANT.matcher(value.textValue()).matches())) {
      throw new RefusalException(ReasonCode.MALFORMED,
          "the order's " + field + " is not an ISO-8601 UTC time (2026-12-04T10:00:00Z): "
              + value + "; ask the server for a new order");
    }
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "no detail";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
