/**
 * The Platform TCK: the contract every backend of {@link org.multiprocessing4j.platform.Platform}
 * must pass, run against {@link org.multiprocessing4j.platform.Platform#current()} — the backend
 * the test run selects ({@code -Dmp4j.platform=linux|posix}, the OS's own by default). A new
 * backend is done when these classes pass on it, then the whole suite. Children are started
 * through the backend's own spawn and run {@link org.multiprocessing4j.platform.tck.TckChild} in
 * a fresh JVM, so each test sees the seam and nothing of the library's launchers.
 *
 * <p>The contract, clause by clause (each test method is named after the clause it checks):
 *
 * <ol>
 *   <li><b>Spawn</b> ({@code SpawnContractTest}). A child receives exactly the handles it is
 *       given, handle {@code i} of the request as its {@code inheritedHandle(i)}, besides standard
 *       input, output and error. No
 *       other handle of the parent reaches it: not those created by the backend (which are never
 *       inheritable), and not one that a native library left inheritable either. Asking for
 *       {@code inheritedHandle(i)} again returns an equal handle, and once asked for it is not
 *       inherited by what the child executes (close-on-exec on POSIX). A program that
 *       cannot be started fails the call with an {@link java.io.IOException}, not the child.
 *   <li><b>Exit status</b> ({@code ExitStatusContractTest}). A child that exits reports its exit
 *       code and no signal; one ended by a signal reports that signal, and
 *       {@code pythonExitCode()} is then minus its number, as CPython's {@code exitcode}; the
 *       backend names it ({@code signalName}: {@code SIGKILL} for {@code Stop.KILL},
 *       {@code SIGTERM} for {@code Stop.TERMINATE}). A child that handles a stop request
 *       ({@code handleStopRequests}), reports it and exits through its hooks is decoded by
 *       {@code afterStopReport} as ended by that signal; without a report the status stays.
 *       Reaping without blocking returns nothing while the child runs; a child is reaped once,
 *       after which asking again is an {@code IOException}; signalling a reaped child is not an
 *       error.
 *   <li><b>Handle transfer</b> ({@code HandleTransferContractTest}). A handle sent to a running
 *       process over a connected socket pair works in that process; several travel in one
 *       message, in order, each the same object as the one sent; the sender keeps its own; more
 *       than {@code maxHandlesPerMessage()} is refused at the call.
 *   <li><b>Wait channel</b> ({@code WaitChannelContractTest}). A wait on a 32-bit word of shared
 *       memory returns at once when the word differs from the expected value; a wake reaches a
 *       sleeper in another process; a wait that reports a timeout has waited at least that long
 *       (never early: a backend that returns early must report a wake-up, which callers
 *       re-check); a wake with nobody waiting wakes nobody. Elapsed time is only ever checked
 *       from below: that is correctness, not speed.
 *   <li><b>Liveness</b> ({@code LivenessContractTest}). A liveness mark that a process places on
 *       a shared file is seen by other processes while it lives and is gone once it is killed
 *       (SIGKILL: nothing of it runs). A token whose pid names a running process that did not
 *       write it (a reused pid) has no mark: dead. A reaped child has no start time.
 *   <li><b>Named memory</b> ({@code NamedMemoryContractTest}). A created block is private to this
 *       user (mode 0600, owned by this user) and is opened by name as the same memory; creating
 *       an existing name is a {@link java.nio.file.FileAlreadyExistsException}; opening or
 *       unlinking a missing one a {@link java.nio.file.NoSuchFileException}; unlinking removes
 *       the name and keeps the mappings. A 30-character name (the longest every POSIX.1-2017
 *       system takes) works; a name with a {@code /} inside is refused and leaves nothing.
 *   <li><b>Inspection</b> ({@code NamedMemoryInspectionContractTest}). For tools only: a backend
 *       may answer "cannot tell" (empty) to listing named memory, to which blocks are in use and
 *       to whether a token's process runs; when it answers, the answer is true (a created name is
 *       listed until unlinked; a block is in use while mapped or held and not after; this process
 *       runs, a pid above every limit does not).
 *   <li><b>Parent death</b> ({@code ParentDeathContractTest}). A child that asked to die with its
 *       parent dies when its parent is killed, whatever the parent could not run.
 *   <li><b>Waiting on several handles</b> ({@code MultiHandleWaitContractTest}). One wait
 *       reports exactly the handles that are readable: with data, or whose peer has closed; a
 *       process sentinel once its process has ended; and nothing, after no less than the
 *       timeout, when nothing happened. A handle that is not open is a
 *       {@link java.nio.channels.ClosedChannelException}, never "ready".
 *   <li><b>Pipes and sockets</b> ({@code PipeAndSocketContractTest}). What is written is read,
 *       then end of stream once the writer is closed; writing to a closed reader is an
 *       {@link java.io.EOFException}, never a signal; closing a handle twice is harmless.
 * </ol>
 *
 * <p>Every test bounds its waits ({@code Tck.PATIENCE}) and kills and reaps what it started in
 * {@code finally}; the suite's leak check sees no child, descriptor or named block left behind.
 */
package org.multiprocessing4j.platform.tck;
