package org.neguard.server.alert;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.server.ServerConfig;
import org.neguard.server.WebhookReceiver;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Alerts leave after the finding they report committed, to a real receiver on loopback: a
 * quarantine rolled back (its transaction lost a lock race, say) is never announced.
 */
@DisplayName("ATT-4 REC-1 alerts follow the commit of what they report")
class AlertWebhookTest {
  private WebhookReceiver receiver;
  private AlertWebhook webhook;
  private TransactionTemplate tx;

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    receiver = new WebhookReceiver();
    webhook = new AlertWebhook(ServerConfig.builder(dir.resolve("data")).port(0)
        .alertWebhook(receiver.url()).build(), new ObjectMapper());
    tx = new TransactionTemplate(new DataSourceTransactionManager(new SimpleDriverDataSource(
        new org.h2.Driver(), "jdbc:h2:mem:alerts", "sa", "")));
  }

  @AfterEach
  void stop() {
    receiver.close();
  }

  @Test
  void post_inATransaction_sentOnlyAfterItCommits() throws Exception {
    tx.executeWithoutResult(s -> {
      webhook.post("attestation.failed", "d1", "henb", "attestation", Map.of("result", "FAIL"));
      try {
        assertThat(receiver.untaken("\"d1\"", 500)).as("not before the commit").isEmpty();
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    });
    assertThat(receiver.await("attestation.failed", "\"d1\"")).startsWith("POST ");
  }

  @Test
  void post_inATransactionRolledBack_neverSent() throws Exception {
    tx.executeWithoutResult(s -> {
      webhook.post("attestation.failed", "d2", "henb", "attestation", Map.of("result", "FAIL"));
      s.setRollbackOnly();
    });
    webhook.post("drift.detected", "d3", "henb", "drift", Map.of("port", 23));
    receiver.await("drift.detected", "\"d3\"");
    assertThat(receiver.untaken("\"d2\"", 300)).isEmpty();
  }

  @Test
  void post_outsideATransaction_sentAtOnce() throws Exception {
    webhook.post("drift.detected", "d4", "henb", "drift", Map.of("port", 23));
    assertThat(receiver.await("drift.detected", "\"d4\"")).contains("\"port\":23");
  }
}
