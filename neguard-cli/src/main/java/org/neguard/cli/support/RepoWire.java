package org.neguard.cli.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.neguard.tuf.CanonicalJson;
import org.neguard.tuf.Fetcher;
import org.neguard.tuf.Role;
import org.neguard.tuf.TufKey;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * What the repository commands read that is not a neguard-api record: the server's online keys
 * ({@code {"timestamp": KEY, "snapshot": KEY, "targets": KEY}}, TUF key objects), and the
 * repository's files, fetched for the TUF client. Here, beside {@link ServerClient}, because
 * reading a JSON tree and opening an HTTP client are this package's alone.
 */
public final class RepoWire {
  /** The online roles, in the order the server names them. */
  public static final List<Role> ONLINE = List.of(Role.TIMESTAMP, Role.SNAPSHOT, Role.TARGETS);

  /** Far above three keys: a PEM P-256 key is about 180 bytes. */
  private static final long MAX_ONLINE_KEYS_BYTES = 64 << 10;

  private RepoWire() {}

  /**
   * The online keys in {@code json}: one TUF key for each of timestamp, snapshot and targets.
   *
   * @param what names the source in a refusal (a file, the server)
   * @throws RefusalException {@code MALFORMED} when a role is missing or its key unreadable
   */
  public static Map<Role, TufKey> onlineKeys(byte[] json, String what) throws RefusalException {
    ObjectNode o = CanonicalJson.parseObject(json, MAX_ONLINE_KEYS_BYTES, what);
    Map<Role, TufKey> keys = new EnumMap<>(Role.class);
    for (Role r : ONLINE) {
      JsonNode k = o.get(r.roleName());
      if (k == null || !k.isObject()) {
        throw RefusalException.about(ReasonCode.MALFORMED, what, what + " names no "
            + r.roleName() + " key; expected {\"timestamp\": KEY, \"snapshot\": KEY,"
            + " \"targets\": KEY} as GET /api/repo/online-keys answers");
      }
      keys.put(r, TufKey.fromJson(k));
    }
    return keys;
  }

  /**
   * One role's key in {@code json} (the answer to a rotation: the role's new key, beside the
   * others or alone).
   */
  public static TufKey onlineKey(byte[] json, Role role, String what) throws RefusalException {
    ObjectNode o = CanonicalJson.parseObject(json, MAX_ONLINE_KEYS_BYTES, what);
    JsonNode k = o.get(role.roleName());
    if (k == null || !k.isObject()) {
      throw RefusalException.about(ReasonCode.MALFORMED, what, what + " names no "
          + role.roleName() + " key");
    }
    return TufKey.fromJson(k);
  }

  /** The online keys as the server writes them, to save with {@code repo init}. */
  public static byte[] onlineKeysJson(Map<Role, TufKey> keys) {
    ObjectNode o = CanonicalJson.newObject();
    for (Role r : ONLINE) {
      o.set(r.roleName(), keys.get(r).toJson());
    }
    return CanonicalJson.encode(o);
  }

  /**
   * How {@code repo verify} fetches: a plain GET with the JDK's client, redirects not followed,
   * trusting {@code caCert} for https when given, and sending {@code token} as a bearer token when
   * given (a repository that is not public). A 404 or 410 is a file that does not exist (the
   * end of the root chain); any other answer but 200 is an error.
   *
   * @throws RefusalException {@code BAD_INPUT} for a URL that is not http(s), or a token that
   *     would travel in clear text off loopback
   */
  public static Fetcher fetcher(URI repository, Path caCert, String token)
      throws IOException, RefusalException {
    String scheme = repository.getScheme();
    if (!"http".equals(scheme) && !"https".equals(scheme)) {
      throw RefusalException.about(ReasonCode.BAD_INPUT, repository.toString(),
          "the repository URL must start with http:// or https://: " + repository);
    }
    if (token != null && "http".equals(scheme)
        && !ServerClient.loopbackLiteral(repository.getHost())) {
      throw RefusalException.about(ReasonCode.BAD_INPUT, repository.toString(),
          "refusing to send a token in clear text to " + repository + ": use https://");
    }
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(15))
        .followRedirects(HttpClient.Redirect.NEVER);
    if (caCert != null) {
      b.sslContext(ServerClient.sslTrusting(
          org.neguard.sign.Certificates.read(caCert), caCert.toString()));
    }
    HttpClient http = b.build();
    Duration timeout = Duration.ofMinutes(5);
    return (uri, maxBytes) -> {
      HttpRequest.Builder r = HttpRequest.newBuilder(uri).timeout(timeout).GET();
      if (token != null) {
        r.header("Authorization", "Bearer " + token);
      }
      HttpResponse<InputStream> answer;
      try {
        answer = http.send(r.build(), HttpResponse.BodyHandlers.ofInputStream());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted");
      }
      int status = answer.statusCode();
      if (status == 200) {
        return Optional.of(answer.body());
      }
      answer.body().close();
      if (status == 404 || status == 410) {
        return Optional.empty();
      }
      throw new IOException(uri + " answered HTTP " + status
          + (status == 401 || status == 403 ? " (the repository is not public: log in to its"
              + " server, or set NEGUARD_TOKEN)" : ""));
    };
  }
}
