/*
 * duplicate_handle: DuplicateHandle puts a handle into another, already running process that
 * inherited nothing (handle transfer to a running process, CPython's reduction.DupHandle).
 * The parent starts a child with no inherited handle except its standard input (a pipe), creates
 * an unnamed event, duplicates it into the child (DUPLICATE_SAME_ACCESS) and writes the value it
 * got back to the child's standard input; the child sets the event through that value.
 * Then the other direction, as the receiving side of DupHandle does: the parent opens the child
 * with PROCESS_DUP_HANDLE and pulls a handle out of it with DUPLICATE_CLOSE_SOURCE, after which
 * the value is no longer valid in the child. Wine 8.0 and Windows agree.
 */
#include "probe.h"

static int child(void) {
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
    unsigned long long v[2];
    DWORD got = 0;
    if (!ReadFile(in, v, sizeof v, &got, NULL) || got != sizeof v) return 2;
    HANDLE ev = (HANDLE)(UINT_PTR)v[0];
    HANDLE stop = (HANDLE)(UINT_PTR)v[1];
    if (!SetEvent(ev)) return 3;
    /* the second event is pulled out by the parent with DUPLICATE_CLOSE_SOURCE; wait until our
       value is no longer valid, then exit */
    for (int i = 0; i < 2000; i++) {
        DWORD flags;
        if (!GetHandleInformation(stop, &flags)) return 0;
        Sleep(10);
    }
    return 4;
}

int main(int argc, char **argv) {
    probe_name = "duplicate_handle";
    if (argc == 2 && strcmp(argv[1], "child") == 0) return child();
    HANDLE r, w;
    CHECK(CreatePipe(&r, &w, &inheritable, 0), "CreatePipe");
    SetHandleInformation(w, HANDLE_FLAG_INHERIT, 0);
    PROCESS_INFORMATION pi = spawn_self("child", &r, 1, 0, r);
    CloseHandle(r);
    HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);       /* not inheritable */
    HANDLE second = CreateEventW(NULL, TRUE, FALSE, NULL);
    HANDLE remote = NULL, remote2 = NULL;
    CHECK(DuplicateHandle(GetCurrentProcess(), ev, pi.hProcess, &remote, 0, FALSE, DUPLICATE_SAME_ACCESS),
          "DuplicateHandle(push)");
    CHECK(DuplicateHandle(GetCurrentProcess(), second, pi.hProcess, &remote2, 0, FALSE, DUPLICATE_SAME_ACCESS),
          "DuplicateHandle(push second)");
    unsigned long long v[2] = { (UINT_PTR)remote, (UINT_PTR)remote2 };
    DWORD put;
    CHECK(WriteFile(w, v, sizeof v, &put, NULL), "WriteFile");
    CHECK(WaitForSingleObject(ev, 20000) == WAIT_OBJECT_0,
          "the child did not set the event through the duplicated handle");

    HANDLE source = OpenProcess(PROCESS_DUP_HANDLE, FALSE, pi.dwProcessId);
    CHECK(source != NULL, "OpenProcess(PROCESS_DUP_HANDLE)");
    HANDLE pulled = NULL;
    CHECK(DuplicateHandle(source, remote2, GetCurrentProcess(), &pulled, 0, FALSE,
                          DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE), "DuplicateHandle(pull, close source)");
    CHECK(SetEvent(pulled) && WaitForSingleObject(second, 0) == WAIT_OBJECT_0,
          "the pulled handle is not the same event");
    DWORD code = exit_code_within(pi.hProcess, 30000);
    CHECK(code == 0, "child step %lu (2: no value, 3: SetEvent failed, 4: source not closed)", code);
    CloseHandle(source);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    pass("pushed into a running child that inherited nothing; pulled back with DUPLICATE_CLOSE_SOURCE");
    return 0;
}
