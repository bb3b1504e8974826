/**
 * The beginning of a Windows backend of {@link org.multiprocessing4j.platform.Platform}: Win32
 * through the jextract-generated bindings in {@code ...windows.bindings} (header class
 * {@code Win32}, kernel32 and advapi32, read from the mingw-w64 headers; LLP64).
 *
 * <p><b>State: unproven, not selectable.</b> No Windows JDK runs on the machines this project is
 * built on, so nothing here has run on Windows. There is no {@code WindowsPlatform} yet, and
 * {@code Platform.current()} never chooses this package: Windows is still an
 * {@code UnsupportedPlatformException}. What exists:
 * <ul>
 *   <li>the pure parts, tested on every OS: {@code WindowsCommandLine} (quoting for
 *       {@code CreateProcessW} by the rules of {@code CommandLineToArgvW}; also split back by the
 *       real {@code CommandLineToArgvW} under Wine when it is installed) and
 *       {@code WindowsExitCodes} (CPython's exit codes: a terminated child {@code -15});</li>
 *   <li>compiled only: {@code WindowsNative} (the one call shape: a downcall that captures
 *       {@code GetLastError}), {@code WindowsErrors} (its translation, in one class),
 *       {@code WindowsMemory} (file mappings, anonymous and {@code Local\} named) and
 *       {@code WindowsLiveness} (a process's creation time as its token, proof against pid
 *       reuse).</li>
 * </ul>
 * Every Win32 behaviour these rely on is shown across two real processes by the C probes of
 * {@code native/probes/windows} under Wine (handle-list inheritance, kill-on-close jobs, named
 * mappings, event and semaphore wakes, overlapped pipes and their end of stream,
 * {@code DuplicateHandle}, exit codes, creation times); the probes' comments say where Wine
 * differs from Windows.
 *
 * <p>The seam, operation by operation, and the Win32 calls meant for it (probe: the file of
 * {@code native/probes/windows} that shows the behaviour under Wine; state: what exists here):
 * <table>
 *   <caption>Seam operations on Windows</caption>
 *   <tr><th>seam</th><th>Win32</th><th>probe</th><th>state</th></tr>
 *   <tr><td>handle</td><td>{@code HANDLE} (a pointer; {@code Handle.value()} its address)</td>
 *       <td>-</td><td>used by the classes here</td></tr>
 *   <tr><td>spawn with exact inheritance</td><td>{@code CreateProcessW} + {@code STARTUPINFOEXW} +
 *       {@code PROC_THREAD_ATTRIBUTE_HANDLE_LIST}, {@code CREATE_SUSPENDED} then
 *       {@code AssignProcessToJobObject} and {@code ResumeThread}; the command line from
 *       {@code WindowsCommandLine}</td><td>handle_list, job_kill</td><td>quoting done; spawn not
 *       written</td></tr>
 *   <tr><td>inheritedHandle(i)</td><td>handle values passed on the command line or the bootstrap
 *       pipe (they keep their values in the child)</td><td>handle_list</td><td>not written</td></tr>
 *   <tr><td>handle to a running process</td><td>{@code DuplicateHandle} into the target
 *       ({@code PROCESS_DUP_HANDLE}), or out of it with {@code DUPLICATE_CLOSE_SOURCE}</td>
 *       <td>duplicate_handle</td><td>not written</td></tr>
 *   <tr><td>pipes, connections</td><td>named pipes, overlapped: {@code CreateNamedPipeW}
 *       ({@code FILE_FLAG_FIRST_PIPE_INSTANCE}, {@code PIPE_REJECT_REMOTE_CLIENTS}, a random name,
 *       {@code WindowsSecurity}'s DACL), {@code ConnectNamedPipe}, {@code CreateFileW},
 *       {@code ReadFile}/{@code WriteFile}/{@code GetOverlappedResult}/{@code CancelIoEx};
 *       {@code ERROR_BROKEN_PIPE} is end of stream</td><td>pipe_overlapped</td><td>DACL
 *       written; pipes not written</td></tr>
 *   <tr><td>awaitReadable</td><td>{@code WaitForMultipleObjects} on the overlapped reads'
 *       events and process handles; more than 64 ({@code MAXIMUM_WAIT_OBJECTS}) by waiting in
 *       groups of 64 on helper threads</td><td>wait_many</td><td>not written</td></tr>
 *   <tr><td>waitForExit, stop</td><td>{@code WaitForSingleObject}, {@code GetExitCodeProcess},
 *       {@code TerminateProcess(h, 0x10000 | 0x10009)}</td><td>exit_codes</td><td>decoding
 *       done ({@code WindowsExitCodes})</td></tr>
 *   <tr><td>dieWithParent</td><td>a job with {@code JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE} held by
 *       the parent</td><td>job_kill</td><td>not written</td></tr>
 *   <tr><td>memory</td><td>{@code CreateFileMappingW} ({@code SEC_COMMIT}, anonymous or
 *       {@code Local\}), {@code OpenFileMappingW}, {@code MapViewOfFile}, {@code VirtualQuery};
 *       no unlink</td><td>named_mapping</td><td>{@code WindowsMemory}, compiled</td></tr>
 *   <tr><td>wait channel</td><td>one named semaphore per shared word
 *       ({@code Local\mp4j-w-<region id>-<offset>}), a waiter count in the word's area so that
 *       a wake with no sleeper makes no call, {@code ReleaseSemaphore(n)} to wake;
 *       {@code WaitOnAddress} does not cross processes</td><td>sync_wake</td><td>not
 *       written</td></tr>
 *   <tr><td>liveness</td><td>pid + creation time ({@code OpenProcess},
 *       {@code GetProcessTimes}, {@code WaitForSingleObject(h, 0)})</td><td>process_times</td>
 *       <td>{@code WindowsLiveness}, compiled</td></tr>
 *   <tr><td>sockets</td><td>{@code AF_UNIX} on Windows 10 1803+ or loopback TCP: to be chosen
 *       with numbers</td><td>-</td><td>not bound</td></tr>
 * </table>
 *
 * <p>The bindings' classes initialize only on Windows (their {@code C_LONG} is the Windows
 * linker's 32-bit {@code long}; on another OS the cast fails), so the classes here that call
 * them are loaded only on Windows, and tests of their calls can run only there. The generated
 * struct layouts are checked here all the same, in a JVM switched to the Windows x64 ABI
 * ({@code -Djdk.internal.foreign.CABI=WIN_64}, no downcall made), against
 * {@code x86_64-w64-mingw32-gcc} ({@code WindowsBindingsLayoutTest}).
 *
 * <p>Rules: only this package imports {@code ...windows.bindings}; the bindings are regenerated
 * by {@code scripts/jextract windows} and never edited by hand.
 */
package org.multiprocessing4j.platform.windows;
