package org.neguard.server.auth;

import jakarta.servlet.http.HttpServletRequest;
import org.neguard.api.auth.Role;
import org.neguard.server.DeviceListener;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.web.Problems;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.crypto.argon2.Argon2PasswordEncoder;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.AnonymousAuthenticationFilter;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.multipart.MultipartHttpServletRequest;
import org.springframework.web.multipart.MultipartResolver;
import org.springframework.web.servlet.DispatcherServlet;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Spring Security set up for a token API: no sessions, no cookies (so no CSRF surface), no form
 * or basic login. Bearer tokens are authenticated by {@link TokenAuthenticationFilter}; the API's
 * authorization is each endpoint's {@link Allowed}, enforced by {@link EndpointAuthorization};
 * the Actuator's endpoints are authorized here (health is public, metrics need admin or auditor).
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfig implements WebMvcConfigurer {
  private final AuditLog audit;
  private final DeviceListener listener;
  private final Environment environment;

  SecurityConfig(AuditLog audit, DeviceListener listener, Environment environment) {
    this.audit = audit;
    this.listener = listener;
    this.environment = environment;
  }

  /** Argon2id with Spring Security's current parameters (16 MiB, 2 passes, random salt). */
  @Bean
  PasswordEncoder passwordEncoder() {
    return Argon2PasswordEncoder.defaultsForSpringSecurity_v5_8();
  }

  /**
   * No multipart parsing at all: the API takes JSON and raw bundles only, and Spring would
   * otherwise parse (and spool to disk) a multipart body before any authorization ran, failing
   * with an internal error on a malformed one. Named so that it replaces Spring Boot's resolver.
   */
  @Bean(name = DispatcherServlet.MULTIPART_RESOLVER_BEAN_NAME)
  MultipartResolver multipartResolver() {
    return new MultipartResolver() {
      @Override
      public boolean isMultipart(HttpServletRequest request) {
        return false;
      }

      @Override
      public MultipartHttpServletRequest resolveMultipart(HttpServletRequest request) {
        throw new MultipartException("multipart bodies are not accepted");
      }

      @Override
      public void cleanupMultipart(MultipartHttpServletRequest request) {
        // nothing was parsed
      }
    };
  }

  @Bean
  SecurityFilterChain api(HttpSecurity http, Accounts accounts) throws Exception {
    http.csrf(c -> c.disable())
        .httpBasic(b -> b.disable())
        .formLogin(f -> f.disable())
        .logout(l -> l.disable())
        .requestCache(r -> r.disable())
        .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
        .addFilterBefore(new TokenAuthenticationFilter(accounts, audit),
            AnonymousAuthenticationFilter.class)
        .authorizeHttpRequests(a -> a
            .requestMatchers("/actuator/health", "/actuator/health/**").permitAll()
            .requestMatchers("/actuator/**").hasAnyRole(Role.ADMIN.name(), Role.AUDITOR.name())
            .anyRequest().permitAll())
        .exceptionHandling(e -> e
            .authenticationEntryPoint((req, res, ex) -> {
              audit.append(AuditEvent.denied("anonymous", "ACCESS",
                  req.getMethod() + " " + req.getRequestURI(), "NOT_AUTHENTICATED"));
              Problems.write(res, Reason.of(ReasonCode.NOT_AUTHENTICATED,
                  "this endpoint needs a credential; log in with 'neguard login'"));
            })
            .accessDeniedHandler((req, res, ex) -> {
              audit.append(AuditEvent.denied(CurrentUser.actorName(), "ACCESS",
                  req.getMethod() + " " + req.getRequestURI(), "NOT_AUTHORIZED"));
              Problems.write(res, Reason.of(ReasonCode.NOT_AUTHORIZED,
                  "this endpoint needs the admin or auditor role"));
            }));
    return http.build();
  }

  @Override
  public void addInterceptors(InterceptorRegistry registry) {
    registry.addInterceptor(new EndpointAuthorization(audit, listener, environment));
  }
}
