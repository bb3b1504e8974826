/**
 * Connection machinery shared by {@link org.multiprocessing4j.Listener},
 * {@link org.multiprocessing4j.Client} and the managers, CPython's {@code connection} module: the
 * mutual challenge/response authentication in both of CPython's dialects
 * ({@link org.multiprocessing4j.internal.connection.Handshake}).
 *
 * <p>Invariants: messages are capped before they are read in full, MACs compare in constant time,
 * and the legacy HMAC-MD5 dialect is accepted only when asked for. ARCHITECTURE.md, "Listener,
 * Client and CPython".
 *
 * <p>Not API: the module does not export this package. It may use the public package and the
 * {@code platform} seam, never a backend.
 */
package org.multiprocessing4j.internal.connection;
