/*
 * argv_split: a helper, not a probe (scripts/windows-probes does not run it). Reads command lines from standard
 * input as UTF-16LE strings, each ended by U+0000, and splits each with the real
 * CommandLineToArgvW (shell32), printing one output line per input: the argument count, then
 * each argument as hex UTF-16 code units ("-" for an empty one). Used by
 * WindowsCommandLineUnderWineTest to check the backend's quoting (WindowsCommandLine) against
 * Windows' own split. Build: x86_64-w64-mingw32-gcc -O2 -o argv_split.exe argv_split.c -lshell32
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <shellapi.h>
#include <stdio.h>
#include <io.h>
#include <fcntl.h>

static WCHAR buf[1 << 21];

int main(void) {
    _setmode(_fileno(stdin), _O_BINARY);
    size_t n = fread(buf, sizeof(WCHAR), sizeof buf / sizeof(WCHAR), stdin);
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] != 0) continue;
        int argc = 0;
        LPWSTR *argv = CommandLineToArgvW(buf + start, &argc);
        if (!argv) {
            printf("error %lu\n", GetLastError());
            return 1;
        }
        printf("%d", argc);
        for (int k = 0; k < argc; k++) {
            printf(" ");
            if (!argv[k][0]) printf("-");
            for (WCHAR *p = argv[k]; *p; p++) printf("%04x", (unsigned) *p);
        }
        printf("\n");
        LocalFree(argv);
        start = i + 1;
    }
    return 0;
}
