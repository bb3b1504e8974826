# The Windows form of scripts/demo: builds the project and runs the Java twins of the Python
# tutorial examples (org.multiprocessing4j.examples.Demo), then the cluster module's example
# (ClusterSquares). Arguments are example names to run only those, for example
#   ./scripts/demo.ps1 TwoWorkers DoublingWorker      or      ./scripts/demo.ps1 ClusterSquares
# none runs them all. The first run downloads the build's dependencies from Maven Central.
# Not run by this project yet (no PowerShell on its machines); the examples need a backend for
# the running OS (see the README's platform table).
$ErrorActionPreference = 'Stop'
Set-Location (Split-Path -Parent $PSScriptRoot)
. (Join-Path $PSScriptRoot 'lib/jdk.ps1')
Find-Mp4jJdk
Assert-Mp4jMaven

$coreArgs = @($args | Where-Object { $_ -ne 'ClusterSquares' })
$cluster = ($args.Count -eq 0) -or ($args -contains 'ClusterSquares')

# Maven stays silent on success; its log is shown on failure. One invocation, so that the cluster
# module's class path names the core's target/classes (not a jar in ~/.m2).
# Captured stderr lines are error records in Windows PowerShell 5.1: not fatal while capturing.
$ErrorActionPreference = 'Continue'
$log = & mvn -q -B '-DskipTests' -pl java/cluster -am test-compile dependency:build-classpath `
    '-Dmdep.outputFile=target/classpath.txt' '-Dmdep.includeScope=test' 2>&1
$ErrorActionPreference = 'Stop'
if ($LASTEXITCODE -ne 0) {
    $log | ForEach-Object { [Console]::Error.WriteLine("$_") }
    [Console]::Error.WriteLine('error: mvn test-compile dependency:build-classpath failed')
    exit 1
}
$sep = [IO.Path]::PathSeparator
# MP4J_JFR=DIR records the examples with JDK Flight Recorder, as scripts/demo does: the parent
# into DIR/parent.jfr and each child JVM into DIR/child-<pid>.jfr.
$jfrArgs = @()
if ($env:MP4J_JFR) {
    $dir = (New-Item -ItemType Directory -Force -Path $env:MP4J_JFR).FullName
    $jfc = Join-Path (Get-Location) 'java/target/classes/org/multiprocessing4j/internal/jfr/multiprocessing4j.jfc'
    if ("$dir$jfc" -match '\s') {
        [Console]::Error.WriteLine('error: MP4J_JFR and the checkout need a path without spaces')
        exit 2
    }
    $recording = "settings=default,settings=$jfc,dumponexit=true"
    $jfrArgs = @("-XX:StartFlightRecording:$recording,filename=$(Join-Path $dir 'parent.jfr')",
        "-Dmp4j.childJvmOptions=-XX:StartFlightRecording:$recording,filename=$(Join-Path $dir 'child-%p.jfr')")
}
if ($args.Count -eq 0 -or $coreArgs.Count -gt 0) {
    $cp = @('java/target/classes', 'java/target/test-classes', (Get-Content -Raw 'java/target/classpath.txt').Trim()) -join $sep
    & java '--enable-native-access=ALL-UNNAMED' '-XX:+UseSerialGC' @jfrArgs '-cp' $cp 'org.multiprocessing4j.examples.Demo' @coreArgs
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}
if ($cluster) {
    Write-Output '== ClusterSquares (issue 17) =='
    $cp = @('java/cluster/target/classes', 'java/cluster/target/test-classes', (Get-Content -Raw 'java/cluster/target/classpath.txt').Trim()) -join $sep
    # The --add-opens Hazelcast asks for (the member JVMs get them from the library).
    & java '--enable-native-access=ALL-UNNAMED' '-XX:+UseSerialGC' '--sun-misc-unsafe-memory-access=allow' '--add-modules' 'java.se' `
        '--add-exports' 'java.base/jdk.internal.ref=ALL-UNNAMED' '--add-opens' 'java.base/java.lang=ALL-UNNAMED' `
        '--add-opens' 'java.base/sun.nio.ch=ALL-UNNAMED' '--add-opens' 'java.management/sun.management=ALL-UNNAMED' `
        '--add-opens' 'jdk.management/com.sun.management.internal=ALL-UNNAMED' `
        '-cp' $cp 'org.multiprocessing4j.cluster.examples.ClusterSquares'
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}
