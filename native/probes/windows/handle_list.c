/*
 * handle_list: CreateProcessW with STARTUPINFOEXW + PROC_THREAD_ATTRIBUTE_HANDLE_LIST hands the
 * child exactly the listed handles: an inheritable handle NOT in the list is not inherited.
 * The spawn seam promises "a child gets exactly the handles passed, nothing else".
 *
 * Two inheritable events A and B; the child is given both values on its command line but only
 * A in the list. It sets A (must work) and tries to set B (must fail: no such handle). The parent
 * then sees A signalled and B not. Control run: the same child started the classic way
 * (bInheritHandles TRUE, no list) does set B, which shows that the probe can see a leak.
 * Windows: the attribute exists since Vista. Wine 8.0 (Debian bookworm) honours the list as well.
 */
#include "probe.h"

static int child(HANDLE a, HANDLE b) {
    DWORD flags;
    int a_ok = SetEvent(a) != 0;
    int b_seen = GetHandleInformation(b, &flags) != 0 && SetEvent(b) != 0;
    return a_ok ? (b_seen ? 2 : 0) : 3;
}

static DWORD run(HANDLE a, HANDLE b, DWORD n, HANDLE *list) {
    char args[128];
    ResetEvent(a);
    ResetEvent(b);
    snprintf(args, sizeof args, "child %llu %llu", (unsigned long long)(UINT_PTR)a,
             (unsigned long long)(UINT_PTR)b);
    PROCESS_INFORMATION pi = spawn_self(args, list, n, 0, NULL);
    DWORD code = exit_code_within(pi.hProcess, 30000);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return code;
}

int main(int argc, char **argv) {
    probe_name = "handle_list";
    if (argc == 4 && strcmp(argv[1], "child") == 0) return child(handle_arg(argv[2]), handle_arg(argv[3]));
    HANDLE a = CreateEventW(&inheritable, TRUE, FALSE, NULL);
    HANDLE b = CreateEventW(&inheritable, TRUE, FALSE, NULL);
    CHECK(a && b, "CreateEventW");

    DWORD code = run(a, b, 1, &a);
    CHECK(code != 3, "the listed handle was not usable in the child");
    CHECK(code == 0, "the child could use a handle that was not in the list (exit %lu)", code);
    CHECK(WaitForSingleObject(a, 0) == WAIT_OBJECT_0, "A not signalled by the child");
    CHECK(WaitForSingleObject(b, 0) == WAIT_TIMEOUT, "B signalled although not in the list");

    code = run(a, b, INHERIT_ALL, NULL);
    CHECK(code == 2 && WaitForSingleObject(b, 0) == WAIT_OBJECT_0,
          "control: without a list the child did not inherit B (exit %lu), so the probe proves nothing", code);
    pass("listed handle inherited, unlisted inheritable handle not (control without list: inherited)");
    return 0;
}
