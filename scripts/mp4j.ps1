# The Windows form of scripts/mp4j, the inspector: lists this user's named multiprocessing4j
# objects, shows one, removes the orphans of dead creators.
#   ./scripts/mp4j.ps1 ls [--prefix P]        ./scripts/mp4j.ps1 show NAME
#   ./scripts/mp4j.ps1 clean [--dry-run] [--unmapped] [--prefix P]
#   --json on each; ./scripts/mp4j.ps1 help for the details.
# Runs org.multiprocessing4j.internal.inspect.Inspector from the jar named by MP4J_JAR if set,
# else from this checkout's build, compiled first when missing or older than the sources. Exit
# status as scripts/mp4j's (0 done, 1 failed, 2 bad usage, 3 this backend cannot list). Not run by
# this project yet (no PowerShell on its machines).
$ErrorActionPreference = 'Stop'
$root = Split-Path -Parent $PSScriptRoot
. (Join-Path $PSScriptRoot 'lib/jdk.ps1')
Find-Mp4jJdk -Quiet
if ($env:MP4J_JAR) {
    $cp = $env:MP4J_JAR
} else {
    $classes = Join-Path $root 'java/target/classes'
    $main = Join-Path $classes 'org/multiprocessing4j/internal/inspect/Inspector.class'
    $stale = -not (Test-Path $main)
    if (-not $stale) {
        $built = (Get-Item $main).LastWriteTimeUtc
        $stale = [bool](Get-ChildItem -Path (Join-Path $root 'java/src/main/java') -Recurse -Filter '*.java' |
            Where-Object { $_.LastWriteTimeUtc -gt $built } | Select-Object -First 1)
    }
    if ($stale) {
        Assert-Mp4jMaven
        Push-Location $root
        # Captured stderr lines are error records in Windows PowerShell 5.1: not fatal here.
        $ErrorActionPreference = 'Continue'
        $log = & mvn -q -B -pl java -DskipTests compile 2>&1
        $rc = $LASTEXITCODE
        $ErrorActionPreference = 'Stop'
        Pop-Location
        if ($rc -ne 0) {
            $log | ForEach-Object { [Console]::Error.WriteLine("$_") }
            [Console]::Error.WriteLine('error: building the library failed (mvn -pl java compile)')
            exit 1
        }
    }
    $cp = $classes
}
# A short-lived tool: the client compiler only, the serial collector.
& java '--enable-native-access=ALL-UNNAMED' '-XX:+UseSerialGC' '-XX:TieredStopAtLevel=1' `
    '-cp' $cp 'org.multiprocessing4j.internal.inspect.Inspector' @args
exit $LASTEXITCODE
