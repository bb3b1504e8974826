/*
 * pipe_overlapped: a named pipe between two processes, as a Windows Connection would use it:
 * a random name, PIPE_REJECT_REMOTE_CLIENTS, FILE_FLAG_FIRST_PIPE_INSTANCE, and a security
 * descriptor granting the current user only (SDDL "D:P(A;;GA;;;<user SID>)" built with
 * OpenProcessToken + GetTokenInformation(TokenUser) + ConvertSidToStringSidW +
 * ConvertStringSecurityDescriptorToSecurityDescriptorW); overlapped ConnectNamedPipe, ReadFile,
 * WriteFile and GetOverlappedResult both ways; CancelIoEx aborts a pending read
 * (ERROR_OPERATION_ABORTED); and a read pending when the peer is killed ends with
 * ERROR_BROKEN_PIPE, the end of stream (an EOFException for the backend).
 * Wine 8.0 accepts the SDDL and the DACL, but does not enforce DACLs between processes of one
 * user the way Windows does, and has no network pipes, so PIPE_REJECT_REMOTE_CLIENTS is shown
 * accepted, not exercised.
 */
#include "probe.h"
#include <sddl.h>

static BOOL wait_io(HANDLE h, OVERLAPPED *ov, DWORD *n, BOOL started) {
    if (!started && GetLastError() != ERROR_IO_PENDING) return FALSE;
    return GetOverlappedResult(h, ov, n, TRUE);
}

static int child(const char *name) {
    WCHAR wname[128];
    _snwprintf(wname, 128, L"%hs", name);
    HANDLE p = CreateFileW(wname, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                           FILE_FLAG_OVERLAPPED, NULL);
    if (p == INVALID_HANDLE_VALUE) return 2;
    OVERLAPPED ov = {0};
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    DWORD n = 0;
    if (!wait_io(p, &ov, &n, WriteFile(p, "ping", 4, NULL, &ov)) || n != 4) return 3;
    char buf[4];
    ResetEvent(ov.hEvent);
    if (!wait_io(p, &ov, &n, ReadFile(p, buf, 4, NULL, &ov)) || n != 4 || memcmp(buf, "pong", 4)) return 4;
    Sleep(120000);   /* killed by the parent */
    return 0;
}

static PSECURITY_DESCRIPTOR current_user_only(void) {
    HANDLE token;
    CHECK(OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token), "OpenProcessToken");
    DWORD size = 0;
    GetTokenInformation(token, TokenUser, NULL, 0, &size);
    CHECK(GetLastError() == ERROR_INSUFFICIENT_BUFFER, "GetTokenInformation(size)");
    TOKEN_USER *user = malloc(size);
    CHECK(GetTokenInformation(token, TokenUser, user, size, &size), "GetTokenInformation");
    LPWSTR sid;
    CHECK(ConvertSidToStringSidW(user->User.Sid, &sid), "ConvertSidToStringSidW");
    WCHAR sddl[256];
    _snwprintf(sddl, 256, L"D:P(A;;GA;;;%ls)", sid);
    PSECURITY_DESCRIPTOR sd;
    CHECK(ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd, NULL),
          "ConvertStringSecurityDescriptorToSecurityDescriptorW(%ls)", sddl);
    LocalFree(sid);
    free(user);
    CloseHandle(token);
    return sd;
}

int main(int argc, char **argv) {
    probe_name = "pipe_overlapped";
    if (argc == 3 && strcmp(argv[1], "child") == 0) return child(argv[2]);
    char name[128];
    WCHAR wname[128];
    snprintf(name, sizeof name, "\\\\.\\pipe\\mp4j-probe-%lu-%lu", GetCurrentProcessId(), GetTickCount());
    _snwprintf(wname, 128, L"%hs", name);
    SECURITY_ATTRIBUTES sa = { sizeof sa, current_user_only(), FALSE };
    HANDLE p = CreateNamedPipeW(wname, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
                                PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                                1, 65536, 65536, 0, &sa);
    CHECK(p != INVALID_HANDLE_VALUE, "CreateNamedPipeW(%s)", name);
    OVERLAPPED ov = {0};
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    BOOL connected = ConnectNamedPipe(p, &ov);
    CHECK(!connected && (GetLastError() == ERROR_IO_PENDING || GetLastError() == ERROR_PIPE_CONNECTED),
          "overlapped ConnectNamedPipe did not pend");
    BOOL pending = GetLastError() == ERROR_IO_PENDING;

    char args[160];
    snprintf(args, sizeof args, "child %s", name);
    PROCESS_INFORMATION pi = spawn_self(args, NULL, 0, 0, NULL);
    DWORD n;
    if (pending) {
        HANDLE both[2] = { ov.hEvent, pi.hProcess };
        CHECK(WaitForMultipleObjects(2, both, FALSE, 20000) == WAIT_OBJECT_0,
              "no client connected (child exit %lu)", exit_code_within(pi.hProcess, 20000));
        CHECK(GetOverlappedResult(p, &ov, &n, FALSE), "GetOverlappedResult(connect)");
    }
    char buf[4];
    ResetEvent(ov.hEvent);
    CHECK(wait_io(p, &ov, &n, ReadFile(p, buf, 4, NULL, &ov)) && n == 4 && !memcmp(buf, "ping", 4), "read ping");
    ResetEvent(ov.hEvent);
    CHECK(wait_io(p, &ov, &n, WriteFile(p, "pong", 4, NULL, &ov)) && n == 4, "write pong");

    /* a pending read, cancelled */
    ResetEvent(ov.hEvent);
    CHECK(!ReadFile(p, buf, 4, NULL, &ov) && GetLastError() == ERROR_IO_PENDING, "read did not pend");
    CHECK(CancelIoEx(p, &ov), "CancelIoEx");
    CHECK(!GetOverlappedResult(p, &ov, &n, TRUE) && GetLastError() == ERROR_OPERATION_ABORTED,
          "a cancelled read did not end with ERROR_OPERATION_ABORTED");

    /* a pending read, the peer killed */
    ResetEvent(ov.hEvent);
    CHECK(!ReadFile(p, buf, 4, NULL, &ov) && GetLastError() == ERROR_IO_PENDING, "second read did not pend");
    CHECK(TerminateProcess(pi.hProcess, 9), "TerminateProcess(child)");
    CHECK(WaitForSingleObject(ov.hEvent, 20000) == WAIT_OBJECT_0, "the pending read never completed");
    CHECK(!GetOverlappedResult(p, &ov, &n, FALSE) && GetLastError() == ERROR_BROKEN_PIPE,
          "the pending read did not end with ERROR_BROKEN_PIPE");
    exit_code_within(pi.hProcess, 20000);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    CloseHandle(p);
    LocalFree(sa.lpSecurityDescriptor);
    pass("current-user DACL pipe: overlapped connect/read/write, CancelIoEx -> ERROR_OPERATION_ABORTED, "
         "peer killed -> ERROR_BROKEN_PIPE");
    return 0;
}
