/**
 * Named shared memory support: the tracker that has the backend's reaper
 * ({@link org.multiprocessing4j.platform.Reaper}) remove, after this JVM has gone (even when
 * killed), the named blocks it created and did not unlink, and never any other block
 * ({@link org.multiprocessing4j.internal.shm.ShmTracker}: when the reaper runs, what it is told);
 * and CPython's {@code ShareableList}
 * layout, so that a list can be shared with Python by name
 * ({@link org.multiprocessing4j.internal.shm.ShareableListLayout}); and how a synchronization
 * object creates or opens its region, by name or anonymously, waiting for a creator's magic
 * ({@link org.multiprocessing4j.internal.shm.Regions}).
 *
 * <p>Not API. It may use the {@code platform} seam, never a backend.
 */
package org.multiprocessing4j.internal.shm;
