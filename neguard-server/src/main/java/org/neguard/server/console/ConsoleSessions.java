package org.neguard.server.console;

import jakarta.servlet.http.HttpServletRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.neguard.server.access.CurrentUser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.web.ServerProperties;
import org.springframework.boot.jdbc.DatabaseDriver;
import org.springframework.boot.web.server.Cookie;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.ConfigurableObjectInputStream;
import org.springframework.core.convert.converter.Converter;
import org.springframework.core.convert.support.GenericConversionService;
import org.springframework.core.env.Environment;
import org.springframework.core.serializer.support.SerializingConverter;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;
import org.springframework.session.FindByIndexNameSessionRepository;
import org.springframework.session.IndexResolver;
import org.springframework.session.Session;
import org.springframework.session.config.SessionRepositoryCustomizer;
import org.springframework.session.jdbc.JdbcIndexedSessionRepository;
import org.springframework.session.jdbc.PostgreSqlJdbcIndexedSessionRepositoryCustomizer;
import org.springframework.session.web.http.CookieSerializer;
import org.springframework.session.web.http.DefaultCookieSerializer;

/**
 * The console's sessions in the server's database (Spring Session JDBC, table {@code
 * console_sessions}, migration V19), so that every replica knows every session and a balancer
 * in front of them needs no affinity. Spring Boot configures the store from the settings that
 * {@code NeguardServer} gives (table, 30 minutes idle, cleanup once a minute, no schema script);
 * this class adds what an attacker would otherwise reach:
 *
 * <ul>
 *   <li>the cookie: Spring Session's, with the name and flags of {@code
 *       server.servlet.session.cookie.*} ({@code NEGUARD_CONSOLE}, {@code HttpOnly}, {@code
 *       SameSite=Strict}, path {@code /console}, {@code Secure} under TLS); a value that does not
 *       decode to a session id's shape (a UUID) is no session id and is never looked up, so a
 *       malformed or huge cookie is "no session" (sent to log in), not a database error;
 *   <li>the attributes' bytes: read back only as the classes a console session holds ({@link
 *       #ALLOWED}), since whoever can write the table could otherwise have the server
 *       deserialize any class on its class path; a value that is not one of them (or no longer
 *       reads, after an upgrade) is logged and read as absent: the browser is sent to log in;
 *   <li>the principal's index: the user name (the default would be the principal's {@code
 *       toString()}, longer than the column);
 *   <li>a new attribute is an upsert, so that two requests of one session at once that both add
 *       it do not fail on the primary key.
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
class ConsoleSessions {
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleSessions.class);

  /**
   * The classes of a console session's attributes: the security context with its token, user,
   * roles, authorities and details (Spring Security), the CSRF token, and the flash attributes
   * of a redirect (Spring MVC); the JDK collections they are made of. Anything else is refused
   * before it is instantiated. {@code ConsoleSessionsTest} round-trips each attribute kind.
   */
  static final String ALLOWED = "maxdepth=20;maxrefs=1000;maxbytes=65536;maxarray=10000;"
      + "org.neguard.server.access.CurrentUser;org.neguard.api.auth.Role;java.lang.Enum;"
      + "java.lang.Object;java.lang.Boolean;java.lang.Number;java.lang.Long;java.lang.Integer;"
      + "org.springframework.security.core.context.SecurityContextImpl;"
      + "org.springframework.security.authentication.AbstractAuthenticationToken;"
      + "org.springframework.security.authentication.UsernamePasswordAuthenticationToken;"
      + "org.springframework.security.core.authority.SimpleGrantedAuthority;"
      + "org.springframework.security.web.authentication.WebAuthenticationDetails;"
      + "org.springframework.security.web.csrf.DefaultCsrfToken;"
      + "org.springframework.web.servlet.FlashMap;org.springframework.util.LinkedMultiValueMap;"
      + "org.springframework.util.MultiValueMapAdapter;"
      + "java.util.ArrayList;java.util.LinkedList;java.util.HashMap;java.util.LinkedHashMap;"
      + "java.util.Map$Entry;java.util.concurrent.CopyOnWriteArrayList;"
      + "java.util.HashSet;java.util.LinkedHashSet;java.util.CollSer;java.util.Collections$*;"
      + "java.util.ImmutableCollections$*;!*";
  private static final ObjectInputFilter FILTER = ObjectInputFilter.Config.createFilter(ALLOWED);
  /** A session id as Spring Session makes it: {@code UUID.randomUUID().toString()}. */
  private static final Pattern SESSION_ID =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  /** The session cookie: Spring Session's, named and flagged by the server's cookie settings. */
  @Bean
  CookieSerializer consoleSessionCookie(ServerProperties server) {
    Cookie c = server.getServlet().getSession().getCookie();
    SessionCookie cookie = new SessionCookie();
    cookie.setCookieName(c.getName());
    cookie.setCookiePath(c.getPath());
    cookie.setUseHttpOnlyCookie(Boolean.TRUE.equals(c.getHttpOnly()));
    cookie.setUseSecureCookie(Boolean.TRUE.equals(c.getSecure()));
    cookie.setSameSite(c.getSameSite() == null ? "Strict" : c.getSameSite().attributeValue());
    return cookie;
  }

  /** Applied after Spring Boot's own settings of the repository (table, timeout, cleanup). */
  @Bean
  SessionRepositoryCustomizer<JdbcIndexedSessionRepository> consoleSessionRepository(
      Environment environment) {
    boolean postgres = DatabaseDriver.fromJdbcUrl(
        environment.getProperty("spring.datasource.url")) == DatabaseDriver.POSTGRESQL;
    return repository -> {
      GenericConversionService conversion = new GenericConversionService();
      conversion.addConverter(Object.class, byte[].class, new SerializingConverter());
      conversion.addConverter(byte[].class, Object.class, new AttributeReader());
      repository.setConversionService(conversion);
      repository.setIndexResolver(new UserNameIndex());
      if (postgres) {
        new PostgreSqlJdbcIndexedSessionRepositoryCustomizer().customize(repository);
      } else {
        // The embedded H2 has no ON CONFLICT ... DO UPDATE; its MERGE ... KEY is the same upsert,
        // with the parameters of Spring Session's own query (primary id, name, bytes).
        repository.setCreateSessionAttributeQuery("MERGE INTO %TABLE_NAME%_ATTRIBUTES"
            + " (SESSION_PRIMARY_ID, ATTRIBUTE_NAME, ATTRIBUTE_BYTES)"
            + " KEY (SESSION_PRIMARY_ID, ATTRIBUTE_NAME) VALUES (?, ?, ?)");
      }
    };
  }

  /** Only a value of a session id's shape is looked up in the table. */
  static final class SessionCookie extends DefaultCookieSerializer {
    @Override
    public List<String> readCookieValues(HttpServletRequest request) {
      return super.readCookieValues(request).stream()
          .filter(v -> SESSION_ID.matcher(v).matches()).toList();
    }
  }

  /**
   * An attribute's bytes as an object of an {@link #ALLOWED} class, else absent (null): the
   * request then runs as if the session did not hold it, so a session whose security context
   * cannot be read is no login.
   */
  static final class AttributeReader implements Converter<byte[], Object> {
    @Override
    public Object convert(byte[] bytes) {
      String[] refused = {null};
      try (ObjectInputStream in = new ConfigurableObjectInputStream(
          new ByteArrayInputStream(bytes), ConsoleSessions.class.getClassLoader())) {
        in.setObjectInputFilter(info -> {
          ObjectInputFilter.Status status = FILTER.checkInput(info);
          if (status == ObjectInputFilter.Status.REJECTED && info.serialClass() != null) {
            refused[0] = info.serialClass().getName();
          }
          return status;
        });
        return in.readObject();
      } catch (IOException | ClassNotFoundException | RuntimeException e) {
        // The cause only: a stored value is read at each request of its session.
        LOG.warn("a console session attribute could not be read, taken as absent: {}",
            refused[0] != null ? "class " + refused[0] + " is not one a console session holds"
                : e.toString());
        return null;
      }
    }
  }

  /** The signed-in user's name, for the table's principal column. */
  static final class UserNameIndex implements IndexResolver<Session> {
    @Override
    public Map<String, String> resolveIndexesFor(Session session) {
      Object context = session.getAttribute(
          HttpSessionSecurityContextRepository.SPRING_SECURITY_CONTEXT_KEY);
      Authentication a = context instanceof SecurityContext c ? c.getAuthentication() : null;
      return a != null && a.getPrincipal() instanceof CurrentUser u
          ? Map.of(FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME, u.username())
          : Map.of();
    }
  }
}
