/**
 * Named shared memory support: the tracker that has the backend's reaper
 * ({@link org.multiprocessing4j.platform.Reaper}) remove, after this JVM has gone (even when
 * killed), the named blocks it created and did not unlink, and never any other block
 * ({@link org.multiprocessing4j.internal.shm.ShmTracker}: when the reaper runs, what it is told);
 * and CPython's {@code ShareableList}
 * layout, so that a list can be shared with Python by name
 * ({@link org.multiprocessing4j.internal.shm.ShareableListLayout}).
 *
 * <p>Not API. It may use the {@code platform} seam, never a backend.
 */
package org.multiprocessing4j.internal.shm;
