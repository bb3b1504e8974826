/**
 * The machinery behind {@link org.multiprocessing4j.Manager} and
 * {@link org.multiprocessing4j.ManagerServer}, CPython's {@code managers} module: the messages of
 * the manager protocol ({@link org.multiprocessing4j.internal.manager.ManagerProtocol}) and the
 * client side, proxies and their connections
 * ({@link org.multiprocessing4j.internal.manager.ManagedProxy}).
 *
 * <p>Invariants: each client process has one session connection, which holds its references, and
 * one call connection per thread; every message travels over an authenticated connection with the
 * default codec; once the server is gone every call fails with
 * {@code ManagerUnavailableException}. ARCHITECTURE.md, "Listener, Client and CPython".
 *
 * <p>Not API: the module does not export this package. It may use the public package, the other
 * internal packages and the {@code platform} seam, never a backend.
 */
package org.multiprocessing4j.internal.manager;
