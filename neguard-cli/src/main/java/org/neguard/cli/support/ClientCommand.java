package org.neguard.cli.support;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine.Mixin;

/**
 * A command that talks to an OAM server: {@link CommandBase} with the server target ({@code
 * --server}, {@code --cacert}, {@code --config}, {@code --insecure-plain-http}), the saved
 * credentials, and the client made from them. Every command that talks to a server extends this.
 */
public abstract class ClientCommand extends CommandBase {
  @Mixin private ClientOptions client;

  /** A client of the target server with the user's token. */
  protected final ServerClient server() throws IOException, RefusalException {
    return client.client();
  }

  /** A client of the target server without a token (to log in). */
  protected final ServerClient anonymous() throws IOException, RefusalException {
    return client.anonymous();
  }

  /** The target server's URL, without asking for a token. */
  protected final String serverUrl() throws IOException, RefusalException {
    return client.serverUrl();
  }

  /**
   * Whether {@code --server}, {@code --cacert}, {@code --config} or {@code --insecure-plain-http}
   * was given: for a command that talks to a server only with another option of its own.
   */
  protected final boolean serverOptionsGiven() {
    return client.server != null || client.caCert != null || client.configDir != null
        || client.insecurePlainHttp;
  }

  /** Where {@code neguard login} keeps tokens ({@code --config}). */
  protected final Credentials credentials() {
    return client.credentials();
  }

  /** A client of {@code url} with {@code token} (logout: the saved token, not the env's). */
  protected final ServerClient server(String url, String token)
      throws IOException, RefusalException {
    return client.client(url, token);
  }

  /**
   * A wire record of {@code org.neguard.api} (or a list of them) as the server writes it, fields
   * in the record's order and null ones left out, to print in JSON mode.
   */
  protected static Object wire(Object record) {
    return Wire.MAPPER.convertValue(record, Object.class);
  }

  /** {@link #wire} of one record: its fields by name, in order. */
  @SuppressWarnings("unchecked") // a record is written as a JSON object
  protected static Map<String, Object> fields(Object record) {
    return Wire.MAPPER.convertValue(record, Map.class);
  }

  /**
   * Built on first use: Jackson's databind costs start-up time, and most commands never need it.
   * Leaves out nulls as the server does, so that a record prints as it came.
   */
  private static final class Wire {
    static final ObjectMapper MAPPER =
        new ObjectMapper().setSerializationInclusion(JsonInclude.Include.NON_NULL);
  }
}
