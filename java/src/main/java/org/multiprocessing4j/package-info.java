/**
 * Python's {@code multiprocessing} for Java: child JVMs ({@link org.multiprocessing4j.ChildProcess},
 * {@link org.multiprocessing4j.Multiprocessing}), pipes and connections
 * ({@link org.multiprocessing4j.Pipe}, {@link org.multiprocessing4j.Connection},
 * {@link org.multiprocessing4j.Listener}, {@link org.multiprocessing4j.Client}), shared memory and
 * shared values ({@link org.multiprocessing4j.SharedMemory}, {@link org.multiprocessing4j.SharedInt},
 * ...), process-shared locks that survive a dead holder ({@link org.multiprocessing4j.SharedLock},
 * ...), queues ({@link org.multiprocessing4j.SharedQueue}), process pools
 * ({@link org.multiprocessing4j.ProcessPool}) and managers ({@link org.multiprocessing4j.Manager}),
 * with the {@link org.multiprocessing4j.Codec} SPI that turns values into bytes.
 *
 * <p>This is the only package the module exports, and it holds only the API: every top-level type
 * here is public ({@code ArchitectureTest} checks it). The machinery behind it lives in the
 * non-exported {@code internal} packages, one per concept (ARCHITECTURE.md has the map): the
 * start-method launchers, the child JVM's main class and start archives
 * ({@code internal.launch}), the task stream ({@code internal.task}), the pool scheduler and its
 * worker ({@code internal.pool}), the manager protocol and proxies ({@code internal.manager}), the
 * CPython authentication handshake ({@code internal.connection}). Public types reveal nothing to
 * them but through the access bridge ({@code internal.Access}), so no public method exists only
 * for them.
 *
 * <p>Rules: code here may use the {@code internal} packages and the {@code platform} seam, never
 * an operating-system backend or its generated bindings. Every shared object is
 * {@link java.lang.AutoCloseable}; {@code close()} releases this process's handle only, and the
 * named kinds separate it from {@code unlink()} as Python does. Two backends exist today, both
 * for POSIX systems: {@code linux} (the default on Linux) and the portable {@code posix} one,
 * chosen with {@code -Dmp4j.platform=posix}.
 *
 * <h2 id="os-mapping">Operating system mapping</h2>
 * The rest of this API's documentation speaks of a process's end in the library's own words —
 * <em>an interrupt</em>, <em>a terminate request</em>, <em>a kill</em>, <em>the process's exit
 * code</em> — and of <em>named memory</em>. This section, the only one that names
 * operating-system signals, errors and paths, says what those words are on each OS, as Python's
 * documentation says of {@code terminate()} "On POSIX this is done using the SIGTERM signal".
 * The Windows column is what the Windows backend does ({@code -Dmp4j.platform=windows}, the
 * default on Windows); that backend is compiled and its Win32 behaviour probed, but it has not
 * yet been run on Windows by this project. Where CPython's own Windows behaviour differs, the
 * column says so.
 *
 * <table>
 *   <caption>What the library's words are on each operating system</caption>
 *   <tr><th>the library's word</th><th>POSIX (the {@code linux} and {@code posix} backends)</th>
 *       <th>Windows</th></tr>
 *   <tr><td>an interrupt ({@link org.multiprocessing4j.ChildProcess#interrupt()})</td>
 *       <td>{@code SIGINT}, as Ctrl-C at a terminal: the child runs its shutdown hooks, then
 *       reports exit code {@code -2}</td>
 *       <td>a stop request the library delivers to the child itself (a named event the child
 *       waits on), which answers it as Ctrl-C (shutdown hooks run), reported as {@code -2}; a
 *       process not yet listening is ended with {@code TerminateProcess(handle, 0x10002)}, also
 *       reported as {@code -2}; not a console control event, since {@code CTRL_C_EVENT} cannot be
 *       sent to one process group and {@code CTRL_BREAK_EVENT} makes a JVM print a thread
 *       dump</td></tr>
 *   <tr><td>a terminate request ({@link org.multiprocessing4j.ChildProcess#terminate()},
 *       {@link org.multiprocessing4j.ProcessPool#terminate()})</td>
 *       <td>{@code SIGTERM}: the child runs its shutdown hooks, then reports exit code
 *       {@code -15}</td>
 *       <td>{@code TerminateProcess(handle, 0x10000)}, reported as {@code -15}: exactly CPython's
 *       {@code terminate()} on Windows ({@code popen_spawn_win32} terminates with
 *       {@code TERMINATE = 0x10000} and its {@code wait()} reports that code as
 *       {@code -signal.SIGTERM}); no code of the child runs, so, unlike on POSIX, no shutdown
 *       hooks</td></tr>
 *   <tr><td>a kill ({@link org.multiprocessing4j.ChildProcess#kill()},
 *       {@link org.multiprocessing4j.ProcessPool#kill()})</td>
 *       <td>{@code SIGKILL}: no code of the child runs; exit code {@code -9}</td>
 *       <td>{@code TerminateProcess(handle, 0x10009)}, reported as {@code -9} (CPython's
 *       {@code kill()} is its {@code terminate()} and reports {@code -15})</td></tr>
 *   <tr><td>the process's exit code ({@link org.multiprocessing4j.ChildProcess#exitCode()},
 *       {@link org.multiprocessing4j.WorkerDiedException#exitCode()})</td>
 *       <td>as Python: the exit status of a process that exited; {@code -N} for a process
 *       ended by signal {@code N} ({@code -6}, {@code SIGABRT}, for a JVM that crashed), including
 *       {@code SIGINT} and {@code SIGTERM} that the child handled to run its hooks (a child that
 *       exits with {@code 128 + N} by itself is reported with that exit code)</td>
 *       <td>the code {@code GetExitCodeProcess} gives, as a signed 32-bit value (CPython
 *       reports it unsigned: an exit with {@code -1} reads {@code 4294967295} there); the codes
 *       {@code 0x10000} and {@code 0x10009} read {@code -15} and {@code -9}, also when a process
 *       exits with them by itself</td></tr>
 *   <tr><td>a child's parent dies (every child of this library then exits)</td>
 *       <td>Linux: {@code PR_SET_PDEATHSIG} with {@code SIGKILL}; {@code posix}: a watchdog
 *       thread; both also watch the bootstrap connection for end of stream</td>
 *       <td>a job object with {@code JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE}: the kernel closes the
 *       parent's handle to it when the parent ends, killed or not, and that kills the
 *       children</td></tr>
 *   <tr><td>a lock's owner process died ({@link org.multiprocessing4j.SharedLock},
 *       {@link org.multiprocessing4j.SharedReentrantLock})</td>
 *       <td>the recovery of a POSIX robust mutex, implemented by the library on every backend:
 *       the next acquirer takes the lock over with
 *       {@link org.multiprocessing4j.SharedLock#isConsistent()} {@code false}
 *       ({@code EOWNERDEAD}); {@link org.multiprocessing4j.SharedLock#markConsistent()} is
 *       {@code pthread_mutex_consistent}; unlocking without it makes the lock not recoverable
 *       ({@code ENOTRECOVERABLE}, here
 *       {@link org.multiprocessing4j.LockNotRecoverableException})</td>
 *       <td>the same; the nearest Win32 notion is a mutex's {@code WAIT_ABANDONED}</td></tr>
 *   <tr><td>named memory ({@link org.multiprocessing4j.SharedMemory} names, named queues and
 *       locks, a queue's spill segments {@code mp4j-q-…})</td>
 *       <td>the {@code shm_open} namespace: on Linux the files of {@code /dev/shm}
 *       ({@code /dev/shm/<name>}); elsewhere (macOS, the BSDs) a namespace with no path in the
 *       file system</td>
 *       <td>the {@code Local\} namespace of named file mappings ({@code Local\<name>}), sized
 *       and committed at creation (an attacher sees the size rounded up to the page size, as in
 *       CPython); no tracker and nothing to unlink: the kernel frees a mapping and its name with
 *       the last handle or view, also after a crash, so {@code unlink()} removes nothing and a
 *       name stays visible while anyone still maps it</td></tr>
 *   <tr><td>connections ({@link org.multiprocessing4j.Pipe}, a pool's and a child's
 *       channels)</td>
 *       <td>socket pairs (duplex) and pipes (one-way)</td>
 *       <td>named pipes {@code \\.\pipe\mp4j-<pid>-<random>}, as CPython's {@code Pipe()} on
 *       Windows, open to this user only; a {@link org.multiprocessing4j.Listener} and
 *       {@link org.multiprocessing4j.Client} use {@code AF_UNIX} sockets (Windows 10 1803 and
 *       later) or TCP</td></tr>
 *   <tr><td>sending on a {@link org.multiprocessing4j.Connection} whose other end is
 *       closed</td>
 *       <td>{@link java.io.EOFException}; never raises {@code SIGPIPE} in the sending process</td>
 *       <td>{@link java.io.EOFException}</td></tr>
 * </table>
 */
package org.multiprocessing4j;
