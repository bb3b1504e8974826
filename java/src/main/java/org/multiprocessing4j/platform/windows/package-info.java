/**
 * The Windows backend of {@link org.multiprocessing4j.platform.Platform}:
 * {@code WindowsPlatform}, chosen where {@code os.name} starts with "Windows" or by
 * {@code -Dmp4j.platform=windows} (and refused on any other OS), on Win32 through the
 * jextract-generated bindings in {@code ...windows.bindings} (header class {@code Win32};
 * kernel32, advapi32 and ws2_32, read from the mingw-w64 headers; LLP64; x86_64 only).
 *
 * <p><b>State: compiled here, never run on Windows by this project.</b> No Windows JDK runs on
 * the machines this project is built on. What is proven: the pure parts, tested on every OS
 * ({@code WindowsCommandLine}, {@code WindowsExitCodes}, {@code WindowsPipeNames},
 * {@code WindowsSpawnPlan}, {@code WindowsHandleMessage}, {@code WindowsWaitArea},
 * {@code WindowsMemoryNames}, {@code WindowsSecurityDescriptors}); the generated struct layouts
 * against {@code x86_64-w64-mingw32-gcc} ({@code WindowsBindingsLayoutTest}); and the Win32
 * behaviours the calls rely on, across two real processes under Wine, by the C probes of
 * {@code native/probes/windows} (their comments say where Wine differs from Windows). Every
 * class that calls Win32 is compiled only: the first run on Windows is the Platform TCK
 * ({@code -Dmp4j.platform=windows}), then the suite.
 *
 * <p>One class per capability, as {@code platform.posix}: {@code WindowsHandles} (kinds, close,
 * duplicate, inheritance), {@code WindowsIo} (named pipes and I/O), {@code WindowsWaits}
 * (waiting on several handles), {@code WindowsTransfer} (handles to a running process),
 * {@code WindowsProcesses} (spawn, job, exit, stop, interrupts), {@code WindowsMemory},
 * {@code WindowsWaitChannel}, {@code WindowsLiveness}, {@code WindowsSockets},
 * {@code WindowsFiles} (private files), {@code WindowsSecurity} (the DACL); errors are translated
 * in {@code WindowsErrors}, every call made the one way {@code WindowsNative} writes.
 *
 * <table>
 *   <caption>Seam operations on Windows (probe: the file of {@code native/probes/windows} that
 *   shows the behaviour under Wine; "-": none)</caption>
 *   <tr><th>seam</th><th>Win32</th><th>probe</th></tr>
 *   <tr><td>{@code Handle}</td><td>a {@code HANDLE} (or {@code SOCKET}) value; its kind is
 *       remembered or asked ({@code GetFileType}, {@code getsockname})</td><td>-</td></tr>
 *   <tr><td>{@code pipe}, {@code socketPair}</td><td>named pipes: {@code CreateNamedPipeW}
 *       ({@code FILE_FLAG_FIRST_PIPE_INSTANCE}, {@code FILE_FLAG_OVERLAPPED},
 *       {@code PIPE_REJECT_REMOTE_CLIENTS}, random name, current-user DACL from
 *       {@code ConvertStringSecurityDescriptorToSecurityDescriptorW}), {@code CreateFileW},
 *       {@code ConnectNamedPipe}</td><td>pipe_overlapped</td></tr>
 *   <tr><td>{@code read}, {@code writeFully}, {@code readNow}</td><td>{@code ReadFile} /
 *       {@code WriteFile} overlapped + {@code GetOverlappedResult}; {@code PeekNamedPipe};
 *       {@code ERROR_BROKEN_PIPE} is end of stream; sockets: {@code recv}/{@code send}</td>
 *       <td>pipe_overlapped</td></tr>
 *   <tr><td>{@code awaitReadable}</td><td>{@code WaitForMultipleObjects} (groups of 63 on helper
 *       threads past 64), {@code PeekNamedPipe} between slices for pipes, {@code WSAPoll}</td>
 *       <td>wait_many</td></tr>
 *   <tr><td>{@code awaitHangUp}, {@code shutdown}</td><td>{@code PeekNamedPipe} every 50 ms;
 *       {@code CancelIoEx} + {@code DisconnectNamedPipe}; sockets {@code WSAPoll},
 *       {@code shutdown(SD_BOTH)}</td><td>pipe_overlapped (end of stream)</td></tr>
 *   <tr><td>{@code sendWithHandles}, {@code receiveWithHandles}</td><td>a record of handle
 *       values in the data ({@code WindowsHandleMessage}); the receiver
 *       {@code OpenProcess(PROCESS_DUP_HANDLE)} + {@code DuplicateHandle(DUPLICATE_CLOSE_SOURCE)}</td>
 *       <td>duplicate_handle</td></tr>
 *   <tr><td>{@code spawn}, {@code inheritedHandle}</td><td>{@code DuplicateHandle} (inheritable
 *       copies), {@code InitializeProcThreadAttributeList} + {@code UpdateProcThreadAttribute(
 *       PROC_THREAD_ATTRIBUTE_HANDLE_LIST)}, {@code CreateProcessW(EXTENDED_STARTUPINFO_PRESENT,
 *       CREATE_SUSPENDED)}, {@code AssignProcessToJobObject}, {@code ResumeThread}; values in
 *       {@code MP4J_INHERITED_HANDLES}, {@code SetHandleInformation} in the child</td>
 *       <td>handle_list</td></tr>
 *   <tr><td>{@code dieWithParent}</td><td>the parent's job, {@code CreateJobObjectW} +
 *       {@code SetInformationJobObject(JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE)}; the child checks the
 *       parent's creation time and waits on its handle</td><td>job_kill, process_times</td></tr>
 *   <tr><td>{@code openProcessHandle}, {@code waitForExit}</td><td>{@code OpenProcess(SYNCHRONIZE)};
 *       {@code WaitForSingleObject} + {@code GetExitCodeProcess}, {@code WindowsExitCodes}</td>
 *       <td>exit_codes</td></tr>
 *   <tr><td>{@code stop}, {@code handleStopRequests}</td><td>{@code TerminateProcess(0x10000 |
 *       0x10009)}; an interrupt: {@code OpenEventW} + {@code SetEvent} on the child's
 *       {@code Local\mp4j-int-<pid>-<created>}, else {@code TerminateProcess(0x10002)}; the
 *       child: {@code CreateEventW} + a thread in {@code WaitForSingleObject}, and the JVM's
 *       {@code INT}/{@code TERM} console events</td><td>exit_codes, sync_wake</td></tr>
 *   <tr><td>memory</td><td>{@code CreateFileMappingW(INVALID_HANDLE_VALUE, SEC_COMMIT)},
 *       anonymous or {@code Local\name} ({@code createNamedMemory}: the size is fixed at
 *       creation, {@code openNamedMemory(name, true)} is refused), {@code OpenFileMappingW},
 *       {@code MapViewOfFile}, {@code VirtualQuery} (sizes rounded to pages); unlink only checks
 *       the name; no reaper (the kernel frees a mapping with its last handle)</td>
 *       <td>named_mapping</td></tr>
 *   <tr><td>wait channel</td><td>a named semaphore per word ({@code CreateSemaphoreW},
 *       {@code WaitForSingleObject}, {@code ReleaseSemaphore}), sleeper counts in the region
 *       ({@code WindowsWaitArea}, 192 bytes)</td><td>sync_wake</td></tr>
 *   <tr><td>liveness</td><td>token = pid + creation time ({@code GetProcessTimes}); alive =
 *       {@code OpenProcess} + {@code WaitForSingleObject(h, 0)} + same creation time; marks
 *       place nothing</td><td>process_times</td></tr>
 *   <tr><td>sockets</td><td>Winsock: {@code WSASocketW(WSA_FLAG_NO_HANDLE_INHERIT)},
 *       {@code bind}/{@code listen}/{@code accept}/{@code connect}, {@code ioctlsocket(FIONBIO)},
 *       {@code WSAPoll}, {@code getsockname}; {@code AF_UNIX} (Windows 10 1803+) and TCP</td>
 *       <td>-</td></tr>
 *   <tr><td>identity, files</td><td>{@code GetCurrentProcessId}; the parent's pid from the
 *       environment; uid 0 and mode 0600 as neutral answers (the DACL is the owner check); private
 *       files by an owner-only ACL at creation ({@code acl:acl})</td><td>-</td></tr>
 * </table>
 *
 * <p>Not proven anywhere, and what a first run on Windows should watch for: the overlapped pipe
 * I/O of several threads on one handle; whether {@code PeekNamedPipe} reports a broken pipe while
 * unread data remains (the hang-up watch and end-of-stream readiness rely on it); the pipe
 * readiness latency of up to 16 ms in {@code awaitReadable}; a sender that exits before its
 * handles are received; job nesting inside a CI runner's job; {@code AF_UNIX} socket files and
 * the owner-only ACL; {@code WSAPoll}'s hang-up report; a wait channel's semaphores (their names,
 * spurious early returns); the TCK clauses written for POSIX (an unlinked name that is still
 * mapped stays visible on Windows).
 *
 * <p>The bindings' classes initialize only on Windows (their {@code C_LONG} is the Windows
 * linker's 32-bit {@code long}; on another OS the cast fails), so the classes here that call
 * them are loaded only on Windows, and {@code Platform}'s selection names this package only in
 * the case it chooses it ({@code ArchitectureTest}). The generated struct layouts are checked
 * here all the same, in a JVM switched to the Windows x64 ABI
 * ({@code -Djdk.internal.foreign.CABI=WIN_64}, no downcall made).
 *
 * <p>Rules: only this package imports {@code ...windows.bindings}; the bindings are regenerated
 * by {@code scripts/jextract windows} and never edited by hand.
 */
package org.multiprocessing4j.platform.windows;
