/**
 * Named shared memory support: the tracker process that removes, after this JVM has gone (even
 * by {@code SIGKILL}), the named blocks it created and did not unlink, and never any other block
 * ({@link org.multiprocessing4j.internal.shm.ShmTracker}); and CPython's {@code ShareableList}
 * layout, so that a list can be shared with Python by name
 * ({@link org.multiprocessing4j.internal.shm.ShareableListLayout}); and how a synchronization
 * object creates or opens its region, by name or anonymously, waiting for a creator's magic
 * ({@link org.multiprocessing4j.internal.shm.Regions}).
 *
 * <p>The tracker is Linux-shaped today: a {@code /bin/sh} script that removes names from
 * {@code /dev/shm}.
 *
 * <p>Not API. It may use the {@code platform} seam, never a backend.
 */
package org.multiprocessing4j.internal.shm;
