package org.neguard.tuf;

/** One signature of a metadata file: the key's id and the signature in lower-case hex. */
public record Signature(String keyid, String sig) {}
