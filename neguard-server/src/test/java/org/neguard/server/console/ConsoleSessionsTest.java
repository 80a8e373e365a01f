package org.neguard.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.api.auth.Role;
import org.neguard.server.access.CurrentUser;
import org.springframework.core.serializer.support.SerializingConverter;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.context.SecurityContextImpl;
import org.springframework.security.web.authentication.WebAuthenticationDetails;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.security.web.csrf.DefaultCsrfToken;
import org.springframework.session.FindByIndexNameSessionRepository;
import org.springframework.session.MapSession;
import org.springframework.web.servlet.FlashMap;

/**
 * What a console session stores, written to bytes as the session table holds them and read
 * back through the allow-list ({@link ConsoleSessions#ALLOWED}): each kind survives the round
 * trip; anything else is not instantiated.
 */
@DisplayName("SRC-1 console session attributes: each kind round-trips, no other class is read")
class ConsoleSessionsTest {
  static final SerializingConverter WRITE = new SerializingConverter();
  private static final ConsoleSessions.AttributeReader READ = new ConsoleSessions.AttributeReader();

  static SecurityContextImpl signedIn(Set<Role> roles) {
    UsernamePasswordAuthenticationToken token = ConsoleSecurity.authenticated(
        new CurrentUser(7, "alice", roles, null));
    token.setDetails(new WebAuthenticationDetails("127.0.0.1", null));
    return new SecurityContextImpl(token);
  }

  @Test
  @DisplayName("SRC-1 the security context (user, roles, authorities, details) round-trips,"
      + " with every role and with none")
  void securityContext_roundTrips() {
    for (Set<Role> roles : List.<Set<Role>>of(EnumSet.allOf(Role.class), Set.of(Role.AUDITOR),
        Set.of())) {
      SecurityContextImpl context = signedIn(roles);
      Object back = READ.convert(WRITE.convert(context));
      assertThat(back).as("%s", roles).isEqualTo(context);
      CurrentUser user = (CurrentUser) ((SecurityContextImpl) back).getAuthentication()
          .getPrincipal();
      assertThat(user.roles()).isEqualTo(roles);
      assertThat(((SecurityContextImpl) back).getAuthentication().getAuthorities())
          .hasSize(roles.size());
    }
  }

  @Test
  @DisplayName("SRC-1 the session's CSRF token and a redirect's flash attributes round-trip")
  void csrfTokenAndFlashMaps_roundTrip() {
    CsrfToken token = new DefaultCsrfToken("X-CSRF-TOKEN", "_csrf", "a-random-token");
    CsrfToken back = (CsrfToken) READ.convert(WRITE.convert(token));
    assertThat(back).isNotNull();
    assertThat(List.of(back.getHeaderName(), back.getParameterName(), back.getToken()))
        .containsExactly("X-CSRF-TOKEN", "_csrf", "a-random-token");

    FlashMap flash = new FlashMap();
    flash.put("uploaded", "mme-core 4.2.0 stored");
    flash.setTargetRequestPath("/console/packages");
    flash.addTargetRequestParam("q", "mme");
    flash.startExpirationPeriod(180);
    // The list as Spring MVC's SessionFlashMapManager stores it.
    List<FlashMap> maps = new CopyOnWriteArrayList<>(List.of(flash));
    @SuppressWarnings("unchecked")
    List<FlashMap> read = (List<FlashMap>) READ.convert(WRITE.convert(maps));
    assertThat(read).isInstanceOf(CopyOnWriteArrayList.class);
    assertThat(read).hasSize(1);
    assertThat(read.get(0).get("uploaded")).isEqualTo("mme-core 4.2.0 stored");
    assertThat(read.get(0).getTargetRequestPath()).isEqualTo("/console/packages");
    assertThat(read.get(0).getTargetRequestParams().getFirst("q")).isEqualTo("mme");
    assertThat(read.get(0).isExpired()).isFalse();
  }

  @Test
  @DisplayName("SRC-1 bytes of a class no session holds are not deserialized: read as absent,"
      + " its readObject never run")
  void foreignClass_notDeserialized_readAsAbsent() {
    assertThat(READ.convert(WRITE.convert(new Tripwire()))).isNull();
    assertThat(Tripwire.READ).isFalse();
    // Inside an allowed container too.
    assertThat(READ.convert(WRITE.convert(new ArrayList<>(List.of(new Tripwire()))))).isNull();
    assertThat(READ.convert(WRITE.convert(new java.io.File("/etc/passwd")))).isNull();
    assertThat(Tripwire.READ).isFalse();
    assertThat(READ.convert(new byte[] {1, 2, 3})).as("not a stream at all").isNull();
  }

  @Test
  @DisplayName("SRC-1 the session's principal column holds the user name, not the principal's"
      + " toString")
  void principalIndex_isUserName() {
    MapSession session = new MapSession();
    assertThat(new ConsoleSessions.UserNameIndex().resolveIndexesFor(session)).isEmpty();
    session.setAttribute(HttpSessionSecurityContextRepository.SPRING_SECURITY_CONTEXT_KEY,
        signedIn(EnumSet.allOf(Role.class)));
    assertThat(new ConsoleSessions.UserNameIndex().resolveIndexesFor(session))
        .isEqualTo(Map.of(FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME, "alice"));
  }

  /** Set by its readObject: reading it would run code of the stored bytes' choosing. */
  static final class Tripwire implements Serializable {
    private static final long serialVersionUID = 1L;
    static final AtomicBoolean READ = new AtomicBoolean();

    private void readObject(java.io.ObjectInputStream in) throws Exception {
      in.defaultReadObject();
      READ.set(true);
    }
  }
}
