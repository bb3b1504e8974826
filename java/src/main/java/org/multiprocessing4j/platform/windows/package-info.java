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
 *       {@code CreateProcessW} by the rules of {@code CommandLineToArgvW}) and
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
 * <p>The bindings' classes initialize only on Windows (their {@code C_LONG} is the Windows
 * linker's 32-bit {@code long}; on another OS the cast fails), so the classes here that call
 * them are loaded only on Windows, and their tests can run only there.
 *
 * <p>Rules: only this package imports {@code ...windows.bindings}; the bindings are regenerated
 * by {@code scripts/jextract windows} and never edited by hand.
 */
package org.multiprocessing4j.platform.windows;
