package org.neguard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document (issue 12, item 4): served to anyone, describes every endpoint the
 * server declares, the agents' API included, so that another client or agent can be written.
 */
class OpenApiTest {
  static TestServer s;

  @BeforeAll
  static void start() throws Exception {
    s = TestServer.start();
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
  }

  @Test
  @DisplayName("OBJ-1 the OpenAPI document lists every declared endpoint, the agents' API too")
  void openapi_listsEveryDeclaredEndpoint() {
    Http.Response r = s.http.get(NeguardServer.OPENAPI_PATH, null);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode doc = r.json();
    assertThat(doc.path("openapi").asText()).startsWith("3.");
    JsonNode paths = doc.path("paths");
    Http.Response endpoints = s.http.get("/api/endpoints", s.adminToken());
    assertThat(endpoints.status()).isEqualTo(200);
    List<String> missing = new ArrayList<>();
    for (JsonNode e : endpoints.json()) {
      String method = e.path("method").asText().toLowerCase(java.util.Locale.ROOT);
      if (RbacWalkTest.console(method + " " + e.path("path").asText())) {
        continue; // the console's pages are HTML for people, not API
      }
      if (!paths.path(e.path("path").asText()).has(method)) {
        missing.add(method + " " + e.path("path").asText());
      }
    }
    assertThat(missing).isEmpty();
    assertThat(paths.has("/api/device/v1/poll")).isTrue();
    assertThat(paths.has("/api/deployments/{id}/approve")).isTrue();
    // Its own path and the actuator are not API endpoints.
    assertThat(paths.has(NeguardServer.OPENAPI_PATH)).isFalse();
    assertThat(paths.has("/console")).isFalse();
  }
}
