/*
 * Shared helpers of the Win32 probes (native/probes/windows): each probe is one program that
 * plays both sides, re-starting itself with a role argument, so every behaviour is shown across
 * two real processes. Build: x86_64-w64-mingw32-gcc -O2 -o X.exe X.c ; run: wine64 X.exe
 * (or natively on Windows). Each probe prints exactly one line, "PASS <name>: <detail>" or
 * "FAIL <name>: <reason>", and exits 0 on PASS, 1 on FAIL; scripts/windows-probes builds and
 * runs them all.
 */
#ifndef MP4J_PROBE_H
#define MP4J_PROBE_H

#define WIN32_LEAN_AND_MEAN
#define _WIN32_WINNT 0x0A00
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *probe_name = "probe";

static void pass(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void pass(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("PASS %s: ", probe_name);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

static void fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL %s: ", probe_name);
    vprintf(fmt, ap);
    printf(" (GetLastError %lu)\n", GetLastError());
    va_end(ap);
    fflush(stdout);
    ExitProcess(1);
}

#define CHECK(cond, ...) do { if (!(cond)) fail(__VA_ARGS__); } while (0)

#define INHERIT_ALL ((DWORD)-1)

/* Starts this program again as `exe <args>`. When n > 0, exactly the n handles given are
 * inherited (STARTUPINFOEXW + PROC_THREAD_ATTRIBUTE_HANDLE_LIST, bInheritHandles TRUE; the
 * handles must themselves be inheritable); when n == 0 nothing is inherited; INHERIT_ALL is the
 * classic bInheritHandles TRUE without a list (every inheritable handle, the control case). `std_in`, when not
 * NULL, becomes the child's standard input (it must then be in the list too). */
static PROCESS_INFORMATION spawn_self(const char *args, HANDLE *inherit, DWORD n, DWORD flags,
                                      HANDLE std_in) {
    WCHAR exe[MAX_PATH], cmd[2 * MAX_PATH];
    GetModuleFileNameW(NULL, exe, MAX_PATH);
    _snwprintf(cmd, 2 * MAX_PATH, L"\"%ls\" %hs", exe, args);
    STARTUPINFOEXW si;
    ZeroMemory(&si, sizeof si);
    si.StartupInfo.cb = sizeof si;
    if (std_in) {
        si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
        si.StartupInfo.hStdInput = std_in;
        si.StartupInfo.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
        si.StartupInfo.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    }
    LPPROC_THREAD_ATTRIBUTE_LIST list = NULL;
    if (n > 0 && n != INHERIT_ALL) {
        SIZE_T size = 0;
        InitializeProcThreadAttributeList(NULL, 1, 0, &size);
        list = HeapAlloc(GetProcessHeap(), 0, size);
        CHECK(InitializeProcThreadAttributeList(list, 1, 0, &size), "InitializeProcThreadAttributeList");
        CHECK(UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherit,
                                        n * sizeof(HANDLE), NULL, NULL), "UpdateProcThreadAttribute");
        si.lpAttributeList = list;
    }
    PROCESS_INFORMATION pi;
    CHECK(CreateProcessW(exe, cmd, NULL, NULL, n > 0, flags | EXTENDED_STARTUPINFO_PRESENT, NULL,
                         NULL, &si.StartupInfo, &pi), "CreateProcessW(%ls)", cmd);
    if (list) {
        DeleteProcThreadAttributeList(list);
        HeapFree(GetProcessHeap(), 0, list);
    }
    return pi;
}

/* Waits at most `ms` for `process` and returns its exit code; fails the probe on a timeout. */
__attribute__((unused)) static DWORD exit_code_within(HANDLE process, DWORD ms) {
    DWORD code = 0;
    CHECK(WaitForSingleObject(process, ms) == WAIT_OBJECT_0, "process did not exit within %lu ms", ms);
    CHECK(GetExitCodeProcess(process, &code), "GetExitCodeProcess");
    return code;
}

__attribute__((unused)) static HANDLE handle_arg(const char *s) { return (HANDLE)(UINT_PTR)_strtoui64(s, NULL, 10); }

/* An inheritable SECURITY_ATTRIBUTES (default DACL). */
__attribute__((unused)) static SECURITY_ATTRIBUTES inheritable = { sizeof(SECURITY_ATTRIBUTES), NULL, TRUE };

#endif
