/**
 * Starting child JVMs, CPython's {@code popen_*} modules: one {@link
 * org.multiprocessing4j.internal.launch.Launcher} per start method
 * ({@link org.multiprocessing4j.internal.launch.SpawnLauncher},
 * {@link org.multiprocessing4j.internal.launch.ForkserverLauncher}), the child's command line and
 * pool/cache key ({@link org.multiprocessing4j.internal.launch.ChildCommand}), the start archives
 * ({@link org.multiprocessing4j.internal.launch.AotCache}), who this process is
 * ({@link org.multiprocessing4j.internal.launch.CurrentProcess}) and the child JVM's main class
 * ({@link org.multiprocessing4j.internal.launch.ChildMain}) with its parts: the bootstrap frame and
 * the forkserver hand-off ({@link org.multiprocessing4j.internal.launch.ChildBootstrap}), the
 * parent watchdog ({@link org.multiprocessing4j.internal.launch.ParentWatchdog}), the signal
 * handlers ({@link org.multiprocessing4j.internal.launch.SignalReporter}), the failure and signal
 * records ({@link org.multiprocessing4j.internal.launch.ChildReports}) and the warm-up
 * ({@link org.multiprocessing4j.internal.launch.ChildWarmUp}).
 *
 * <p>Invariants: the bootstrap frames and report records are laid out once, on
 * {@code SpawnLauncher}, and parent and child check magic and version; a child never outlives its
 * parent (the watchdog on the frame pipe or bootstrap socket, and the parent-death signal); every
 * descriptor a child inherits is close-on-exec once its set-up thread ran (until then none is
 * passed on: our spawns pass exact handles, {@link java.lang.ProcessBuilder} closes the rest); a
 * spawned child makes no native call before its task needs one. ARCHITECTURE.md, "How a child starts", walks through it.
 *
 * <p>Not API: the module does not export this package. It may use the public package, the other
 * internal packages and the {@code platform} seam, never a backend; it reaches package-private
 * parts of public types only through {@link org.multiprocessing4j.internal.Access}.
 */
package org.multiprocessing4j.internal.launch;
