/*
 * process_times: GetProcessTimes gives a process's creation time, which with the process handle
 * is the backend's liveness token, proof against pid reuse: (pid, creation time) names one
 * process for ever. Shown: the creation time read through two independent handles (the
 * CreateProcessW handle and OpenProcess by pid) is the same, lies between the parent's clock
 * just before and just after CreateProcessW (GetSystemTimeAsFileTime, 100 ns units; allowing
 * one clock tick of 16 ms), is later than the parent's own, and is still readable through the
 * handle after the process has exited (the handle keeps the process object). Wine 8.0 reports
 * creation times the same way (wineserver's start time of the process).
 */
#include "probe.h"

static ULONGLONG ft(FILETIME f) { return ((ULONGLONG)f.dwHighDateTime << 32) | f.dwLowDateTime; }

static ULONGLONG created(HANDLE h) {
    FILETIME c, e, k, u;
    CHECK(GetProcessTimes(h, &c, &e, &k, &u), "GetProcessTimes");
    return ft(c);
}

int main(int argc, char **argv) {
    probe_name = "process_times";
    if (argc == 2 && strcmp(argv[1], "child") == 0) { Sleep(500); return 0; }
    const ULONGLONG tick = 16 * 10000ull;
    FILETIME f0, f1;
    GetSystemTimeAsFileTime(&f0);
    PROCESS_INFORMATION pi = spawn_self("child", NULL, 0, 0, NULL);
    GetSystemTimeAsFileTime(&f1);
    ULONGLONG c1 = created(pi.hProcess);
    HANDLE other = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pi.dwProcessId);
    CHECK(other != NULL, "OpenProcess");
    ULONGLONG c2 = created(other);
    CHECK(c1 == c2, "two handles disagree: %llu vs %llu", c1, c2);
    CHECK(c1 + tick >= ft(f0) && c1 <= ft(f1) + tick, "creation %llu outside [%llu, %llu]", c1, ft(f0), ft(f1));
    CHECK(created(GetCurrentProcess()) <= c1, "the child was created before its parent");
    exit_code_within(pi.hProcess, 30000);
    CHECK(created(pi.hProcess) == c1, "creation time changed or unreadable after exit");
    CloseHandle(other);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    pass("creation time equal through two handles, within the spawn window (%llu us wide), readable after exit",
         (ft(f1) - ft(f0)) / 10);
    return 0;
}
