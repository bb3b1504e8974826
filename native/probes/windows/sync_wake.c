/*
 * sync_wake: a named event and a named semaphore wake a sleeper in another process, and a
 * wait with a timeout returns WAIT_TIMEOUT, not early. This is the wait channel's primitive on
 * Windows (WaitOnAddress does not cross processes): a sleeper waits on a kernel object, a waker
 * sets or releases it.
 *
 * The child opens both objects by name (OpenEventW / OpenSemaphoreW), first waits 300 ms on
 * the semaphore with nobody releasing it (must time out, and not before 300 ms minus the clock
 * granularity GetTickCount64 reports, ~16 ms on Windows), then signals "ready" on the event and
 * waits up to 20 s on the semaphore, which the parent releases; then the parent waits up to
 * 20 s on a second event the child sets. Wine 8.0 and Windows agree; Wine's timeouts are
 * driven by wineserver and can overshoot more on a loaded machine (not early).
 */
#include "probe.h"

static int child(const char *tag) {
    WCHAR ready_n[96], sem_n[96], done_n[96];
    _snwprintf(ready_n, 96, L"Local\\mp4j-probe-ready-%hs", tag);
    _snwprintf(sem_n, 96, L"Local\\mp4j-probe-sem-%hs", tag);
    _snwprintf(done_n, 96, L"Local\\mp4j-probe-done-%hs", tag);
    HANDLE ready = OpenEventW(EVENT_MODIFY_STATE, FALSE, ready_n);
    HANDLE done = OpenEventW(EVENT_MODIFY_STATE, FALSE, done_n);
    HANDLE sem = OpenSemaphoreW(SYNCHRONIZE, FALSE, sem_n);
    if (!ready || !done || !sem) return 2;
    ULONGLONG t0 = GetTickCount64();
    if (WaitForSingleObject(sem, 300) != WAIT_TIMEOUT) return 3;
    if (GetTickCount64() - t0 < 300 - 20) return 4;   /* woke early */
    SetEvent(ready);
    if (WaitForSingleObject(sem, 20000) != WAIT_OBJECT_0) return 5;
    SetEvent(done);
    return 0;
}

int main(int argc, char **argv) {
    probe_name = "named_event_semaphore";
    if (argc == 3 && strcmp(argv[1], "child") == 0) return child(argv[2]);
    char tag[64];
    snprintf(tag, sizeof tag, "%lu-%lu", GetCurrentProcessId(), GetTickCount());
    WCHAR ready_n[96], sem_n[96], done_n[96];
    _snwprintf(ready_n, 96, L"Local\\mp4j-probe-ready-%hs", tag);
    _snwprintf(sem_n, 96, L"Local\\mp4j-probe-sem-%hs", tag);
    _snwprintf(done_n, 96, L"Local\\mp4j-probe-done-%hs", tag);
    HANDLE ready = CreateEventW(NULL, FALSE, FALSE, ready_n);
    HANDLE done = CreateEventW(NULL, FALSE, FALSE, done_n);
    HANDLE sem = CreateSemaphoreW(NULL, 0, 1000, sem_n);
    CHECK(ready && done && sem, "CreateEventW/CreateSemaphoreW");
    char args[96];
    snprintf(args, sizeof args, "child %s", tag);
    PROCESS_INFORMATION pi = spawn_self(args, NULL, 0, 0, NULL);
    HANDLE both[2] = { ready, pi.hProcess };
    DWORD w = WaitForMultipleObjects(2, both, FALSE, 20000);
    CHECK(w == WAIT_OBJECT_0, "the child never became ready (wait %lu, child exit %lu)", w,
          exit_code_within(pi.hProcess, 20000));
    CHECK(ReleaseSemaphore(sem, 1, NULL), "ReleaseSemaphore");
    CHECK(WaitForSingleObject(done, 20000) == WAIT_OBJECT_0, "the child did not wake");
    DWORD code = exit_code_within(pi.hProcess, 20000);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    CHECK(code == 0, "child failed at step %lu (3: no timeout, 4: woke early, 5: no wake)", code);
    pass("semaphore timeout not early, semaphore release and event set wake across processes");
    return 0;
}
