/*
 * named_mapping: a pagefile-backed mapping created with a Local\ name (CreateFileMappingW on
 * INVALID_HANDLE_VALUE) is seen by another process through OpenFileMappingW + MapViewOfFile:
 * what one writes, the other reads; the name is gone with the last handle (no unlink, no
 * tracker: the kernel frees the mapping); creating an existing name opens it and reports
 * ERROR_ALREADY_EXISTS (so exclusive create = create, then check GetLastError); and a view's
 * size as VirtualQuery reports it is the requested size rounded up to the page size.
 * Wine 8.0 behaves the same for all of these; Windows rounds views to 4 KiB pages and places
 * them on 64 KiB allocation-granularity boundaries (GetSystemInfo).
 */
#include "probe.h"

#define SIZE 10000u   /* not a multiple of the page size on purpose */

static int child(const char *name) {
    WCHAR wname[128];
    _snwprintf(wname, 128, L"%hs", name);
    HANDLE m = OpenFileMappingW(FILE_MAP_ALL_ACCESS, FALSE, wname);
    if (!m) return 2;
    volatile LONG *p = MapViewOfFile(m, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    if (!p) return 3;
    if (p[0] != 0x6d70346a) return 4;   /* "mp4j" written by the parent */
    p[1] = 0x4f4b2121;                  /* the answer */
    UnmapViewOfFile((LPCVOID)p);
    CloseHandle(m);
    return 0;
}

int main(int argc, char **argv) {
    probe_name = "named_mapping";
    if (argc == 3 && strcmp(argv[1], "child") == 0) return child(argv[2]);
    char name[128];
    WCHAR wname[128];
    snprintf(name, sizeof name, "Local\\mp4j-probe-map-%lu-%lu", GetCurrentProcessId(), GetTickCount());
    _snwprintf(wname, 128, L"%hs", name);
    HANDLE m = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, SIZE, wname);
    CHECK(m != NULL && GetLastError() != ERROR_ALREADY_EXISTS, "CreateFileMappingW(%s)", name);
    HANDLE again = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, SIZE, wname);
    CHECK(again != NULL && GetLastError() == ERROR_ALREADY_EXISTS,
          "a second create of the same name did not report ERROR_ALREADY_EXISTS");
    CloseHandle(again);
    volatile LONG *p = MapViewOfFile(m, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    CHECK(p != NULL, "MapViewOfFile");
    MEMORY_BASIC_INFORMATION mbi;
    CHECK(VirtualQuery((LPCVOID)p, &mbi, sizeof mbi) == sizeof mbi, "VirtualQuery");
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    SIZE_T rounded = (SIZE + si.dwPageSize - 1) / si.dwPageSize * si.dwPageSize;
    CHECK(mbi.RegionSize == rounded, "view size %llu, expected %llu (page %lu)",
          (unsigned long long)mbi.RegionSize, (unsigned long long)rounded, si.dwPageSize);
    p[0] = 0x6d70346a;

    char args[160];
    snprintf(args, sizeof args, "child %s", name);
    PROCESS_INFORMATION pi = spawn_self(args, NULL, 0, 0, NULL);
    DWORD code = exit_code_within(pi.hProcess, 30000);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    CHECK(code == 0, "the child could not open, map or read the mapping by name (exit %lu)", code);
    CHECK(p[1] == 0x4f4b2121, "the child's write is not visible to the parent");

    UnmapViewOfFile((LPCVOID)p);
    CloseHandle(m);
    HANDLE gone = OpenFileMappingW(FILE_MAP_READ, FALSE, wname);
    CHECK(gone == NULL && GetLastError() == ERROR_FILE_NOT_FOUND,
          "the name still opens after its last handle was closed");
    pass("two processes share a Local\\ mapping by name; size %u -> view %llu (page %lu, granularity %lu); "
         "name gone with the last handle", SIZE, (unsigned long long)rounded, si.dwPageSize,
         si.dwAllocationGranularity);
    return 0;
}
