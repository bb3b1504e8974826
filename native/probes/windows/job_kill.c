/*
 * job_kill: a child assigned to a Job object with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE dies when
 * its parent is killed (TerminateProcess, no clean-up code runs in the parent): the kernel closes
 * the parent's last handle to the job, and closing the job kills every process in it. This is
 * the Windows form of "children die with the parent, even when it is killed".
 *
 * Three processes: the probe starts a parent; the parent creates the job, starts a child
 * suspended, assigns it to the job, resumes it and reports the child's pid over an inherited
 * pipe, then sleeps. The probe opens the child (SYNCHRONIZE), checks it runs, kills the parent,
 * and expects the child to end within 20 s.
 * Windows: nested jobs (a parent that is itself in a job, as CI runners are) since Windows 8.
 * Wine 8.0 implements kill-on-close in wineserver the same way.
 */
#include "probe.h"

static int grandchild(void) {
    Sleep(120000);   /* killed long before this when the job works */
    return 0;
}

static int parent(HANDLE report) {
    HANDLE job = CreateJobObjectW(NULL, NULL);
    CHECK(job != NULL, "CreateJobObjectW");
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION info;
    ZeroMemory(&info, sizeof info);
    info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    CHECK(SetInformationJobObject(job, JobObjectExtendedLimitInformation, &info, sizeof info),
          "SetInformationJobObject");
    PROCESS_INFORMATION pi = spawn_self("grandchild", NULL, 0, CREATE_SUSPENDED, NULL);
    CHECK(AssignProcessToJobObject(job, pi.hProcess), "AssignProcessToJobObject");
    ResumeThread(pi.hThread);
    DWORD written;
    CHECK(WriteFile(report, &pi.dwProcessId, sizeof pi.dwProcessId, &written, NULL), "WriteFile");
    Sleep(120000);
    return 0;
}

int main(int argc, char **argv) {
    probe_name = "job_kill_on_close";
    if (argc == 2 && strcmp(argv[1], "grandchild") == 0) return grandchild();
    if (argc == 3 && strcmp(argv[1], "parent") == 0) return parent(handle_arg(argv[2]));

    HANDLE r, w;
    CHECK(CreatePipe(&r, &w, &inheritable, 0), "CreatePipe");
    SetHandleInformation(r, HANDLE_FLAG_INHERIT, 0);
    char args[64];
    snprintf(args, sizeof args, "parent %llu", (unsigned long long)(UINT_PTR)w);
    PROCESS_INFORMATION parent_pi = spawn_self(args, &w, 1, 0, NULL);
    CloseHandle(w);
    DWORD pid = 0, got = 0;
    CHECK(ReadFile(r, &pid, sizeof pid, &got, NULL) && got == sizeof pid, "no pid from the parent");
    HANDLE child = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
    CHECK(child != NULL, "OpenProcess(%lu)", pid);
    CHECK(WaitForSingleObject(child, 0) == WAIT_TIMEOUT, "the child was not running before the kill");
    CHECK(TerminateProcess(parent_pi.hProcess, 9), "TerminateProcess(parent)");
    CHECK(WaitForSingleObject(parent_pi.hProcess, 20000) == WAIT_OBJECT_0, "the parent did not die");
    if (WaitForSingleObject(child, 20000) != WAIT_OBJECT_0) {
        HANDLE kill = OpenProcess(PROCESS_TERMINATE, FALSE, pid);
        if (kill) TerminateProcess(kill, 1);
        fail("the child outlived its killed parent by 20 s");
    }
    DWORD code = 0;
    GetExitCodeProcess(child, &code);
    pass("child in a kill-on-close job died with its killed parent (child exit code %lu)", code);
    return 0;
}
