package org.neguard.server;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.security.servlet.UserDetailsServiceAutoConfiguration;

/**
 * The Spring Boot application: every feature package below {@code org.neguard.server} is
 * scanned. Started only through {@link NeguardServer}. Spring's default in-memory user (with a
 * password printed to the log) is excluded: accounts live in the database.
 */
@SpringBootApplication(proxyBeanMethods = false, exclude = UserDetailsServiceAutoConfiguration.class)
class ServerApplication {}
