/*
 * exit_codes: what GetExitCodeProcess reports, which the backend turns into CPython's exitcode:
 * a normal exit gives its code (7), a process still running gives STILL_ACTIVE (259, which is
 * why a process that exits with 259 is indistinguishable from a running one unless the handle is
 * waited on first), and TerminateProcess(h, 0x10000) gives 0x10000. CPython's
 * multiprocessing.popen_spawn_win32 terminates with exactly that value (TERMINATE = 0x10000;
 * kill = terminate) and its wait() reports it as -signal.SIGTERM, i.e. -15. An exit code is
 * 32 bits: -1 from a process reads back as 0xFFFFFFFF. Wine 8.0 and Windows agree on all of
 * these. They differ on a second TerminateProcess of a process that has already ended: Windows
 * fails it with ERROR_ACCESS_DENIED (which CPython's terminate() tolerates once the exit code is
 * no longer STILL_ACTIVE), Wine 8.0 returns success; the probe prints which one it saw and does
 * not fail on it, and the backend must accept both.
 */
#include "probe.h"

int main(int argc, char **argv) {
    probe_name = "exit_codes";
    if (argc == 2 && strcmp(argv[1], "exit7") == 0) return 7;
    if (argc == 2 && strcmp(argv[1], "exitminus1") == 0) ExitProcess((UINT)-1);
    if (argc == 2 && strcmp(argv[1], "sleep") == 0) { Sleep(120000); return 0; }

    PROCESS_INFORMATION a = spawn_self("exit7", NULL, 0, 0, NULL);
    DWORD code = exit_code_within(a.hProcess, 30000);
    CHECK(code == 7, "exit 7 read back as %lu", code);

    PROCESS_INFORMATION m = spawn_self("exitminus1", NULL, 0, 0, NULL);
    code = exit_code_within(m.hProcess, 30000);
    CHECK(code == 0xFFFFFFFFu, "exit -1 read back as %lu", code);

    PROCESS_INFORMATION b = spawn_self("sleep", NULL, 0, 0, NULL);
    CHECK(GetExitCodeProcess(b.hProcess, &code) && code == STILL_ACTIVE, "running child reads %lu", code);
    CHECK(TerminateProcess(b.hProcess, 0x10000), "TerminateProcess");
    code = exit_code_within(b.hProcess, 30000);
    CHECK(code == 0x10000, "TerminateProcess(0x10000) read back as %lu", code);
    /* a second TerminateProcess of an ended process: Windows fails it with ERROR_ACCESS_DENIED,
       which CPython's terminate() tolerates when the exit code is no longer STILL_ACTIVE */
    BOOL again = TerminateProcess(b.hProcess, 0x10000);
    DWORD err = again ? 0 : GetLastError();
    HANDLE all[3] = { a.hProcess, m.hProcess, b.hProcess };
    for (int i = 0; i < 3; i++) CloseHandle(all[i]);
    CloseHandle(a.hThread);
    CloseHandle(m.hThread);
    CloseHandle(b.hThread);
    pass("exit 7 -> 7, exit -1 -> 0xFFFFFFFF, running -> STILL_ACTIVE (259), TerminateProcess(0x10000) -> 0x10000; "
         "terminating an ended process: %s (error %lu)", again ? "succeeded" : "failed", err);
    return 0;
}
