package org.neguard.server.console;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.neguard.measure.Sha256;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.jdbc.support.KeyHolder;
import org.springframework.stereotype.Component;

/**
 * The stored evidence documents (table {@code evidence_documents}): written once, read many
 * times, never changed. This class holds the table's only SQL and has no UPDATE or DELETE; a
 * document's bytes are served only while they match the SHA-256 stored with them and the one
 * its generation's audit row recorded (EvidencePages).
 */
@Component
final class EvidenceStore {
  private final JdbcClient jdbc;

  EvidenceStore(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  /** A stored document's row, without its bytes. */
  record Stored(long id, String kind, Instant generatedAt, String generatedBy, String verdict,
      String summary, String htmlSha256, String jsonSha256) {}

  /** A document's bytes in one format, and the SHA-256 stored with them. */
  record Content(Stored doc, String format, byte[] bytes, String storedSha256) {
    /** The SHA-256 of the bytes as they are now. */
    String sha256() {
      return Sha256.hex(bytes);
    }

    /** Whether the bytes still match the SHA-256 in their own row. */
    boolean intact() {
      return sha256().equals(storedSha256);
    }
  }

  Stored insert(String kind, Instant at, String by, String verdict, String summary,
      byte[] html, byte[] json) {
    String htmlSha = Sha256.hex(html);
    String jsonSha = Sha256.hex(json);
    KeyHolder key = new GeneratedKeyHolder();
    jdbc.sql("INSERT INTO evidence_documents (kind, generated_at, generated_by, verdict, summary,"
            + " html, html_sha256, json, json_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .params(kind, OffsetDateTime.ofInstant(at, ZoneOffset.UTC), by, verdict,
            summary.length() > 1024 ? summary.substring(0, 1024) : summary, html, htmlSha,
            json, jsonSha)
        .update(key, "id");
    return new Stored(key.getKey().longValue(), kind, at, by, verdict, summary, htmlSha, jsonSha);
  }

  /** The newest {@code limit} documents, newest first. */
  List<Stored> list(int limit) {
    return jdbc.sql("SELECT " + COLUMNS + " FROM evidence_documents ORDER BY id DESC LIMIT "
        + limit).query((rs, i) -> row(rs)).list();
  }

  /** Document {@code id} in {@code format} ({@code html} or {@code json}), if stored. */
  Optional<Content> content(long id, String format) {
    String column = switch (format) {
      case "html" -> "html";
      case "json" -> "json";
      default -> throw new IllegalArgumentException("format is html or json, not " + format);
    };
    return jdbc.sql("SELECT " + COLUMNS + ", " + column + " FROM evidence_documents WHERE id = ?")
        .param(id)
        .query((rs, i) -> {
          Stored s = row(rs);
          return new Content(s, format, rs.getBytes(column),
              column.equals("html") ? s.htmlSha256() : s.jsonSha256());
        }).optional();
  }

  private static final String COLUMNS = "id, kind, generated_at, generated_by, verdict, summary,"
      + " html_sha256, json_sha256";

  private static Stored row(java.sql.ResultSet rs) throws java.sql.SQLException {
    return new Stored(rs.getLong("id"), rs.getString("kind"),
        rs.getObject("generated_at", OffsetDateTime.class).toInstant(),
        rs.getString("generated_by"), rs.getString("verdict"), rs.getString("summary"),
        rs.getString("html_sha256"), rs.getString("json_sha256"));
  }
}
