/**
 * jextract-generated FFM bindings for the Win32 calls, constants and structs of the
 * {@code windows} backend (header class {@code Win32}; kernel32 and advapi32), read from the
 * mingw-w64 headers for the target {@code x86_64-w64-windows-gnu}: LLP64, so {@code long},
 * {@code DWORD} and {@code BOOL} are 32-bit {@code int}s and a {@code HANDLE} is a pointer.
 *
 * <p>Generated, never edited: change {@code native/windows/windows.h} or
 * {@code native/windows/includes.txt} and run {@code scripts/jextract windows} (see
 * {@code native/README.md}); {@code scripts/jextract --check} verifies that this tree matches its
 * inputs. This file is the only hand-written one here, and the script keeps it. Imported only by
 * {@code platform.windows}. The classes here initialize only on Windows: their
 * {@code C_LONG} is the Windows linker's 32-bit {@code long}, so loading them on another OS
 * fails with a {@code ClassCastException} (unless the JVM runs with the Windows x64 ABI, the
 * JDK's {@code -Djdk.internal.foreign.CABI=WIN_64}, as the struct-layout test does; no downcall
 * can work there). The generated downcalls do not capture the last
 * error: callers build their own handle from {@code X$address()} and {@code X$descriptor()} with
 * {@code Linker.Option.captureCallState("GetLastError")}.
 */
package org.multiprocessing4j.platform.windows.bindings;
