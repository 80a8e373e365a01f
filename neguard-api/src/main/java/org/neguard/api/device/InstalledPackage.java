package org.neguard.api.device;

/** A package a device runs, as it reports it (enrollment, a successful install). */
public record InstalledPackage(String name, String version, long securityVersion) {}
