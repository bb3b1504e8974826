# The Windows form of scripts/test: builds everything (library, examples, benchmarks) and runs the
# test suite with Maven, then the unit tests of the benchmark report (bench/test_report.py) when
# Python is installed. Arguments go to Maven; quote each -D one (PowerShell splits an unquoted
# -Da.b=c at the dot):
#   ./scripts/test.ps1 '-Dmp4j.platform=windows' '-Dtest=ConnectionTest'
# The Win32 probes have their own script (scripts/windows-probes, under Git Bash) and the
# workflow lint runs from scripts/test. Not run by this project yet (no PowerShell on its
# machines); the GitHub workflow's Windows job runs it.
$ErrorActionPreference = 'Stop'
Set-Location (Split-Path -Parent $PSScriptRoot)
. (Join-Path $PSScriptRoot 'lib/jdk.ps1')
Find-Mp4jJdk
Assert-Mp4jMaven
# -B: no colours/progress; --no-transfer-progress keeps downloads quiet on a fresh machine.
& mvn -B --no-transfer-progress verify @args
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
# bench/report.py's statistics and --compare logic (a second, no benchmark runs)
# python before python3: on Windows a bare python3 is often the store's installer stub.
$python = Get-Command -Name @('python', 'python3') -ErrorAction SilentlyContinue | Select-Object -First 1
if ($python) {
    & $python.Source -m unittest discover -s bench -p 'test_report.py'
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
} else {
    [Console]::Error.WriteLine('warning: no python; bench/test_report.py not run')
}
