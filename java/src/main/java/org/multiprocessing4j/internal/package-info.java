/**
 * Small pieces shared by the public package and the other internal packages: the owner of one
 * OS descriptor that closes it exactly once, never under a call in flight
 * ({@link org.multiprocessing4j.internal.Descriptor}); where Cleaner safety nets report a
 * resource that was never closed, for the test suite
 * ({@link org.multiprocessing4j.internal.LeakReports}); the library's few log lines, each to the
 * {@link System.Logger} of the public type concerned ({@link org.multiprocessing4j.internal.Logs});
 * the header every shared region starts
 * with (magic, version, layout size, creating backend and process, wait-channel area:
 * {@link org.multiprocessing4j.internal.RegionHeader}); the region of the shared values and
 * arrays that each of them holds ({@link org.multiprocessing4j.internal.SharedNumbers}) and its
 * layout ({@link org.multiprocessing4j.internal.NumbersLayout}); and the access bridge through
 * which the internal packages reach package-private parts of public types, so that none of them
 * needs a public method that is not API ({@link org.multiprocessing4j.internal.Access}).
 *
 * <p>Not API: the module does not export this package. It may use the {@code platform} seam,
 * never a backend. ARCHITECTURE.md has the package map.
 */
package org.multiprocessing4j.internal;
