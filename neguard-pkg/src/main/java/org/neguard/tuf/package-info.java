/**
 * The Update Framework (TUF 1.0, spec_version 1.0.31) for NEGuard's repository of published
 * packages (docs/REPOSITORY.md; OBJ-1, SRC-2, INT-4): canonical JSON ({@link
 * org.neguard.tuf.CanonicalJson}), keys and key files ({@link org.neguard.tuf.TufKey}, {@link
 * org.neguard.tuf.SigningKey}, {@link org.neguard.tuf.TufKeyFiles}), the metadata model ({@link
 * org.neguard.tuf.Metadata} and the role records), root assembly and chain checks ({@link
 * org.neguard.tuf.RootBuilder}, {@link org.neguard.tuf.RootChain}), the writer the server signs the
 * online roles with ({@link org.neguard.tuf.RepositoryWriter}) and the client the CLI and the agent
 * read the repository with ({@link org.neguard.tuf.TufClient}). Jackson, Bouncy Castle (key files
 * only) and the JDK: no Spring, no HTTP library beyond {@code java.net.http}.
 *
 * <p>Why a client of our own rather than sigstore-java's TUF client ({@code dev.sigstore.tuf}):
 * issue 13 asks for a small client the agent can carry, and that one is not small. It ships inside
 * the sigstore-java artifact, whose build (sigstore-java/build.gradle.kts) pulls gRPC and
 * protobuf, Gson, Google's HTTP client with its Apache transport, Google's OAuth client,
 * commons-codec and a JSON canonicalization library, none of which an NE otherwise needs; and it
 * is built around Sigstore's own trust root and repository layout. The TUF client workflow itself
 * is a few hundred lines here, and writing it lets every refusal carry NEGuard's reason codes and
 * a message saying what to do, and lets the agent plug in its mutual-TLS transport through
 * {@link org.neguard.tuf.Fetcher}. That it reads the specification as others do is proven against
 * tuf-js, a client written by others, in the interop test (TufJsInteropTest).
 */
package org.neguard.tuf;
