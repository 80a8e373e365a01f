package org.neguard.cli.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine.Mixin;

/**
 * A command that talks to an OAM server: {@link CommandBase} with the server target ({@code
 * --server}, {@code --cacert}, {@code --config}, {@code --insecure-plain-http}) and the saved
 * credentials.
 */
public abstract class ClientCommand extends CommandBase {
  @Mixin private ClientOptions client;

  /** The target options as given. */
  protected final ClientOptions serverOptions() {
    return client;
  }

  /** A client of the target server with the user's token. */
  protected final ServerClient server() throws IOException, RefusalException {
    return client.client();
  }

  /** A server's answer as a map, to print in JSON mode as it came. */
  @SuppressWarnings("unchecked")
  protected static Map<String, Object> map(JsonNode n) {
    // A mapper made here, not in a static field: Jackson's databind costs start-up time, and
    // most commands never need it.
    return new ObjectMapper().convertValue(n, Map.class);
  }
}
