/*
 * Umbrella header for the jextract-generated Win32 bindings of multiprocessing4j
 * (the Windows backend, org.multiprocessing4j.platform.windows).
 *
 * Read from the mingw-w64 headers (Debian mingw-w64-x86-64-dev) with clang's target
 * x86_64-w64-windows-gnu: LLP64, so `long` and DWORD are 32 bits and HANDLE is a pointer.
 * UNICODE is defined so that the W entry points are the ones named; the allow-list names
 * them explicitly anyway (CreateProcessW, never the CreateProcess macro).
 * Windows 10 (0x0A00) is the oldest version the backend targets: PIPE_REJECT_REMOTE_CLIENTS,
 * PROC_THREAD_ATTRIBUTE_HANDLE_LIST and CancelIoEx are all older than that.
 * Only the symbols listed in includes.txt are emitted; regenerate with scripts/jextract
 * (see native/README.md).
 */
#ifndef MULTIPROCESSING4J_WINDOWS_H
#define MULTIPROCESSING4J_WINDOWS_H

#define WIN32_LEAN_AND_MEAN
#define UNICODE
#define _UNICODE
#define _WIN32_WINNT 0x0A00
#define WINVER 0x0A00

#include <winsock2.h>
#include <ws2tcpip.h>
#include <afunix.h>
#include <windows.h>
#include <sddl.h>

#endif /* MULTIPROCESSING4J_WINDOWS_H */
