/*
 * wait_many: WaitForMultipleObjects takes at most MAXIMUM_WAIT_OBJECTS (64) handles: 65 fail
 * with ERROR_INVALID_PARAMETER. The backend's awaitReadable waits on more (a pool with many
 * workers, many connections) in groups of 64: one helper thread per group waits with
 * bWaitAll FALSE on its group plus one shared "stop" event, and the caller waits on the helper
 * threads. Shown here with 100 named events, the 100th set by another process: the wait
 * returns, names event 99 as ready, and the helpers are stopped and joined. Wine 8.0 and
 * Windows agree (both have the limit of 64).
 */
#include "probe.h"

#define N 100

typedef struct { HANDLE h[MAXIMUM_WAIT_OBJECTS]; DWORD n, base; volatile LONG ready; } group_t;

static DWORD WINAPI group_wait(LPVOID arg) {
    group_t *g = arg;
    DWORD w = WaitForMultipleObjects(g->n, g->h, FALSE, 30000);
    if (w < WAIT_OBJECT_0 + g->n) g->ready = (LONG)(g->base + w - WAIT_OBJECT_0);
    return 0;
}

static int child(const char *tag) {
    WCHAR name[96];
    _snwprintf(name, 96, L"Local\\mp4j-probe-many-%hs-%d", tag, N - 1);
    HANDLE e = OpenEventW(EVENT_MODIFY_STATE, FALSE, name);
    if (!e) return 2;
    Sleep(200);
    return SetEvent(e) ? 0 : 3;
}

int main(int argc, char **argv) {
    probe_name = "wait_many";
    if (argc == 3 && strcmp(argv[1], "child") == 0) return child(argv[2]);
    char tag[64];
    snprintf(tag, sizeof tag, "%lu-%lu", GetCurrentProcessId(), GetTickCount());
    HANDLE ev[N];
    for (int i = 0; i < N; i++) {
        WCHAR name[96];
        _snwprintf(name, 96, L"Local\\mp4j-probe-many-%hs-%d", tag, i);
        ev[i] = CreateEventW(NULL, TRUE, FALSE, name);
        CHECK(ev[i] != NULL, "CreateEventW %d", i);
    }
    SetLastError(0);
    DWORD w = WaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS + 1, ev, FALSE, 0);
    CHECK(w == WAIT_FAILED && GetLastError() == ERROR_INVALID_PARAMETER,
          "65 handles did not fail with ERROR_INVALID_PARAMETER (wait %lu)", w);

    HANDLE stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    group_t groups[2];
    HANDLE threads[2];
    for (int g = 0; g < 2; g++) {
        DWORD first = g * (MAXIMUM_WAIT_OBJECTS - 1);
        DWORD count = g == 0 ? MAXIMUM_WAIT_OBJECTS - 1 : N - first;
        groups[g].n = count + 1;
        groups[g].base = first;
        groups[g].ready = -1;
        memcpy(groups[g].h, ev + first, count * sizeof(HANDLE));
        groups[g].h[count] = stop;   /* the last slot: stop */
        threads[g] = CreateThread(NULL, 0, group_wait, &groups[g], 0, NULL);
    }
    char args[96];
    snprintf(args, sizeof args, "child %s", tag);
    PROCESS_INFORMATION pi = spawn_self(args, NULL, 0, 0, NULL);
    w = WaitForMultipleObjects(2, threads, FALSE, 30000);
    CHECK(w == WAIT_OBJECT_0 || w == WAIT_OBJECT_0 + 1, "no group woke (wait %lu)", w);
    SetEvent(stop);
    CHECK(WaitForMultipleObjects(2, threads, TRUE, 10000) == WAIT_OBJECT_0, "helpers did not stop");
    LONG ready = groups[w - WAIT_OBJECT_0].ready;
    CHECK(ready == N - 1, "the ready index is %ld, expected %d", ready, N - 1);
    DWORD code = exit_code_within(pi.hProcess, 20000);
    CHECK(code == 0, "child exit %lu", code);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    pass("65 handles refused (ERROR_INVALID_PARAMETER); %d handles waited in groups of 64 on helper threads, "
         "event %d set by another process found", N, N - 1);
    return 0;
}
